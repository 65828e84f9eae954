// Test PKI, bundles and a portal on a temporary data dir, shared by the
// eportal tests (and usable by patchd's integration tests: it only needs
// eportal_lib and lp_common).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/bundle.hpp"
#include "common/crypto.hpp"
#include "common/keys.hpp"
#include "eportal/portal.hpp"
#include "eportal/router.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::eportal::testing {

inline constexpr std::time_t kTestNow = 1795428000;  // 2026-11-23T10:00:00Z

inline KernelIdentity TestIdentity(std::string build_id = std::string(40, 'a')) {
  return {"6.1.0-56-amd64", std::move(build_id), "x86_64"};
}

// Root, patch-signing and portal keys, and the root-signed keys document.
struct TestPki {
  Ed25519Key root;
  Ed25519Key patch;
  Ed25519Key portal;
  std::string keys_json;
  std::string keys_sig;

  static TestPki Make();
  // Writes root.pub, keys.json, keys.json.sig, portal.key into dir.
  void WriteFiles(const std::filesystem::path& dir) const;
};

struct BundleSpec {
  std::string patch_id = "lp-cmdline";
  std::uint64_t version = 1;
  KernelIdentity target = TestIdentity();
  std::string module = "\x7f" "ELF fake livepatch module bytes";
  std::string module_name = "lp_cmdline";  // each version of a stream needs its own (module_file: NAME.ko)
  std::vector<std::string> cves = {"CVE-2024-1234"};
};

// A bundle signed by pki.patch and carrying pki's keys document.
std::string MakeBundle(const TestPki& pki, const BundleSpec& spec = {});

// A portal on a temp data dir, initialised with TestPki, clock fixed at
// kTestNow (tests move now_). Call() runs the pure router.
class PortalFixture : public ::testing::Test {
 protected:
  void SetUp() override;

  Response Call(const std::string& method, const std::string& target, const std::string& body = "",
                const std::string& token = "", std::map<std::string, std::string> headers = {});
  nlohmann::json CallJson(const std::string& method, const std::string& target, const nlohmann::json& body,
                          const std::string& token, int expect_status = 200);

  std::string CreateEnrollToken(const std::string& group);
  struct Enrolled {
    std::string device_id, credential;
  };
  Enrolled Enroll(const std::string& group, const KernelIdentity& identity = TestIdentity());
  std::string AddUser(const std::string& name, const std::string& role, std::vector<std::string> groups = {});
  void ImportAndRelease(const BundleSpec& spec, const std::string& group);

  lp::testing::TempDir tmp_;
  std::filesystem::path data_dir_;
  TestPki pki_ = TestPki::Make();
  std::unique_ptr<Portal> portal_;
  std::string admin_token_;
  std::time_t now_ = kTestNow;
};

}  // namespace lp::eportal::testing
