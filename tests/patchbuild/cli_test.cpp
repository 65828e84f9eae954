// keys init -> bundle -> inspect through cli::Main (and the real binary).
#include "patchbuild/cli.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "common/bundle.hpp"
#include "patchbuild/module_sign.hpp"
#include "tests/patchbuild/test_module.hpp"

namespace lp::patchbuild {
namespace {

constexpr const char* kBuildId = "eb4fbcd037e7253717950bf2b93bd5566f47c56f";

struct CliResult {
  int code;
  std::string out, err;
};

CliResult RunCli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = cli::Main(args, cli::Io{out, err});
  return {code, out.str(), err.str()};
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto init = RunCli({"keys", "init", Path("keys")});
    ASSERT_EQ(init.code, cli::kExitOk) << init.err;
    module_ = testing::MakeFakeModule(dir_.path(), "lp-demo.ko", "lp_demo");
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  std::vector<std::string> BundleArgs(const std::string& out) const {
    return {"bundle", "--module", module_.string(), "--target", "6.1.0-56-amd64", "--build-id",
            kBuildId, "--keys", Path("keys"), "--function", "vmlinux:cmdline_proc_show",
            "--function", "vmlinux:c_start,2", "--cve", "CVE-2024-1234", "--cve", "CVE-2024-5678",
            "--description", "demo fix", "--version", "4", "-o", Path(out)};
  }

  CliResult Inspect(const std::string& bundle, std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"inspect", Path(bundle), "--root", Path("keys/root.pub")};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCli(args);
  }

  testing::TempDir dir_;
  std::filesystem::path module_;
};

TEST_F(CliTest, KeysBundleInspectRoundTrip) {
  auto b = RunCli(BundleArgs("x.bundle"));
  ASSERT_EQ(b.code, cli::kExitOk) << b.err;
  auto human = Inspect("x.bundle");
  ASSERT_EQ(human.code, cli::kExitOk) << human.err;
  for (const char* want : {"lp_demo version 4", kBuildId, "vmlinux:c_start,2", "CVE-2024-5678",
                           "module sig:  PKCS#7", "demo fix", "(verified)"})
    EXPECT_NE(human.out.find(want), std::string::npos) << want << "\n" << human.out;

  auto json = Inspect("x.bundle", {"--json", "--extract", Path("out")});
  ASSERT_EQ(json.code, cli::kExitOk) << json.err;
  auto manifest = ParseManifest(json.out);
  ASSERT_TRUE(manifest.has_value()) << manifest.error().message;
  EXPECT_EQ(manifest->module_name, "lp_demo");
  EXPECT_EQ(manifest->module_file, "lp-demo.ko");
  EXPECT_EQ(manifest->target.build_id, kBuildId);
  EXPECT_EQ(manifest->version, 4u);
  EXPECT_EQ(manifest->functions.size(), 2u);
  auto extracted = ReadFile(dir_ / "out" / "lp-demo.ko");
  ASSERT_TRUE(extracted.has_value());
  EXPECT_EQ(Sha256Hex(*extracted), manifest->module_sha256);
  // The shipped module is the original plus the kernel module signature.
  auto sig = ParseModuleSignature(*extracted);
  ASSERT_TRUE(sig.has_value()) << sig.error().message;
  EXPECT_EQ(extracted->substr(0, sig->content_size), *ReadFile(module_));
}

TEST_F(CliTest, FlippedBytesMakeInspectFailNamingWhatFailed) {
  ASSERT_EQ(RunCli(BundleArgs("x.bundle")).code, cli::kExitOk);
  std::string bundle = *ReadFile(dir_ / "x.bundle");
  auto flip_and_inspect = [&](std::size_t offset) {
    std::string t = bundle;
    t[offset] ^= 0x20;
    EXPECT_TRUE(WriteFileAtomic(dir_ / "t.bundle", t).has_value());
    return Inspect("t.bundle");
  };
  auto in_module = flip_and_inspect(bundle.find("patched_function"));
  EXPECT_EQ(in_module.code, cli::kExitError);
  EXPECT_NE(in_module.err.find("module sha256"), std::string::npos) << in_module.err;
  auto in_manifest = flip_and_inspect(bundle.find("demo fix"));
  EXPECT_EQ(in_manifest.code, cli::kExitError);
  EXPECT_NE(in_manifest.err.find("manifest signature"), std::string::npos) << in_manifest.err;
  auto in_keys = flip_and_inspect(bundle.find("\"role\":\"portal\""));
  EXPECT_EQ(in_keys.code, cli::kExitError);
  EXPECT_NE(in_keys.err.find("keys document"), std::string::npos) << in_keys.err;
  for (std::size_t i = 0; i < bundle.size(); i += 97) {
    auto r = flip_and_inspect(i);
    ASSERT_EQ(r.code, cli::kExitError) << "flip at " << i << " accepted";
    EXPECT_NE(r.err.find("patchbuild inspect: "), std::string::npos);
    EXPECT_GT(r.err.size(), std::string("patchbuild inspect: ").size() + 5) << r.err;
  }
  auto wrong_root = RunCli({"inspect", Path("x.bundle"), "--root", Path("keys/patch.pub")});
  EXPECT_EQ(wrong_root.code, cli::kExitError);
  EXPECT_NE(wrong_root.err.find("keys document signature"), std::string::npos);
}

