// `patchbuild build` without a kernel tree: the report (JSON and human) and
// every input error that is caught before anything is compiled, against a
// fake target (headers dir, vmlinuz) and real keys made by `keys init`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "common/file_util.hpp"
#include "patchbuild/build_report.hpp"
#include "patchbuild/cli.hpp"
#include "tests/patchbuild/test_module.hpp"

namespace lp::patchbuild {
namespace {

namespace fs = std::filesystem;

BuildReport SampleReport() {
  BuildReport r;
  r.bundle = "out/lp_fix.bundle";
  r.patch_id = "lp_fix";
  r.version = 3;
  r.release = "6.1.0-99-amd64";
  r.build_id = "ab12";
  r.stages = {{"prepare", 0.5}, {"compile", 4.25}, {"sign", 0.01}};
  r.total_seconds = 4.76;
  ObjectReport o;
  o.object = "vmlinux";
  o.changed.push_back({"cmdline_proc_show", 0, SourceLocation{"fs/proc/cmdline.c", 7}});
  o.changed.push_back({"c_start", 2, std::nullopt});
  o.added.push_back({"fp_helper", 0, SourceLocation{"fs/proc/cmdline.c", 20}});
  o.refused.push_back({"proc_cmdline_init", "__init code (section .init.text) runs only at boot"});
  r.objects.push_back(o);
  r.proof.functions = 2;
  r.proof.instructions = 31;
  r.proof.module_functions = 1;
  r.proof.module_bytes = 120;
  return r;
}

TEST(BuildReport, JsonCarriesEveryFact) {
  auto j = nlohmann::json::parse(BuildReportJson(SampleReport()));
  EXPECT_EQ(j["bundle"], "out/lp_fix.bundle");
  EXPECT_EQ(j["patch_id"], "lp_fix");
  EXPECT_EQ(j["version"], 3);
  EXPECT_EQ(j["release"], "6.1.0-99-amd64");
  EXPECT_EQ(j["build_id"], "ab12");
  ASSERT_EQ(j["stages"].size(), 3u);
  EXPECT_EQ(j["stages"][1]["name"], "compile");
  EXPECT_DOUBLE_EQ(j["stages"][1]["seconds"].get<double>(), 4.25);
  EXPECT_DOUBLE_EQ(j["total_seconds"].get<double>(), 4.76);
  const auto& o = j["objects"][0];
  EXPECT_EQ(o["object"], "vmlinux");
  EXPECT_EQ(o["changed"][0]["name"], "cmdline_proc_show");
  EXPECT_EQ(o["changed"][0]["sympos"], 0);
  EXPECT_EQ(o["changed"][0]["file"], "fs/proc/cmdline.c");
  EXPECT_EQ(o["changed"][0]["line"], 7);
  EXPECT_EQ(o["changed"][1]["sympos"], 2);
  EXPECT_TRUE(o["changed"][1]["file"].is_null());  // no DWARF: unknown, not invented
  EXPECT_EQ(o["new"][0]["name"], "fp_helper");
  EXPECT_EQ(o["new"][0]["line"], 20);
  EXPECT_FALSE(o["new"][0].contains("sympos"));
  EXPECT_EQ(o["refused"][0]["name"], "proc_cmdline_init");
  EXPECT_NE(o["refused"][0]["reason"].get<std::string>().find("__init"), std::string::npos);
  EXPECT_EQ(j["proof"]["functions"], 2);
  EXPECT_EQ(j["proof"]["instructions"], 31);
  EXPECT_EQ(j["proof"]["module_functions"], 1);
  EXPECT_EQ(j["proof"]["module_bytes"], 120);
}

TEST(BuildReport, HumanSummaryPrintsTheSameFacts) {
  std::ostringstream out;
  PrintBuildReport(out, SampleReport());
  const std::string s = out.str();
  for (const char* want :
       {"wrote out/lp_fix.bundle: lp_fix version 3 for 6.1.0-99-amd64 (build id ab12)",
        "replaced  vmlinux:cmdline_proc_show (sympos 0)  fs/proc/cmdline.c:7",
        "replaced  vmlinux:c_start (sympos 2)  file unknown", "new       vmlinux:fp_helper  fs/proc/cmdline.c:20",
        "refused   vmlinux:proc_cmdline_init: __init code", "proof: 2 functions, 31 instructions match the shipped kernel",
        "; 1 module functions, 120 bytes match the shipped modules", "stages: prepare 0.50s compile 4.25s sign 0.01s; total 4.76s"})
    EXPECT_NE(s.find(want), std::string::npos) << "want '" << want << "' in:\n" << s;
}

TEST(BuildReport, ErrorJson) {
  auto j = nlohmann::json::parse(BuildErrorJson("x.patch: line 3: bad \"hunk\""));
  EXPECT_EQ(j.size(), 1u);
  EXPECT_EQ(j["error"], "x.patch: line 3: bad \"hunk\"");
}

FunctionDiff Fn(std::string name, ChangeStatus status, std::string section, std::optional<SourceLocation> src) {
  FunctionDiff f;
  f.name = std::move(name);
  f.status = status;
  f.section = std::move(section);
  f.source = std::move(src);
  return f;
}

TEST(BuildReport, ObjectsFromThePipelineResult) {
  generate::PipelineResult built;
  built.tree_dir = "/cache/6.1.0-99-fake-0123/linux";
  generate::GeneratedObject o;
  o.object_name = "vmlinux";
  o.replaced = {{"show_map", "livepatch_show_map", 2}};
  o.new_functions = {"helper"};
  o.diff.functions = {
      Fn("show_map.isra.0", ChangeStatus::Changed, ".text.show_map.isra.0", std::nullopt),
      Fn("helper", ChangeStatus::New, ".text.helper", SourceLocation{"fs/proc/task_mmu.c", 40}),
      Fn("unchanged", ChangeStatus::Same, ".text.unchanged", SourceLocation{"fs/proc/task_mmu.c", 1}),
      Fn("proc_setup", ChangeStatus::Changed, ".init.text", std::nullopt),
      Fn("show_map", ChangeStatus::Changed, ".text.show_map",
         SourceLocation{"/cache/6.1.0-99-fake-0123/linux/fs/proc/task_mmu.c", 300})};
  o.diff.functions[0].original_name = "show_map.isra.1";
  built.patch.objects.push_back(o);
  auto objects = ReportObjects(built);
  ASSERT_EQ(objects.size(), 1u);
  const ObjectReport& r = objects[0];
  ASSERT_EQ(r.changed.size(), 1u);
  EXPECT_EQ(r.changed[0].name, "show_map");
  EXPECT_EQ(r.changed[0].sympos, 2u);
  ASSERT_TRUE(r.changed[0].source.has_value());
  EXPECT_EQ(r.changed[0].source->file, "fs/proc/task_mmu.c");  // made relative to the tree
  EXPECT_EQ(r.changed[0].source->line, 300u);
  ASSERT_EQ(r.added.size(), 1u);
  EXPECT_EQ(r.added[0].source->line, 40u);
  // Changed but in neither list: refused, __init code with its reason.
  ASSERT_EQ(r.refused.size(), 2u);
  EXPECT_EQ(r.refused[0].name, "show_map.isra.0");
  EXPECT_NE(r.refused[0].reason.find("not included in the patch"), std::string::npos) << r.refused[0].reason;
  EXPECT_EQ(r.refused[1].name, "proc_setup");
  EXPECT_NE(r.refused[1].reason.find("__init code"), std::string::npos) << r.refused[1].reason;
}

struct CliResult {
  int code;
  std::string out, err;
};

CliResult RunCli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = cli::Main(args, cli::Io{out, err});
  return {code, out.str(), err.str()};
}

std::string Makefile(int version, int patchlevel, int sublevel) {
  return "VERSION = " + std::to_string(version) + "\nPATCHLEVEL = " + std::to_string(patchlevel) +
         "\nSUBLEVEL = " + std::to_string(sublevel) + "\nEXTRAVERSION =\nNAME = Fake\n";
}

// A target whose files are fakes: enough for every check before the tree
// is prepared, never enough to compile.
class BuildCliErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RunCli({"keys", "init", Path("keys")}).code, cli::kExitOk);
    ASSERT_EQ(RunCli({"keys", "init", Path("other-keys")}).code, cli::kExitOk);
    ASSERT_TRUE(MakeDirs(dir_ / "headers").has_value());
    ASSERT_TRUE(WriteFileAtomic(dir_ / "headers" / "Makefile", Makefile(6, 1, 192)).has_value());
    ASSERT_TRUE(WriteFileAtomic(dir_ / "headers" / ".config", "CONFIG_X86_64=y\n").has_value());
    ASSERT_TRUE(WriteFileAtomic(dir_ / "headers" / ".kernelvariables", "CC = gcc-12\n").has_value());
    ASSERT_TRUE(WriteFileAtomic(dir_ / "vmlinuz", "not really a kernel").has_value());
    ASSERT_TRUE(MakeDirs(dir_ / "tree-5.10").has_value());
    ASSERT_TRUE(WriteFileAtomic(dir_ / "tree-5.10" / "Makefile", Makefile(5, 10, 0)).has_value());
    ASSERT_TRUE(WriteFileAtomic(dir_ / "fix.patch", "--- a/fs/proc/cmdline.c\n+++ b/fs/proc/cmdline.c\n"
                                                    "@@ -1,1 +1,1 @@\n-a\n+b\n")
                    .has_value());
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  std::vector<std::string> Args() const {
    return {"build", "--target", "6.1.0-99-fake", "--headers", Path("headers"), "--vmlinuz", Path("vmlinuz"),
            "--kernel-src", Path("tree-5.10"), "--patch", Path("fix.patch"), "--keys", Path("keys"),
            "--cache-dir", Path("cache"), "--name", "lp_bad", "-o", Path("out")};
  }

  static std::vector<std::string> With(std::vector<std::string> args, const std::string& flag,
                                       const std::string& value) {
    for (size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == flag) {
        args[i + 1] = value;
        return args;
      }
    args.insert(args.end(), {flag, value});
    return args;
  }

  static std::vector<std::string> Without(std::vector<std::string> args, const std::string& flag) {
    for (size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == flag) {
        args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
        break;
      }
    return args;
  }

  // Fails with one line on stderr naming `needle`, the same message as JSON
  // with --json, and nothing in OUTDIR.
  void ExpectRefused(const std::vector<std::string>& args, const std::string& needle) {
    auto r = RunCli(args);
    EXPECT_EQ(r.code, cli::kExitError) << needle;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "want '" << needle << "' in: " << r.err;
    EXPECT_EQ(r.err.rfind("patchbuild build: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(fs::exists(dir_ / "out")) << needle;
    auto json_args = args;
    json_args.push_back("--json");
    auto j = RunCli(json_args);
    EXPECT_EQ(j.code, cli::kExitError);
    auto parsed = nlohmann::json::parse(j.out, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(parsed.is_object()) << j.out;
    EXPECT_NE(parsed["error"].get<std::string>().find(needle), std::string::npos) << j.out;
    EXPECT_FALSE(fs::exists(dir_ / "out")) << needle;
  }

  testing::TempDir dir_;
};

TEST_F(BuildCliErrors, SourceTreeOfAnotherVersion) {
  ExpectRefused(Args(), "5.10.0");
  // Refused before anything was copied into the cache.
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "cache"))
    EXPECT_NE(e.path().filename(), "linux") << e.path();
}

