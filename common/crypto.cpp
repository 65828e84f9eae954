#include "common/crypto.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <array>

#include "common/file_util.hpp"

namespace lp {
namespace {

using BioPtr = CPtr<BIO, &BIO_free_all>;
using MdCtxPtr = CPtr<EVP_MD_CTX, &EVP_MD_CTX_free>;
using PkeyCtxPtr = CPtr<EVP_PKEY_CTX, &EVP_PKEY_CTX_free>;

constexpr std::size_t kEd25519SigLen = 64;
constexpr std::size_t kEd25519RawKeyLen = 32;

Error OpensslError(ErrorCode code, const std::string& what) {
  return MakeError(code, what + ": " + TakeOpensslErrors());
}

BioPtr MemBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string DrainBio(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  return std::string(p, static_cast<std::size_t>(n));
}

Status RequireEd25519(const EVP_PKEY* key, const char* what) {
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519)
    return MakeError(ErrorCode::kParse, std::string(what) + " is not an Ed25519 key");
  return Ok();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  auto pos = kBase64Alphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

}  // namespace

std::string TakeOpensslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

Expected<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return MakeError(ErrorCode::kParse, "hex string has odd length");
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0)
      return MakeError(ErrorCode::kParse, "invalid hex digit at offset " + std::to_string(i));
    out += static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
    out += kBase64Alphabet[n >> 18 & 63];
    out += kBase64Alphabet[n >> 12 & 63];
    out += i + 1 < bytes.size() ? kBase64Alphabet[n >> 6 & 63] : '=';
    out += i + 2 < bytes.size() ? kBase64Alphabet[n & 63] : '=';
  }
  return out;
}

// Strict: length a multiple of 4, padding only at the end, no whitespace.
Expected<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return MakeError(ErrorCode::kParse, "base64 length not a multiple of 4");
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = 0;
    std::uint32_t n = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      int v = 0;
      if (c == '=' && last && j >= 2 && (j == 3 || text[i + 3] == '=')) {
        ++pad;
      } else if (pad > 0 || (v = Base64Value(c)) < 0) {
        return MakeError(ErrorCode::kParse, "invalid base64 at offset " + std::to_string(i + j));
      }
      n = n << 6 | static_cast<std::uint32_t>(v);
    }
    out += static_cast<char>(n >> 16 & 0xff);
    if (pad < 2) out += static_cast<char>(n >> 8 & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

Expected<Ed25519Key> Ed25519Key::Generate() {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_keygen(ctx.get(), &raw) <= 0)
    return OpensslError(ErrorCode::kInternal, "generating Ed25519 key");
  return Ed25519Key(EvpPkeyPtr(raw), true);
}

Expected<Ed25519Key> Ed25519Key::FromPrivatePem(std::string_view pem) {
  BioPtr bio = MemBio(pem);
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return OpensslError(ErrorCode::kParse, "reading private key PEM");
  LP_TRY(RequireEd25519(key.get(), "private key"));
  return Ed25519Key(std::move(key), true);
}

Expected<Ed25519Key> Ed25519Key::FromPublicPem(std::string_view pem) {
  BioPtr bio = MemBio(pem);
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return OpensslError(ErrorCode::kParse, "reading public key PEM");
  LP_TRY(RequireEd25519(key.get(), "public key"));
  return Ed25519Key(std::move(key), false);
}

Expected<Ed25519Key> Ed25519Key::LoadPrivate(const std::filesystem::path& pem_file) {
  auto pem = ReadFile(pem_file, 64 * 1024);
  if (!pem) return pem.error();
  auto key = FromPrivatePem(*pem);
  if (!key) return key.error().WithContext(pem_file.string());
  return key;
}

Expected<Ed25519Key> Ed25519Key::LoadPublic(const std::filesystem::path& pem_file) {
  auto pem = ReadFile(pem_file, 64 * 1024);
  if (!pem) return pem.error();
  auto key = FromPublicPem(*pem);
  if (!key) return key.error().WithContext(pem_file.string());
  return key;
}

std::string Ed25519Key::PublicPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) return {};
  return DrainBio(bio.get());
}

Expected<std::string> Ed25519Key::PrivatePem() const {
  if (!has_private_) return MakeError(ErrorCode::kInvalidArgument, "key has no private part");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1)
    return OpensslError(ErrorCode::kInternal, "writing private key PEM");
  return DrainBio(bio.get());
}

std::string Ed25519Key::KeyId() const {
  std::array<unsigned char, kEd25519RawKeyLen> raw{};
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key_.get(), raw.data(), &len) != 1) return {};
  return Sha256Hex(std::string_view(reinterpret_cast<const char*>(raw.data()), len)).substr(0, 16);
}

Expected<std::string> Ed25519Key::Sign(std::string_view message) const {
  if (!has_private_) return MakeError(ErrorCode::kInvalidArgument, "signing needs a private key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(kEd25519SigLen, '\0');
  std::size_t sig_len = sig.size();
  // Ed25519 hashes internally: the digest argument must be NULL and the
  // one-shot EVP_DigestSign must be used (no Update/Final).
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
    return OpensslError(ErrorCode::kInternal, "Ed25519 signing");
  sig.resize(sig_len);
  return sig;
}

Status Ed25519Key::Verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != kEd25519SigLen)
    return MakeError(ErrorCode::kVerification,
                     "signature has " + std::to_string(signature.size()) + " bytes, expected 64");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1)
    return OpensslError(ErrorCode::kInternal, "Ed25519 verify init");
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();
  if (rc != 1)
    return MakeError(ErrorCode::kVerification, "signature does not match key " + KeyId());
  return Ok();
}

}  // namespace lp