TEST_F(CliTest, BundleErrorsEarlyAndLeavesNoOutput) {
  auto expect_error = [&](std::vector<std::string> args, const std::string& needle) {
    auto r = RunCli(args);
    EXPECT_EQ(r.code, cli::kExitError) << needle;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "want '" << needle << "' in: " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "bad.bundle")) << needle;
  };
  auto with = [&](const std::string& flag, const std::string& value) {
    auto args = BundleArgs("bad.bundle");
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == flag) args[i + 1] = value;
    return args;
  };
  expect_error(with("--module", Path("missing.ko")), "missing.ko");
  expect_error(with("--keys", Path("nokeys")), "patch.key");
  expect_error(with("--build-id", "xyz"), "--build-id must be hex");
  expect_error(with("--function", "no_colon"), "expected OBJ:NAME[,SYMPOS]");
  expect_error(with("--function", "vmlinux:f,x"), "SYMPOS must be a number");
  expect_error(with("--cve", "CVE-1"), "cves[0]");
  auto both = BundleArgs("bad.bundle");
  both.insert(both.end(), {"--vmlinuz", "/nonexistent"});
  expect_error(both, "exactly one of --vmlinuz and --build-id");
  auto missing_target = BundleArgs("bad.bundle");
  missing_target.erase(missing_target.begin() + 3, missing_target.begin() + 5);
  expect_error(missing_target, "target");

  // Already signed module: refused unless --no-module-sign.
  ASSERT_EQ(RunCli(BundleArgs("x.bundle")).code, cli::kExitOk);
  ASSERT_EQ(Inspect("x.bundle", {"--extract", Path("signed")}).code, cli::kExitOk);
  expect_error(with("--module", Path("signed/lp-demo.ko")), "already carries a kernel module signature");
  auto as_is = with("--module", Path("signed/lp-demo.ko"));
  as_is.push_back("--no-module-sign");
  auto ok = RunCli(as_is);
  EXPECT_EQ(ok.code, cli::kExitOk) << ok.err;
  std::filesystem::remove(dir_ / "bad.bundle");

  // A broken patch key is reported by file name.
  ASSERT_TRUE(WriteFileAtomic(dir_ / "keys" / "patch.key", "garbage").has_value());
  expect_error(BundleArgs("bad.bundle"), "patch.key");
}

TEST_F(CliTest, KeysInitRefusesNonEmptyDirectory) {
  auto r = RunCli({"keys", "init", Path("keys")});
  EXPECT_EQ(r.code, cli::kExitError);
  EXPECT_NE(r.err.find("not empty"), std::string::npos) << r.err;
  EXPECT_EQ(RunCli({"keys", "rotate", Path("k2")}).code, cli::kExitError);
  EXPECT_EQ(RunCli({"keys", "init", Path("k3"), "--expires-days", "abc"}).code, cli::kExitError);
}

TEST_F(CliTest, DispatchAndHelp) {
  EXPECT_EQ(RunCli({}).code, cli::kExitError);
  auto help = RunCli({"--help"});
  EXPECT_EQ(help.code, cli::kExitOk);
  EXPECT_NE(help.out.find("inspect"), std::string::npos);
  auto unknown = RunCli({"frobnicate"});
  EXPECT_EQ(unknown.code, cli::kExitError);
  EXPECT_NE(unknown.err.find("unknown command 'frobnicate'"), std::string::npos);
  EXPECT_EQ(RunCli({"bundle", "--help"}).code, cli::kExitOk);
  EXPECT_EQ(RunCli({"inspect"}).code, cli::kExitError);
}

// The real executable: exit codes, and GNU tar lists what it writes.
TEST_F(CliTest, BinaryRoundTripAndTarListing) {
  std::string bin = PATCHBUILD_BIN;
  std::string args;
  for (const auto& a : BundleArgs("bin.bundle")) args += " '" + a + "'";
  auto b = testing::Run(bin + args);
  ASSERT_EQ(b.status, 0) << b.output;
  auto list = testing::Run("tar -tf " + Path("bin.bundle"));
  EXPECT_EQ(list.output, "manifest.json\nmanifest.sig\nkeys.json\nkeys.json.sig\nlp-demo.ko\n");
  auto ok = testing::Run(bin + " inspect " + Path("bin.bundle") + " --root " + Path("keys/root.pub"));
  EXPECT_EQ(ok.status, 0) << ok.output;
  auto wrong = testing::Run(bin + " inspect " + Path("bin.bundle") + " --root " + Path("keys/portal.pub"));
  EXPECT_EQ(WEXITSTATUS(wrong.status), 1) << wrong.output;
}

TEST_F(CliTest, BuildIdFromRealVmlinuz) {
  std::filesystem::path vmlinuz;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/boot", ec))
    if (e.path().filename().string().rfind("vmlinuz-", 0) == 0) vmlinuz = e.path();
  if (vmlinuz.empty()) GTEST_SKIP() << "no /boot/vmlinuz-*";
  auto args = BundleArgs("v.bundle");
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == "--build-id") args[i] = "--vmlinuz", args[i + 1] = vmlinuz.string();
  auto r = RunCli(args);
  ASSERT_EQ(r.code, cli::kExitOk) << r.err;
  auto wrong_arch = args;
  for (std::size_t i = 0; i + 1 < wrong_arch.size(); ++i)
    if (wrong_arch[i] == "-o") wrong_arch[i + 1] = Path("arm.bundle");
  wrong_arch.insert(wrong_arch.end(), {"--arch", "aarch64"});
  auto refused = RunCli(wrong_arch);
  EXPECT_EQ(refused.code, cli::kExitError);
  EXPECT_NE(refused.err.find("not --arch aarch64"), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "arm.bundle"));
  auto expected = BuildIdFromVmlinuz(vmlinuz);
  ASSERT_TRUE(expected.has_value());
  auto json = Inspect("v.bundle", {"--json"});
  ASSERT_EQ(json.code, cli::kExitOk) << json.err;
  EXPECT_NE(json.out.find("\"build_id\":\"" + *expected + "\""), std::string::npos) << json.out;
}

}  // namespace
}  // namespace lp::patchbuild
