// Decompressors for the payload formats a kernel image may use. Each stops at
// the end of the first compressed stream and ignores what follows it (a
// bzImage carries trailing data after its payload), and refuses output larger
// than max_out (a guard against decompression bombs).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace lp {

enum class Compression { kXz, kLzma, kGzip, kZstd, kBzip2, kLz4, kLzo };

const char* CompressionName(Compression c);

// Magic bytes that start a stream of this format (what scripts/extract-vmlinux
// greps for).
std::string_view CompressionMagic(Compression c);

// All formats, most likely first for Debian/Ubuntu kernels.
const std::vector<Compression>& AllCompressions();

// xz, lzma and gzip decode in-process (liblzma, zlib); the rest run the
// matching command-line tool (zstd, bzip2, lz4, lzop) with the input on a
// memfd as stdin. The tools' exit status is ignored when they stop at
// trailing garbage, so callers must check the output (e.g. for ELF magic).
Expected<std::string> Decompress(Compression c, std::string_view input, std::size_t max_out);

}  // namespace lp
