// A device in a TempDir: fake sysfs/procfs trees, a state dir, real keys
// (root, patch, portal), a FakePortal, a FakeClock, and helpers that make
// signed manifests and bundles for fake modules.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/bundle.hpp"
#include "common/file_util.hpp"
#include "common/keys.hpp"
#include "patchd/device.hpp"
#include "patchd/fake_livepatch_kernel.hpp"
#include "tests/patchd/fake_portal.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::patchd::testing {

inline Ed25519Key NewKey() {
  auto k = Ed25519Key::Generate();
  EXPECT_TRUE(k.has_value());
  return std::move(*k);
}

struct SignedPatch {
  Manifest manifest;
  std::string manifest_json, manifest_sig, module;
  Offer offer() const { return {manifest_json, manifest_sig, manifest.module_sha256}; }
};

class PatchWorld {
 public:
  PatchWorld() {
    keys_doc_.version = 1;
    keys_doc_.expires = FormatTime(clock.WallNow() + 30 * 86400);
    keys_doc_.keys = {{patch_key.KeyId(), KeyRole::kPatch, patch_key.PublicPem()},
                      {portal_key.KeyId(), KeyRole::kPortal, portal_key.PublicPem()}};
    keys_json = SerializeKeysDocument(keys_doc_);
    keys_sig = *root_key.Sign(keys_json);
    portal = std::make_unique<FakePortal>(portal_key, keys_json, keys_sig);
    portal->issued = clock.WallNow() - 10;
    portal->expires = clock.WallNow() + 3600;
    EXPECT_TRUE(WriteFileAtomic(dir / "root.pem", root_key.PublicPem()));
    config.root_key = dir / "root.pem";
    config.paths.sysfs_root = dir / "sys";
    config.paths.procfs_root = dir / "proc";
    config.paths.state_dir = dir / "state";
    config.kernel = "fake:" + (dir / "sys").string();
    config.portal_url = "http://127.0.0.1:1";  // never used: the fake portal is injected
    config.enroll_token = "tok";
    config.transition_timeout_s = 5;
    EXPECT_TRUE(MakeDirs(config.paths.procfs_root));
    Restart();
  }

  // A fresh kernel instance and Device over the same directories, as after
  // kill -9 (script carries over: it models the world, not patchd).
  void Restart(bool with_portal = true) {
    device.reset();
    kernel = std::make_unique<FakeLivepatchKernel>(dir / "sys");
    for (const auto& [name, script] : scripts) kernel->SetScript(name, script);
    DeviceOverrides o;
    o.kernel = kernel.get();
    o.portal = with_portal ? portal.get() : nullptr;
    o.clock = &clock;
    o.identity = identity;
    o.kernel_log = [](const std::string& module) {
      return std::vector<std::string>{"livepatch: '" + module + "': not finished"};
    };
    auto d = Device::Open(config, o);
    ASSERT_TRUE(d) << d.error().message;
    device = std::move(*d);
  }

  void Script(const std::string& module, FakeScript s) {
    scripts[module] = s;
    kernel->SetScript(module, s);
  }

  SignedPatch MakePatch(const std::string& patch_id, std::uint64_t version, const std::string& module_name,
                        bool replace = true, const KernelIdentity* target = nullptr) const {
    SignedPatch p;
    p.module = FakeLivepatchKernel::MakeTextModule(module_name, replace);
    Manifest& m = p.manifest;
    m.patch_id = patch_id;
    m.version = version;
    m.target = target ? *target : identity;
    m.module_name = module_name;
    m.module_file = module_name + ".ko";
    m.module_sha256 = Sha256Hex(p.module);
    m.module_size = p.module.size();
    m.replace = replace;
    m.functions = {{"vmlinux", "cmdline_proc_show", 0}};
    m.cves = {"CVE-2024-1234"};
    m.description = "test patch";
    m.created = "2026-11-20T10:00:00Z";
    m.builder = "patchd test";
    m.signing_key_id = patch_key.KeyId();
    p.manifest_json = SerializeManifest(m);
    p.manifest_sig = *patch_key.Sign(p.manifest_json);
    return p;
  }

  // A root-signed keys document of this version naming patch_key and the
  // given portal key: {keys.json, keys.json.sig}.
  std::pair<std::string, std::string> SignedKeys(std::uint64_t version, const Ed25519Key& portal_signer) const {
    KeysDocument doc = keys_doc_;
    doc.version = version;
    doc.keys = {{patch_key.KeyId(), KeyRole::kPatch, patch_key.PublicPem()},
                {portal_signer.KeyId(), KeyRole::kPortal, portal_signer.PublicPem()}};
    std::string json = SerializeKeysDocument(doc);
    return {json, *root_key.Sign(json)};
  }

  // Offers the patch through the portal (and serves its blob).
  void Offer(const SignedPatch& p) {
    portal->offers.push_back(p.offer());
    portal->blobs[p.manifest.module_sha256] = p.module;
  }

  std::filesystem::path WriteBundle(const SignedPatch& p) {
    BundleParts parts{p.manifest_json, p.manifest_sig, keys_json, keys_sig, p.module, p.manifest.module_file};
    auto path = dir / (p.manifest.module_name + ".bundle");
    EXPECT_TRUE(lp::WriteBundle(path, parts));
    return path;
  }

  // A task that has not switched to the target patch state (a stall's cause).
  void AddTask(int pid, int patch_state, const std::string& comm, const std::string& stack) {
    auto d = config.paths.procfs_root / std::to_string(pid);
    EXPECT_TRUE(MakeDirs(d));
    EXPECT_TRUE(WriteFileAtomic(d / "patch_state", std::to_string(patch_state) + "\n"));
    EXPECT_TRUE(WriteFileAtomic(d / "comm", comm + "\n"));
    EXPECT_TRUE(WriteFileAtomic(d / "stack", stack));
  }

  DeviceState State() const {
    auto s = LoadDeviceState(config.paths.state_dir);
    EXPECT_TRUE(s) << s.error().message;
    return s ? *s : DeviceState{};
  }

  bool InEffect(const std::string& module) { return kernel->ReadPatchState(module) && kernel->ReadPatchState(module)->InEffect(); }

  lp::testing::TempDir dir;
  FakeClock clock;
  Ed25519Key root_key = NewKey(), patch_key = NewKey(), portal_key = NewKey();
  std::string keys_json, keys_sig;
  KernelIdentity identity{"6.1.0-56-amd64", "0123456789abcdef0123456789abcdef01234567", "x86_64"};
  Config config;
  std::unique_ptr<FakePortal> portal;
  std::map<std::string, FakeScript> scripts;
  std::unique_ptr<FakeLivepatchKernel> kernel;
  std::unique_ptr<Device> device;

 private:
  KeysDocument keys_doc_;
};

}  // namespace lp::patchd::testing
