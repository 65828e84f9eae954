#include "patchbuild/build/target.hpp"

namespace lp::patchbuild::tree {
namespace {

bool Exists(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec);
}

Status CheckRelease(const std::string& release) {
  if (release.empty()) return MakeError(ErrorCode::kInvalidArgument, "no target release given");
  if (release.find('/') != std::string::npos || release == "." || release == "..")
    return MakeError(ErrorCode::kInvalidArgument, "target release '" + release + "' is not a release name");
  return Ok();
}

std::filesystem::path DefaultHeadersDir(const std::string& release, const TargetRoots& roots) {
  std::filesystem::path usr_src = roots.usr_src / ("linux-headers-" + release);
  if (Exists(usr_src / ".config")) return usr_src;
  return roots.lib_modules / release / "build";
}

}  // namespace

Expected<Target> ResolveTarget(const TargetOptions& options, const TargetRoots& roots) {
  LP_TRY(CheckRelease(options.release));
  Target t;
  t.release = options.release;
  t.headers_dir = options.headers_dir.empty() ? DefaultHeadersDir(t.release, roots) : options.headers_dir;
  t.config = options.config.empty() ? t.headers_dir / ".config" : options.config;
  t.kernelvariables =
      options.kernelvariables.empty() ? t.headers_dir / ".kernelvariables" : options.kernelvariables;
  for (const auto& p : {t.config, t.kernelvariables, t.headers_dir / "Makefile"}) {
    if (!Exists(p))
      return MakeError(ErrorCode::kNotFound, "target " + t.release + ": " + p.string() +
                                                 " is missing (is linux-headers-" + t.release + " installed?)");
  }
  auto version = ReadMakefileVersion(t.headers_dir / "Makefile");
  if (!version) return version.error().WithContext("target " + t.release + " version");
  t.version = *version;
  t.version.debian = ReadDebianPackageId(t.headers_dir);
  return t;
}

}  // namespace lp::patchbuild::tree
