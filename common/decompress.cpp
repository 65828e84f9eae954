#include "common/decompress.hpp"

#include <fcntl.h>
#include <lzma.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <memory>

#include "common/file_util.hpp"
#include "common/raii.hpp"

namespace lp {
namespace {

constexpr std::size_t kChunk = 1u << 20;

Error TooLarge(std::size_t max_out) {
  return MakeError(ErrorCode::kParse,
                   "decompressed data exceeds " + std::to_string(max_out) + " bytes");
}

// lzma_stream is a plain struct that must be lzma_end()ed once initialised.
struct LzmaStream {
  lzma_stream s = LZMA_STREAM_INIT;
  ~LzmaStream() { lzma_end(&s); }
};

Expected<std::string> RunLzma(LzmaStream& ls, std::string_view input, std::size_t max_out) {
  std::string out;
  ls.s.next_in = reinterpret_cast<const std::uint8_t*>(input.data());
  ls.s.avail_in = input.size();
  for (;;) {
    std::size_t old = out.size();
    if (old >= max_out) return TooLarge(max_out);
    out.resize(old + kChunk);
    ls.s.next_out = reinterpret_cast<std::uint8_t*>(out.data() + old);
    ls.s.avail_out = kChunk;
    lzma_ret rc = lzma_code(&ls.s, LZMA_FINISH);
    out.resize(old + kChunk - ls.s.avail_out);
    if (rc == LZMA_STREAM_END) return out;
    if (rc != LZMA_OK)
      return MakeError(ErrorCode::kParse, "liblzma error " + std::to_string(rc));
  }
}

Expected<std::string> DecompressXz(std::string_view input, std::size_t max_out) {
  LzmaStream ls;
  // No LZMA_CONCATENATED: stop after the first stream, ignore what follows.
  if (lzma_stream_decoder(&ls.s, UINT64_MAX, 0) != LZMA_OK)
    return MakeError(ErrorCode::kInternal, "lzma_stream_decoder failed");
  return RunLzma(ls, input, max_out);
}

Expected<std::string> DecompressLzmaAlone(std::string_view input, std::size_t max_out) {
  LzmaStream ls;
  if (lzma_alone_decoder(&ls.s, UINT64_MAX) != LZMA_OK)
    return MakeError(ErrorCode::kInternal, "lzma_alone_decoder failed");
  return RunLzma(ls, input, max_out);
}

struct ZStream {
  z_stream s{};
  bool initialised = false;
  ~ZStream() {
    if (initialised) inflateEnd(&s);
  }
};

Expected<std::string> DecompressGzip(std::string_view input, std::size_t max_out) {
  ZStream zs;
  if (inflateInit2(&zs.s, 16 + MAX_WBITS) != Z_OK)  // 16+: expect a gzip wrapper
    return MakeError(ErrorCode::kInternal, "inflateInit2 failed");
  zs.initialised = true;
  std::string out;
  std::size_t consumed = 0;
  for (;;) {
    std::size_t old = out.size();
    if (old >= max_out) return TooLarge(max_out);
    out.resize(old + kChunk);
    std::size_t in_now = std::min<std::size_t>(input.size() - consumed, 1u << 30);
    zs.s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data() + consumed));
    zs.s.avail_in = static_cast<uInt>(in_now);
    zs.s.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    zs.s.avail_out = static_cast<uInt>(kChunk);
    int rc = inflate(&zs.s, Z_NO_FLUSH);
    consumed += in_now - zs.s.avail_in;
    out.resize(old + kChunk - zs.s.avail_out);
    if (rc == Z_STREAM_END) return out;
    if (rc != Z_OK) return MakeError(ErrorCode::kParse, "zlib error " + std::to_string(rc));
    if (consumed == input.size() && zs.s.avail_out != 0)
      return MakeError(ErrorCode::kParse, "truncated gzip stream");
  }
}

Expected<UniqueFd> MemfdWith(std::string_view data) {
  UniqueFd fd(::memfd_create("lp-decompress", MFD_CLOEXEC));
  if (!fd.valid()) return MakeError(ErrorCode::kIo, "memfd_create failed");
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n <= 0) return MakeError(ErrorCode::kIo, "writing to memfd failed");
    done += static_cast<std::size_t>(n);
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) return MakeError(ErrorCode::kIo, "lseek memfd failed");
  return fd;
}

// Runs `tool -dc` with input on stdin (a memfd, so no pipe deadlock) and
// collects stdout. Why a tool rather than a library: these formats are rare
// for distribution kernels, and the tools come with the distribution.
Expected<std::string> DecompressWithTool(const char* tool, std::string_view input,
                                         std::size_t max_out) {
  auto in = MemfdWith(input);
  if (!in) return in.error();
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return MakeError(ErrorCode::kIo, "pipe failed");
  UniqueFd read_end(pipefd[0]), write_end(pipefd[1]);
  pid_t pid = ::fork();
  if (pid < 0) return MakeError(ErrorCode::kIo, "fork failed");
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(in->get(), 0);
    ::dup2(write_end.get(), 1);
    if (devnull >= 0) ::dup2(devnull, 2);
    ::execlp(tool, tool, "-dc", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  write_end.Reset();
  auto out = ReadFd(read_end.get(), max_out);
  read_end.Reset();  // a tool blocked on a full pipe gets EPIPE and exits
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!out) return out.error().WithContext(std::string("decompressing with ") + tool);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && out->empty())
    return MakeError(ErrorCode::kNotFound, std::string("cannot run ") + tool);
  return out;
}

}  // namespace

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kXz: return "xz";
    case Compression::kLzma: return "lzma";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
    case Compression::kBzip2: return "bzip2";
    case Compression::kLz4: return "lz4";
    case Compression::kLzo: return "lzo";
  }
  return "?";
}

std::string_view CompressionMagic(Compression c) {
  using namespace std::string_view_literals;
  switch (c) {
    case Compression::kXz: return "\xfd" "7zXZ\0"sv;
    case Compression::kLzma: return "\x5d\0\0\0"sv;
    case Compression::kGzip: return "\x1f\x8b\x08"sv;
    case Compression::kZstd: return "\x28\xb5\x2f\xfd"sv;
    case Compression::kBzip2: return "BZh"sv;
    case Compression::kLz4: return "\x02\x21\x4c\x18"sv;
    case Compression::kLzo: return "\x89LZO"sv;
  }
  return {};
}

const std::vector<Compression>& AllCompressions() {
  static const std::vector<Compression> kAll = {
      Compression::kXz,    Compression::kZstd, Compression::kGzip, Compression::kLzma,
      Compression::kBzip2, Compression::kLz4,  Compression::kLzo};
  return kAll;
}

Expected<std::string> Decompress(Compression c, std::string_view input, std::size_t max_out) {
  switch (c) {
    case Compression::kXz: return DecompressXz(input, max_out);
    case Compression::kLzma: return DecompressLzmaAlone(input, max_out);
    case Compression::kGzip: return DecompressGzip(input, max_out);
    case Compression::kZstd: return DecompressWithTool("zstd", input, max_out);
    case Compression::kBzip2: return DecompressWithTool("bzip2", input, max_out);
    case Compression::kLz4: return DecompressWithTool("lz4", input, max_out);
    case Compression::kLzo: return DecompressWithTool("lzop", input, max_out);
  }
  return MakeError(ErrorCode::kInternal, "unknown compression");
}

}  // namespace lp
