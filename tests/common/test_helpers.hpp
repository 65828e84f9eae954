// Helpers shared by the common tests: running a shell command and building
// a small signed world (root, patch and portal keys; a manifest; a bundle).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include "common/bundle.hpp"
#include "common/crypto.hpp"
#include "common/keys.hpp"
#include "common/manifest.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::testing {

struct CommandResult {
  int status = -1;
  std::string output;  // stdout only
};

inline CommandResult RunCommand(const std::string& cmd) {
  CommandResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

inline constexpr std::time_t kNow = 1795000000;  // 2026-11-18, fixed for repeatability

inline Ed25519Key NewKey() {
  auto k = Ed25519Key::Generate();
  EXPECT_TRUE(k.has_value());
  return std::move(*k);
}

inline Manifest SampleManifest(const std::string& module_bytes, const std::string& key_id) {
  Manifest m;
  m.patch_id = "lp-cmdline";
  m.version = 3;
  m.target = {"6.1.0-56-amd64", "0123456789abcdef0123456789abcdef01234567", "x86_64"};
  m.module_name = "lp_cmdline";
  m.module_file = "lp_cmdline.ko";
  m.module_sha256 = Sha256Hex(module_bytes);
  m.module_size = module_bytes.size();
  m.functions = {{"vmlinux", "cmdline_proc_show", 0}, {"vmlinux", "c_start", 2}};
  m.cves = {"CVE-2024-1234"};
  m.description = "Fix /proc/cmdline \"quoting\" \xc3\xa9";
  m.created = "2026-11-18T10:00:00Z";
  m.builder = "patchbuild test";
  m.signing_key_id = key_id;
  return m;
}

// Root-signed keys document + a bundle signed by its patch key.
struct SignedWorld {
  Ed25519Key root = NewKey();
  Ed25519Key patch = NewKey();
  Ed25519Key portal = NewKey();
  KeysDocument doc;
  std::string keys_json, keys_sig;

  SignedWorld() {
    doc.version = 7;
    doc.expires = FormatTime(kNow + 86400);
    doc.keys = {{patch.KeyId(), KeyRole::kPatch, patch.PublicPem()},
                {portal.KeyId(), KeyRole::kPortal, portal.PublicPem()}};
    keys_json = SerializeKeysDocument(doc);
    keys_sig = *root.Sign(keys_json);
  }

  BundleParts Parts(const std::string& module, const Ed25519Key& signer) const {
    BundleParts parts;
    parts.manifest_json = SerializeManifest(SampleManifest(module, signer.KeyId()));
    parts.manifest_sig = *signer.Sign(parts.manifest_json);
    parts.keys_json = keys_json;
    parts.keys_sig = keys_sig;
    parts.module_bytes = module;
    return parts;
  }

  std::string Bundle(const std::string& module) const {
    auto packed = PackBundle(Parts(module, patch));
    EXPECT_TRUE(packed.has_value()) << packed.error().message;
    return packed.has_value() ? *packed : std::string();
  }
};

}  // namespace lp::testing

namespace lp::testing {

// A CVE id of 100,000 digits: std::regex recursed once per character on it
// and overflowed the stack (issue 10).
inline std::string HugeCveId() { return "CVE-2024-" + std::string(100000, '1'); }

// The sample manifest with a hostile field; serialized as it would be signed.
inline std::string HostileManifestJson(const std::string& key_id, std::size_t description_bytes = 0) {
  Manifest m = SampleManifest("module bytes", key_id);
  m.cves = {HugeCveId()};
  m.description = std::string(description_bytes, 'x');
  return SerializeManifest(m);
}

// An error message must be one line (it goes into logs and reports).
inline ::testing::AssertionResult IsOneLine(const std::string& message) {
  if (message.empty()) return ::testing::AssertionFailure() << "empty message";
  if (message.find('\n') != std::string::npos) return ::testing::AssertionFailure() << "multi-line: " << message;
  if (message.size() > 2048) return ::testing::AssertionFailure() << "over 2048 bytes: " << message.substr(0, 200);
  return ::testing::AssertionSuccess();
}

}  // namespace lp::testing
