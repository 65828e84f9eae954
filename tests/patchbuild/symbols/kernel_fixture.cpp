#include "tests/patchbuild/symbols/kernel_fixture.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "common/file_util.hpp"
#include "patchbuild/symbols/kallsyms_decode.hpp"

namespace fs = std::filesystem;

namespace lp::patchbuild::symbols::testing {
namespace {

// What scripts/lib/target-kernel.sh (the one place that knows the target)
// says, empty when it cannot tell (no Debian packages, e.g. a dev box).
std::string ReleaseFromTargetScript() {
  std::string command = "bash -c 'source \"" LP_SOURCE_DIR
                        "/scripts/lib/target-kernel.sh\" && lp_target_release' 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), &::pclose);
  if (!pipe) return {};
  char line[256] = {};
  if (!std::fgets(line, sizeof(line), pipe.get())) return {};
  std::string release(line);
  while (!release.empty() && (release.back() == '\n' || release.back() == '\r')) release.pop_back();
  return release;
}

// LP_TARGET_RELEASE, else the target script's answer, else the highest
// /boot/vmlinuz-*.
std::string FindRelease() {
  if (const char* env = std::getenv("LP_TARGET_RELEASE"); env && *env) return env;
  if (std::string release = ReleaseFromTargetScript(); !release.empty()) return release;
  std::vector<std::string> releases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/boot", ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("vmlinuz-", 0) == 0) releases.push_back(name.substr(8));
  }
  std::sort(releases.begin(), releases.end());
  return releases.empty() ? std::string() : releases.back();
}

bool Run(const std::string& command) { return std::system(command.c_str()) == 0; }

// scripts/extract-vmlinux from the headers package if it ships one, else
// pulled out of Debian's linux-source tarball once (~8 s) into the cache.
std::string FindExtractScript(const std::string& release, const fs::path& cache, std::string* why) {
  if (const char* env = std::getenv("LP_EXTRACT_VMLINUX"); env && *env) return env;
  fs::path in_headers = "/usr/src/linux-headers-" + release + "/scripts/extract-vmlinux";
  if (fs::exists(in_headers)) return in_headers;
  fs::path cached = cache / "extract-vmlinux";
  if (fs::exists(cached)) return cached;
  const char* tarball = "/usr/src/linux-source-6.1.tar.xz";
  if (!fs::exists(tarball)) {
    *why = "no scripts/extract-vmlinux: neither " + in_headers.string() + " nor " + tarball;
    return {};
  }
  fs::path tmp = cache / "extract-vmlinux.tmp";
  if (!Run("tar -xJf " + std::string(tarball) + " -O linux-source-6.1/scripts/extract-vmlinux > " +
           tmp.string() + " && chmod +x " + tmp.string())) {
    *why = "could not take scripts/extract-vmlinux out of " + std::string(tarball);
    return {};
  }
  fs::rename(tmp, cached);
  return cached;
}

// Cached per vmlinuz size and mtime, so a kernel update re-extracts.
fs::path ExtractVmlinux(const fs::path& vmlinuz, const fs::path& cache, const std::string& release,
                        std::string* why) {
  struct stat st{};
  if (::stat(vmlinuz.c_str(), &st) != 0) {
    *why = "no target kernel image " + vmlinuz.string();
    return {};
  }
  fs::path out = cache / ("vmlinux-" + release + "-" + std::to_string(st.st_size) + "-" +
                          std::to_string(st.st_mtime));
  if (fs::exists(out)) return out;
  std::string script = FindExtractScript(release, cache, why);
  if (script.empty()) return {};
  fs::path tmp = out.string() + ".tmp";
  if (!Run(script + " " + vmlinuz.string() + " > " + tmp.string())) {
    *why = script + " failed on " + vmlinuz.string();
    return {};
  }
  fs::rename(tmp, out);
  return out;
}

std::unique_ptr<TargetKernel> Load(std::string* why, bool* missing) {
  std::string release = FindRelease();
  if (release.empty() || !fs::exists("/boot/vmlinuz-" + release)) {
    *why = "no /boot/vmlinuz-" + release + " (install the target kernel: scripts/install-deps)";
    *missing = true;
    return nullptr;
  }
  fs::path cache = LP_SYMBOLS_TEST_CACHE;
  fs::create_directories(cache);
  fs::path vmlinux = ExtractVmlinux("/boot/vmlinuz-" + release, cache, release, why);
  if (vmlinux.empty()) return nullptr;
  auto kernel = std::make_unique<TargetKernel>();
  kernel->release = release;
  auto bytes = ReadFile(vmlinux);
  if (!bytes) {
    *why = bytes.error().message;
    return nullptr;
  }
  kernel->vmlinux = std::move(*bytes);
  auto image = VmlinuxImage::Open(kernel->vmlinux);
  if (!image) {
    *why = image.error().message;
    return nullptr;
  }
  kernel->image = *image;
  auto start = std::chrono::steady_clock::now();
  auto table = DecodeKallsyms(kernel->image);
  kernel->decode_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!table) {
    *why = "decoding kallsyms of " + release + ": " + table.error().message;
    return nullptr;
  }
  kernel->table = std::move(*table);
  return kernel;
}

}  // namespace

bool RunningInCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

const KernelLoad& LoadTargetKernel() {
  static std::unique_ptr<TargetKernel> owner;
  static const KernelLoad load = [] {
    KernelLoad result;
    owner = Load(&result.why, &result.missing);
    result.kernel = owner.get();
    return result;
  }();
  return load;
}

}  // namespace lp::patchbuild::symbols::testing
