#include "patchbuild/build/tree_steps.hpp"

#include <sys/stat.h>

#include <openssl/evp.h>

#include <cstdio>
#include <sstream>

#include "common/file_util.hpp"
#include "patchbuild/build/config_check.hpp"

namespace lp::patchbuild::tree {
namespace fs = std::filesystem;
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// tar's decompression switch for the tarball's suffix. xz -T2: the archive is
// ~140 MB of xz and decompression is the half of unpacking that threads help.
std::vector<std::string> TarDecompressArgs(const std::string& name) {
  if (EndsWith(name, ".tar.xz") || EndsWith(name, ".txz")) return {"-I", "xz -T2"};
  if (EndsWith(name, ".tar.gz") || EndsWith(name, ".tgz")) return {"-z"};
  if (EndsWith(name, ".tar.bz2")) return {"-j"};
  if (EndsWith(name, ".tar.zst")) return {"--zstd"};
  return {};
}

}  // namespace

std::string LastMeaningfulLine(const std::string& output) {
  std::istringstream in(output);
  std::string last, meaningful;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    last = line;
    bool from_make = line.rfind("make: ", 0) == 0 || line.rfind("make[", 0) == 0;
    if (!from_make) meaningful = line;
  }
  return meaningful.empty() ? last : meaningful;
}

std::string OutputTail(const std::string& output, std::size_t lines) {
  std::size_t pos = output.size();
  while (pos > 0 && output[pos - 1] == '\n') --pos;
  std::size_t end = pos;
  for (std::size_t n = 0; n < lines && pos > 0; ++n) {
    std::size_t nl = output.rfind('\n', pos - 1);
    pos = nl == std::string::npos ? 0 : nl;
  }
  std::string tail = output.substr(pos, end - pos);
  if (!tail.empty() && tail.front() == '\n') tail.erase(0, 1);
  return tail;
}

Expected<CommandResult> RunChecked(const CommandSpec& spec, const std::string& what, const fs::path& log) {
  auto result = RunCommand(spec);
  if (!result) return result.error().WithContext(what);
  if (!log.empty()) LP_TRY(WriteFileAtomic(log, DescribeArgv(spec.argv) + "\n" + result->output));
  if (result->ok()) return result;
  std::string failed = what + " failed (exit " + std::to_string(result->exit_code) + "): ";
  if (log.empty()) return MakeError(ErrorCode::kIo, failed + OutputTail(result->output));
  return MakeError(ErrorCode::kIo, failed + LastMeaningfulLine(result->output) + " (log: " + log.string() + ")");
}

Status MaterializeSource(const fs::path& source, const fs::path& dest) {
  std::error_code ec;
  if (fs::is_directory(source, ec)) {
    LP_TRY(MakeDirs(dest));
    // A real copy, not hard links: kbuild and patch(1) would write through
    // links into the user's tree.
    CommandSpec cp = Command({"cp", "-a", "--reflink=auto", (source / ".").string(), dest.string()});
    auto r = RunChecked(cp, "copying " + source.string());
    if (!r) return r.error();
    return Ok();
  }
  if (!fs::is_regular_file(source, ec))
    return MakeError(ErrorCode::kNotFound, "kernel source " + source.string() + " does not exist");
  LP_TRY(MakeDirs(dest));
  std::vector<std::string> argv = {"tar"};
  for (auto& a : TarDecompressArgs(source.filename().string())) argv.push_back(a);
  argv.insert(argv.end(), {"-xf", source.string(), "-C", dest.string(), "--strip-components=1",
                           "--no-same-owner"});
  auto r = RunChecked(Command(argv), "unpacking " + source.string());
  if (!r) return r.error();
  if (!fs::exists(dest / "Makefile", ec))
    return MakeError(ErrorCode::kParse, source.string() + " does not hold a kernel tree (no top Makefile)");
  return Ok();
}

std::string OwningPackageVersion(const fs::path& file) {
  auto owner = RunCommand(Command({"dpkg-query", "-S", file.string()}));
  if (!owner || !owner->ok()) return "";
  // "linux-source-6.1: /usr/src/linux-source-6.1.tar.xz"
  std::string package = owner->output.substr(0, owner->output.find(':'));
  if (package.empty() || package.find_first_of(" ,\n") != std::string::npos) return "";
  auto version = RunCommand(Command({"dpkg-query", "-W", "-f=${Version}", package}));
  if (!version || !version->ok()) return "";
  return version->output;
}

Status ConfigureTree(const fs::path& tree, const Target& target,
                     const std::vector<std::string>& make_olddefconfig, const fs::path& log_dir) {
  auto config = ReadFile(target.config);
  if (!config) return config.error().WithContext("reading target config");
  auto variables = ReadFile(target.kernelvariables);
  if (!variables) return variables.error().WithContext("reading target kernelvariables");
  LP_TRY(WriteFileAtomic(tree / ".config", *config));
  LP_TRY(WriteFileAtomic(tree / ".kernelvariables", *variables));
  CommandSpec spec = BuildCommand(make_olddefconfig);
  auto r = RunChecked(spec, "make olddefconfig", log_dir / "olddefconfig.log");
  if (!r) return r.error();
  auto after = ReadFile(tree / ".config");
  if (!after) return after.error().WithContext("reading the configured .config");
  auto diffs = ConfigDifferences(*config, *after);
  if (!diffs.empty()) {
    std::string joined;
    for (const auto& d : diffs) joined += (joined.empty() ? "" : "; ") + d;
    return MakeError(ErrorCode::kConflict,
                     "config drifted after olddefconfig (wrong source tree or toolchain: the target "
                     "needs its gcc and pahole): " + joined);
  }
  return Ok();
}

Expected<std::string> SourceIdentity(const fs::path& source) {
  std::error_code ec;
  fs::path canonical = fs::canonical(source, ec);
  if (ec) return MakeError(ErrorCode::kNotFound, "kernel source " + source.string() + ": " + ec.message());
  struct stat st {};
  if (::stat(canonical.c_str(), &st) != 0)
    return MakeError(ErrorCode::kIo, "stat " + canonical.string());
  if (S_ISDIR(st.st_mode)) {
    // A directory has no cheap content identity; its Makefile distinguishes
    // versions, and a changed tree at the same path needs --cache-dir or a
    // cleared cache (documented limitation).
    auto makefile = ReadFile(canonical / "Makefile", 4u << 20);
    if (!makefile) return makefile.error();
    return "dir:" + canonical.string() + ":" + Sha256Hex(*makefile);
  }
  return "file:" + canonical.string() + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

}  // namespace lp::patchbuild::tree
