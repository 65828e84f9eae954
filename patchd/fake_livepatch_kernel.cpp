#include "patchd/fake_livepatch_kernel.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include <unistd.h>

#include "common/crypto.hpp"
#include "common/file_util.hpp"
#include "patchd/module_info.hpp"
#include "patchd/patch_tree.hpp"

namespace lp::patchd {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kTextMagic = "fake-livepatch ";

Error FakeErrno(const std::string& what, int err) {
  ErrorCode code = err == EPERM || err == EACCES ? ErrorCode::kPermission
                   : err == ENOENT               ? ErrorCode::kNotFound
                   : err == EEXIST               ? ErrorCode::kConflict
                                                 : ErrorCode::kKernel;
  return MakeError(code, what + ": " + std::strerror(err));
}

struct ModuleSpec {
  std::string name;
  bool replace = true;
  std::string funcs;
};

// Module facts from either a text fake module or a real .ko.
Expected<ModuleSpec> ParseModule(const std::string& bytes, const LoadParams& params) {
  ModuleSpec spec{params.module_name, params.replace, ""};
  if (bytes.rfind(kTextMagic, 0) == 0) {
    std::istringstream words(bytes.substr(kTextMagic.size()));
    for (std::string w; words >> w;) {
      if (w.rfind("name=", 0) == 0) spec.name = w.substr(5);
      if (w.rfind("replace=", 0) == 0) spec.replace = w.substr(8) != "0";
      if (w.rfind("funcs=", 0) == 0) spec.funcs = w.substr(6);
    }
  } else if (auto name = ModinfoValue(bytes, "name")) {
    spec.name = *name;
  } else if (spec.name.empty()) {
    return name.error();
  }
  if (spec.name.empty()) return MakeError(ErrorCode::kKernel, "finit_module: module has no name");
  return spec;
}

Status WriteText(const fs::path& file, const std::string& text) {
  return WriteFileAtomic(file, text);
}

}  // namespace

FakeLivepatchKernel::FakeLivepatchKernel(fs::path root, bool livepatch_supported)
    : root_(std::move(root)), supported_(livepatch_supported) {
  std::error_code ec;
  if (supported_) fs::create_directories(root_ / "kernel" / "livepatch", ec);
  fs::create_directories(root_ / "module", ec);
}

std::string FakeLivepatchKernel::MakeTextModule(const std::string& name, bool replace,
                                                const std::string& funcs) {
  return std::string(kTextMagic) + "name=" + name + " replace=" + (replace ? "1" : "0") +
         " funcs=" + funcs + "\n";
}

fs::path FakeLivepatchKernel::PatchDir(const std::string& name) const {
  return root_ / "kernel" / "livepatch" / name;
}

void FakeLivepatchKernel::SetScript(const std::string& module_name, FakeScript script) {
  scripts_[module_name] = script;
}

const FakeScript& FakeLivepatchKernel::ScriptFor(const std::string& name) const {
  static const FakeScript kDefault;
  if (auto it = scripts_.find(name); it != scripts_.end()) return it->second;
  if (auto it = scripts_.find(""); it != scripts_.end()) return it->second;
  return kDefault;
}

std::vector<std::string> FakeLivepatchKernel::LoadedModules() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ / "module", ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

Status FakeLivepatchKernel::CreatePatchTree(const std::string& name, bool replace,
                                            const std::string& funcs) {
  // Built aside and renamed into place: like the kernel's, the patch
  // directory appears whole or not at all, even if this process is killed.
  fs::path dir = root_ / "kernel" / (".loading-" + name);
  std::error_code ec;
  fs::remove_all(dir, ec);
  LP_TRY(MakeDirs(dir));
  std::istringstream list(funcs);
  for (std::string item; std::getline(list, item, ',');) {
    std::size_t colon = item.find(':');
    if (colon == std::string::npos) continue;
    LP_TRY(MakeDirs(dir / item.substr(0, colon) / (item.substr(colon + 1) + ",0")));
  }
  int polls = ScriptFor(name).transition_polls;
  polls_left_[name] = polls;
  LP_TRY(WriteText(dir / "replace", replace ? "1\n" : "0\n"));
  LP_TRY(WriteText(dir / "enabled", "1\n"));
  LP_TRY(WriteText(dir / "transition", polls != 0 ? "1\n" : "0\n"));
  fs::rename(dir, PatchDir(name), ec);
  if (ec) return MakeError(ErrorCode::kIo, "fake load of " + name + ": " + ec.message());
  if (polls == 0) return CompleteTransition(name);
  return Ok();
}