TEST_F(BuildCliErrors, MalformedPatch) {
  const std::string bad = std::string(LP_SOURCE_DIR) + "/examples/bad/malformed.patch";
  ExpectRefused(With(Args(), "--patch", bad), "malformed.patch");
  ExpectRefused(With(Args(), "--patch", Path("no-such.patch")), "no-such.patch");
}

TEST_F(BuildCliErrors, MissingTargetFiles) {
  // No headers for the release (the default places), no vmlinuz, no config.
  auto no_headers = Args();
  no_headers.erase(no_headers.begin() + 3, no_headers.begin() + 5);
  ExpectRefused(With(no_headers, "--target", "0.0.0-no-such-release"), "0.0.0-no-such-release");
  ExpectRefused(With(Args(), "--vmlinuz", Path("no-vmlinuz")), "no-vmlinuz");
  ExpectRefused(With(Args(), "--config", Path("no-config")), "no-config");
  auto default_vmlinuz = Args();
  default_vmlinuz.erase(default_vmlinuz.begin() + 5, default_vmlinuz.begin() + 7);
  ExpectRefused(default_vmlinuz, "/boot/vmlinuz-6.1.0-99-fake");
}

TEST_F(BuildCliErrors, WrongPatchKey) {
  fs::copy_file(dir_ / "other-keys" / "patch.key", dir_ / "keys" / "patch.key",
                fs::copy_options::overwrite_existing);
  ExpectRefused(Args(), "patch.key is not the patch key keys.json certifies");
}

