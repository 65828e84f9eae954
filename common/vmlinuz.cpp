// ExtractVmlinux: the vmlinux ELF inside a compressed kernel image.
//
// An x86 bzImage says where its payload is (boot protocol >= 2.08:
// payload_offset/payload_length in the setup header); we use that first. For
// other images (arm64 Image.gz, odd builds) we fall back to what the kernel's
// scripts/extract-vmlinux does: try every known compression magic at every
// offset where it occurs and keep the first result that is an ELF file.
// Debian's 6.1 amd64 kernels are xz-compressed.
#include <cstring>

#include "common/decompress.hpp"
#include "common/file_util.hpp"
#include "common/identity.hpp"

namespace lp {
namespace {

constexpr std::size_t kMaxVmlinuzBytes = 256u << 20;
constexpr std::size_t kMaxVmlinuxBytes = 1u << 30;
constexpr std::size_t kMaxCandidatesPerFormat = 16;  // bounds the fallback scan
constexpr std::string_view kElfMagic("\x7f" "ELF", 4);

// Offsets into the x86 boot setup header (Documentation/x86/boot.rst).
constexpr std::size_t kSetupSectsOff = 0x1f1;
constexpr std::size_t kHeaderMagicOff = 0x202;
constexpr std::size_t kVersionOff = 0x206;
constexpr std::size_t kPayloadOffsetOff = 0x248;
constexpr std::size_t kPayloadLengthOff = 0x24c;
constexpr std::uint16_t kMinPayloadProtocol = 0x208;

template <class T>
T LoadLe(std::string_view b, std::size_t off) {
  T v{};
  std::memcpy(&v, b.data() + off, sizeof v);  // x86 images are little-endian
  return v;
}

bool IsElf(std::string_view data) { return data.substr(0, 4) == kElfMagic; }

// The compressed payload of a bzImage, or an empty view if this is not one.
std::string_view BzImagePayload(std::string_view image) {
  if (image.size() < kPayloadLengthOff + 4 || image.substr(kHeaderMagicOff, 4) != "HdrS")
    return {};
  if (LoadLe<std::uint16_t>(image, kVersionOff) < kMinPayloadProtocol) return {};
  std::size_t setup_sects = static_cast<unsigned char>(image[kSetupSectsOff]);
  if (setup_sects == 0) setup_sects = 4;  // boot.rst: 0 means 4
  std::size_t start = (setup_sects + 1) * 512 + LoadLe<std::uint32_t>(image, kPayloadOffsetOff);
  std::size_t length = LoadLe<std::uint32_t>(image, kPayloadLengthOff);
  if (start > image.size() || length > image.size() - start) return {};
  return image.substr(start, length);
}

Expected<std::string> TryDecompressElf(Compression c, std::string_view data) {
  auto out = Decompress(c, data, kMaxVmlinuxBytes);
  if (!out) return out.error();
  if (!IsElf(*out))
    return MakeError(ErrorCode::kParse, std::string(CompressionName(c)) + " output is not ELF");
  return out;
}

Expected<std::string> ExtractFromPayload(std::string_view payload) {
  for (Compression c : AllCompressions()) {
    if (payload.substr(0, CompressionMagic(c).size()) != CompressionMagic(c)) continue;
    auto elf = TryDecompressElf(c, payload);
    if (elf) return elf;
    return elf.error().WithContext(std::string("bzImage payload (") + CompressionName(c) + ")");
  }
  return MakeError(ErrorCode::kUnsupported, "bzImage payload has an unknown compression");
}

Expected<std::string> ScanForCompressedElf(std::string_view image) {
  for (Compression c : AllCompressions()) {
    std::string_view magic = CompressionMagic(c);
    std::size_t pos = image.find(magic);
    for (std::size_t n = 0; pos != std::string_view::npos && n < kMaxCandidatesPerFormat; ++n) {
      if (auto elf = TryDecompressElf(c, image.substr(pos)); elf) return elf;
      pos = image.find(magic, pos + 1);
    }
  }
  return MakeError(ErrorCode::kNotFound, "no compressed vmlinux found in the image");
}

}  // namespace

Expected<std::string> ExtractVmlinux(const std::filesystem::path& vmlinuz) {
  auto image = ReadFile(vmlinuz, kMaxVmlinuzBytes);
  if (!image) return image.error();
  if (IsElf(*image)) return image;  // already an uncompressed vmlinux
  std::string_view payload = BzImagePayload(*image);
  auto elf = payload.empty() ? ScanForCompressedElf(*image) : ExtractFromPayload(payload);
  if (!elf) return elf.error().WithContext("extracting vmlinux from " + vmlinuz.string());
  return elf;
}

}  // namespace lp