Status FakeLivepatchKernel::LoadModule(int fd, const LoadParams& params) {
  calls_.push_back("load " + params.module_name);
  if (!supported_) return FakeErrno("finit_module", ENOENT);
  // finit_module reads the whole file whatever the fd's offset; so does the fake.
  if (::lseek(fd, 0, SEEK_SET) != 0) return FakeErrno("finit_module", errno);
  auto bytes = ReadFd(fd, 256u << 20);
  if (!bytes) return bytes.error();
  auto spec = ParseModule(*bytes, params);
  if (!spec) return spec.error().WithContext("finit_module");
  if (int err = ScriptFor(spec->name).load_errno) return FakeErrno("finit_module " + spec->name, err);
  std::error_code ec;
  if (fs::exists(root_ / "module" / spec->name, ec)) return FakeErrno("finit_module " + spec->name, EEXIST);
  LP_TRY(MakeDirs(root_ / "module" / spec->name));
  LP_TRY(WriteText(root_ / "module" / spec->name / ".sha256", Sha256Hex(*bytes)));
  return CreatePatchTree(spec->name, spec->replace, spec->funcs);
}

Status FakeLivepatchKernel::CompleteTransition(const std::string& name) {
  fs::path dir = PatchDir(name);
  LP_TRY(WriteText(dir / "transition", "0\n"));
  polls_left_.erase(name);
  std::error_code ec;
  auto enabled = ReadIntAttribute(dir / "enabled");
  if (!enabled) return enabled.error();
  if (*enabled == 0) {  // a disabled patch is freed: its directory goes away
    fs::remove_all(dir, ec);
    return Ok();
  }
  auto replace = ReadIntAttribute(dir / "replace");
  if (replace && *replace == 1) {  // atomic replace frees every other patch (modules stay loaded)
    auto others = ListPatchDirs(root_ / "kernel" / "livepatch");
    if (!others) return others.error();
    for (const auto& other : *others)
      if (other != name) fs::remove_all(PatchDir(other), ec);
  }
  return Ok();
}

Expected<PatchState> FakeLivepatchKernel::ReadPatchState(const std::string& name) {
  auto state = ReadPatchDir(root_ / "kernel" / "livepatch", name);
  if (!state || !state->transition) return state;
  auto it = polls_left_.find(name);
  if (it == polls_left_.end()) {
    // A new instance (patchd restarted mid-transition): a stuck task is
    // still stuck, so the script applies again.
    const FakeScript& script = ScriptFor(name);
    it = polls_left_.emplace(name, state->enabled ? script.transition_polls : script.disable_polls).first;
  }
  int left = it->second;
  if (left < 0) return state;
  if (left > 0) {
    it->second = left - 1;
    return state;
  }
  LP_TRY(CompleteTransition(name));
  return ReadPatchDir(root_ / "kernel" / "livepatch", name);
}

Status FakeLivepatchKernel::SetEnabled(const std::string& name, bool enabled) {
  calls_.push_back("enable " + name + (enabled ? " 1" : " 0"));
  auto state = ReadPatchDir(root_ / "kernel" / "livepatch", name);
  if (!state) return state.error();
  // The kernel accepts only a change: disabling, or reversing a transition.
  if (state->enabled == enabled) return FakeErrno("writing enabled of " + name, EINVAL);
  if (enabled && !state->transition) return FakeErrno("writing enabled of " + name, EINVAL);
  int polls = ScriptFor(name).disable_polls;
  polls_left_[name] = polls;
  LP_TRY(WriteText(PatchDir(name) / "enabled", enabled ? "1\n" : "0\n"));
  LP_TRY(WriteText(PatchDir(name) / "transition", "1\n"));
  if (polls == 0) return CompleteTransition(name);
  return Ok();
}

Status FakeLivepatchKernel::UnloadModule(const std::string& module_name) {
  calls_.push_back("unload " + module_name);
  if (int err = ScriptFor(module_name).unload_errno) return FakeErrno("delete_module " + module_name, err);
  std::error_code ec;
  if (!fs::exists(root_ / "module" / module_name, ec)) return FakeErrno("delete_module " + module_name, ENOENT);
  // A livepatch module cannot go while its patch is still registered.
  if (fs::exists(PatchDir(module_name), ec)) return FakeErrno("delete_module " + module_name, EBUSY);
  fs::remove_all(root_ / "module" / module_name, ec);
  return Ok();
}

Expected<std::vector<std::string>> FakeLivepatchKernel::ListPatches() {
  return ListPatchDirs(root_ / "kernel" / "livepatch");
}

// The fake identifies modules by content (text modules carry no build id).
Expected<bool> FakeLivepatchKernel::LoadedModuleMatches(const std::string& module_name,
                                                        std::string_view module_bytes) {
  auto loaded = ReadFile(root_ / "module" / module_name / ".sha256", 4096);
  if (!loaded) return loaded.error().WithContext("identity of the loaded module " + module_name);
  return *loaded == Sha256Hex(module_bytes);
}

Status FakeLivepatchKernel::Probe() {
  if (!supported_) return MakeError(ErrorCode::kUnsupported, "fake kernel without livepatch");
  return Ok();
}

}  // namespace lp::patchd