TEST_F(BuildCliErrors, ModuleCertificateNotOfTheKey) {
  // The override flags are what gets checked: another key with this certificate.
  ExpectRefused(With(With(Args(), "--module-key", Path("other-keys/module.key")), "--module-cert",
                     Path("keys/module.crt")),
                "module certificate does not match the module signing key");
  ExpectRefused(With(Args(), "--module-key", Path("missing.key")), "missing.key");
  fs::copy_file(dir_ / "other-keys" / "module.crt", dir_ / "keys" / "module.crt",
                fs::copy_options::overwrite_existing);
  ExpectRefused(Args(), "module certificate does not match the module signing key");
}

TEST_F(BuildCliErrors, UnsignedKeysDocument) {
  fs::remove(dir_ / "keys" / "keys.json.sig");
  ExpectRefused(Args(), "keys.json is not signed");
}

TEST_F(BuildCliErrors, KeysDocumentNotByItsRoot) {
  fs::copy_file(dir_ / "other-keys" / "root.pub", dir_ / "keys" / "root.pub", fs::copy_options::overwrite_existing);
  ExpectRefused(Args(), "root.pub");
}

TEST_F(BuildCliErrors, StubSystemMap) {
  // Debian's /boot/System.map-R, byte for byte in spirit: one line.
  ASSERT_TRUE(WriteFileAtomic(dir_ / "System.map", "ffffffffffffffff B The real System.map is in the "
                                                   "linux-image-<version>-dbg package\n")
                  .has_value());
  ExpectRefused(With(Args(), "--system-map", Path("System.map")), "-dbg");
  ExpectRefused(With(With(Args(), "--system-map", Path("System.map")), "--kallsyms", Path("k")),
                "at most one of --kallsyms and --system-map");
}

