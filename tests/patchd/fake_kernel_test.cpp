#include "patchd/fake_livepatch_kernel.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "common/file_util.hpp"
#include "patchd/apply_engine.hpp"
#include "patchd/sysfs_livepatch_kernel.hpp"
#include "patchd/transition.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::patchd {
namespace {

class FakeKernelTest : public ::testing::Test {
 protected:
  UniqueFd Module(const std::string& name, bool replace = true) {
    auto path = dir_ / (name + ".ko");
    EXPECT_TRUE(WriteFileAtomic(path, FakeLivepatchKernel::MakeTextModule(name, replace)));
    auto fd = OpenReadOnly(path);
    EXPECT_TRUE(fd);
    return std::move(*fd);
  }
  lp::testing::TempDir dir_;
  FakeLivepatchKernel kernel_{dir_ / "sys"};
};

TEST_F(FakeKernelTest, LoadWritesTheSysfsLayoutTheRealReaderParses) {
  ASSERT_TRUE(kernel_.LoadModule(Module("lp_a").get(), {}));
  SystemPaths paths;
  paths.sysfs_root = dir_ / "sys";
  SysfsLivepatchKernel real(paths);
  ASSERT_TRUE(real.Probe());
  auto list = real.ListPatches();
  ASSERT_TRUE(list);
  EXPECT_EQ(*list, std::vector<std::string>{"lp_a"});
  auto state = real.ReadPatchState("lp_a");
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_TRUE(state->InEffect());
  ASSERT_EQ(state->objects.size(), 1u);
  EXPECT_EQ(state->objects[0].name, "vmlinux");
  ASSERT_EQ(state->objects[0].functions.size(), 1u);
  EXPECT_EQ(state->objects[0].functions[0].name, "cmdline_proc_show");
  EXPECT_EQ(kernel_.LoadedModules(), std::vector<std::string>{"lp_a"});
}

TEST_F(FakeKernelTest, TransitionStaysOneForScriptedPolls) {
  kernel_.SetScript("lp_a", FakeScript{.transition_polls = 3});
  ASSERT_TRUE(kernel_.LoadModule(Module("lp_a").get(), {}));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(kernel_.ReadPatchState("lp_a")->transition) << i;
  EXPECT_FALSE(kernel_.ReadPatchState("lp_a")->transition);
}

TEST_F(FakeKernelTest, ScriptedLoadErrorAndBusyUnload) {
  kernel_.SetScript("lp_b", FakeScript{.load_errno = EPERM});
  auto st = kernel_.LoadModule(Module("lp_b").get(), {});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kPermission);
  ASSERT_TRUE(kernel_.LoadModule(Module("lp_a").get(), {}));
  EXPECT_FALSE(kernel_.UnloadModule("lp_a"));  // still enabled
  ASSERT_TRUE(kernel_.SetEnabled("lp_a", false));
  EXPECT_EQ(kernel_.ReadPatchState("lp_a").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(kernel_.UnloadModule("lp_a"));
  EXPECT_TRUE(kernel_.LoadedModules().empty());
  EXPECT_EQ(kernel_.UnloadModule("lp_a").error().code, ErrorCode::kNotFound);
}

TEST_F(FakeKernelTest, AtomicReplaceFreesOtherPatchesButKeepsTheirModules) {
  ASSERT_TRUE(kernel_.LoadModule(Module("lp_v1").get(), {}));
  ASSERT_TRUE(kernel_.LoadModule(Module("lp_v2").get(), {}));
  EXPECT_EQ(*kernel_.ListPatches(), std::vector<std::string>{"lp_v2"});
  EXPECT_EQ(kernel_.LoadedModules(), (std::vector<std::string>{"lp_v1", "lp_v2"}));
}

TEST_F(FakeKernelTest, NonReplacePatchesStack) {
  ASSERT_TRUE(kernel_.LoadModule(Module("lp_x", false).get(), {}));
  ASSERT_TRUE(kernel_.LoadModule(Module("lp_y", false).get(), {}));
  EXPECT_EQ(kernel_.ListPatches()->size(), 2u);
}

TEST_F(FakeKernelTest, LeftoverModuleWithoutPatchIsReloadedByTheEngine) {
  // As after a disable whose delete_module never ran (or a cut load).
  ASSERT_TRUE(kernel_.LoadModule(Module("lp_a").get(), {}));
  ASSERT_TRUE(kernel_.SetEnabled("lp_a", false));
  ASSERT_EQ(kernel_.LoadedModules(), std::vector<std::string>{"lp_a"});
  FakeClock clock;
  ApplyEngine engine(kernel_, clock, SystemPaths{}, ApplyOptions{});
  UniqueFd fd = Module("lp_a");
  char byte;
  ASSERT_EQ(::read(fd.get(), &byte, 1), 1);  // the offset must not matter
  ASSERT_TRUE(engine.Load("lp_a", true, fd.get()));
  EXPECT_TRUE(kernel_.ReadPatchState("lp_a")->InEffect());
}

TEST_F(FakeKernelTest, StateSurvivesANewInstance) {
  ASSERT_TRUE(kernel_.LoadModule(Module("lp_a").get(), {}));
  FakeLivepatchKernel again(dir_ / "sys");
  EXPECT_TRUE(again.ReadPatchState("lp_a")->InEffect());
  EXPECT_EQ(again.LoadedModules(), std::vector<std::string>{"lp_a"});
}

TEST_F(FakeKernelTest, WaitForTransitionIsBoundedByTheInjectedClock) {
  kernel_.SetScript("", FakeScript{.transition_polls = -1});
  ASSERT_TRUE(kernel_.LoadModule(Module("lp_a").get(), {}));
  FakeClock clock;
  auto wait = WaitForTransition(kernel_, clock, "lp_a", 5000, 100);
  ASSERT_TRUE(wait);
  EXPECT_FALSE(wait->finished);
  EXPECT_EQ(clock.NowMs(), 5000);
}

TEST(BlockingTasksTest, NamesTasksNotYetInTheTargetState) {
  lp::testing::TempDir dir;
  auto task = [&](const std::string& pid, int state, const std::string& comm, const std::string& stack) {
    auto d = dir / "proc" / pid;
    ASSERT_TRUE(MakeDirs(d));
    ASSERT_TRUE(WriteFileAtomic(d / "patch_state", std::to_string(state) + "\n"));
    ASSERT_TRUE(WriteFileAtomic(d / "comm", comm + "\n"));
    if (!stack.empty()) {
      ASSERT_TRUE(WriteFileAtomic(d / "stack", stack));
    }
  };
  task("1", 1, "init", "");
  task("42", 0, "stuck_worker", "[<0>] msleep+0x2d/0x40\n[<0>] worker_fn+0x10/0x20\n");
  task("77", -1, "idle", "");
  auto blocking = FindBlockingTasks(dir / "proc", 1);
  ASSERT_EQ(blocking.size(), 1u);
  EXPECT_EQ(blocking[0], "pid 42 comm stuck_worker: [<0>] msleep+0x2d/0x40 | [<0>] worker_fn+0x10/0x20");
  EXPECT_EQ(FindBlockingTasks(dir / "proc", 0).size(), 1u);  // init, when unpatching
}


// Issue 10: the real kernel's identity check. Two small ELF files stand in
// for module files; the "loaded" one's build-id note is placed where the
// kernel shows it (<sysfs>/module/NAME/notes/.note.gnu.build-id).
class SysfsModuleIdentityTest : public ::testing::Test {
 protected:
  // Builds an ELF with (or without) a GNU build id; "" when no toolchain.
  std::string Elf(const std::string& name, const std::string& body, bool build_id = true) {
    auto src = dir_ / (name + ".c");
    auto out = dir_ / (name + ".so");
    EXPECT_TRUE(WriteFileAtomic(src, body + "\n"));
    std::string cmd = "cc -shared -nostdlib -Wl,--build-id=" + std::string(build_id ? "sha1" : "none") + " -o " +
                      out.string() + " " + src.string() + " 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) return "";
    auto bytes = ReadFile(out);
    return bytes ? *bytes : "";
  }
  bool Install(const std::string& name, const std::string& module) {
    auto dir = dir_ / "sys" / "module" / module / "notes";
    EXPECT_TRUE(MakeDirs(dir));
    std::string cmd = "objcopy -O binary --only-section=.note.gnu.build-id " + (dir_ / (name + ".so")).string() +
                      " " + (dir / ".note.gnu.build-id").string() + " 2>/dev/null";
    return std::system(cmd.c_str()) == 0;
  }
  lp::testing::TempDir dir_;
};

TEST_F(SysfsModuleIdentityTest, SameBuildIdMatchesAnythingElseDoesNot) {
  const std::string ours = Elf("ours", "int patched(void) { return 1; }");
  const std::string theirs = Elf("theirs", "int patched(void) { return 2; }");
  const std::string anonymous = Elf("anonymous", "int patched(void) { return 3; }", false);
  if (ours.empty() || theirs.empty() || anonymous.empty()) GTEST_SKIP() << "no cc to build test ELF files";
  ASSERT_TRUE(Install("ours", "lp_a"));
  SystemPaths paths;
  paths.sysfs_root = dir_ / "sys";
  SysfsLivepatchKernel kernel(paths);
  auto same = kernel.LoadedModuleMatches("lp_a", ours);
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_TRUE(*same);
  auto other = kernel.LoadedModuleMatches("lp_a", theirs);
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_FALSE(*other);
  EXPECT_FALSE(kernel.LoadedModuleMatches("lp_a", anonymous));      // no build id: cannot prove
  EXPECT_FALSE(kernel.LoadedModuleMatches("lp_gone", ours));        // not loaded
  EXPECT_FALSE(kernel.LoadedModuleMatches("lp_a", "not an ELF"));
}

TEST_F(FakeKernelTest, LoadedModuleMatchesOnlyTheBytesItLoaded) {
  ASSERT_TRUE(kernel_.LoadModule(Module("lp_a").get(), {"lp_a", "", true}));
  auto same = kernel_.LoadedModuleMatches("lp_a", FakeLivepatchKernel::MakeTextModule("lp_a"));
  ASSERT_TRUE(same);
  EXPECT_TRUE(*same);
  auto other = kernel_.LoadedModuleMatches("lp_a", FakeLivepatchKernel::MakeTextModule("lp_a", false));
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);
  EXPECT_FALSE(kernel_.LoadedModuleMatches("lp_b", FakeLivepatchKernel::MakeTextModule("lp_b")));
}

TEST_F(FakeKernelTest, EngineLoadRefusesAForeignModuleOfTheSameName) {
  ASSERT_TRUE(kernel_.LoadModule(Module("lp_a", false).get(), {"lp_a", "", false}));
  FakeClock clock;
  ApplyEngine engine(kernel_, clock, SystemPaths{}, ApplyOptions{});
  auto st = engine.Load("lp_a", true, Module("lp_a", true).get());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kConflict);
  EXPECT_NE(st.error().message.find("rmmod lp_a"), std::string::npos) << st.error().message;
  EXPECT_TRUE(engine.Load("lp_a", false, Module("lp_a", false).get()));  // its own: already loaded
}

}  // namespace
}  // namespace lp::patchd