TEST_F(BuildCliErrors, InvalidModuleName) {
  // Refused first: before the source tree (of 5.10 here) is looked at, nothing cached.
  ExpectRefused(With(Args(), "--name", "Lp-Fix"), "--name: 'Lp-Fix' is not a module name");
  ExpectRefused(With(Args(), "--name", "2fix"), "--name: '2fix' is not a module name: it starts with a digit");
  ExpectRefused(With(Args(), "--name", std::string(42, 'a')), "42 characters, at most 41");
  ExpectRefused(With(Args(), "--name", ""), "--name: '' is not a module name: it is empty");
  EXPECT_FALSE(fs::exists(dir_ / "cache"));
}

TEST_F(BuildCliErrors, ModuleNameFromPatchIdAndVersion) {
  // A patch id with nothing left to name a module after: refused before the tree is looked at.
  ExpectRefused(With(Without(Args(), "--name"), "--patch-id", "+++"), "--patch-id (no --name given): patch id '+++'");
  EXPECT_FALSE(fs::exists(dir_ / "cache"));
  // No --name: lp_<id>_v<version>, so the name is no reason to refuse; the 5.10 tree still is.
  ExpectRefused(With(With(Without(Args(), "--name"), "--patch-id", "lp-cmdline"), "--version", "2"), "5.10.0");
}

TEST_F(BuildCliErrors, PatchIdOrCveTheManifestWouldRefuse) {
  // Refused before the tree (of 5.10 here) is looked at, with the manifest's rule.
  ExpectRefused(With(Args(), "--patch-id", "_lead"), "--patch-id: field 'patch_id': must be 1-128 of [A-Za-z0-9._-]");
  ExpectRefused(With(Args(), "--patch-id", "a b"), "--patch-id: field 'patch_id'");
  ExpectRefused(With(Args(), "--cve", "CVE-24-1"), "--cve: field 'cves[]': must be a CVE id (CVE-YYYY-NNNN)");
  EXPECT_FALSE(fs::exists(dir_ / "cache"));
}

TEST_F(BuildCliErrors, HelpListsTheFlags) {
  auto help = RunCli({"build", "--help"});
  EXPECT_EQ(help.code, cli::kExitOk);
  for (const char* flag : {"--json", "--module-key", "--module-cert", "--kallsyms", "--system-map", "--config",
                           "--headers", "--vmlinuz", "--name", "--patch-id", "--version"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
}

}  // namespace
}  // namespace lp::patchbuild
