#include "patchbuild/build/command.hpp"

#include <gtest/gtest.h>

#include "patchbuild/build/file_lock.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::patchbuild::tree {
namespace {

TEST(RunCommand, CapturesStdoutAndStderrInOrder) {
  auto r = RunCommand(Command({"sh", "-c", "echo one; echo two >&2; echo three"}));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->output, "one\ntwo\nthree\n");
}

TEST(RunCommand, ReportsExitStatusAndSignal) {
  auto r = RunCommand(Command({"sh", "-c", "exit 3"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 3);
  auto killed = RunCommand(Command({"sh", "-c", "kill -9 $$"}));
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->exit_code, 128 + 9);
}

TEST(RunCommand, ArgumentsAreNotInterpretedByAShell) {
  auto r = RunCommand(Command({"echo", "$HOME; rm -rf /", "a  b"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->output, "$HOME; rm -rf / a  b\n");
}

TEST(RunCommand, RunsInTheGivenDirectoryWithTheGivenEnvironment) {
  lp::testing::TempDir dir;
  CommandSpec spec = Command({"sh", "-c", "pwd; echo $FOO"});
  spec.cwd = dir.path();
  spec.env = std::vector<std::string>{"FOO=bar", "PATH=/usr/bin:/bin"};
  auto r = RunCommand(spec);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->output, dir.path().string() + "\nbar\n");
}

TEST(RunCommand, MissingProgramIsAnError) {
  auto r = RunCommand(Command({"/nonexistent/program"}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("/nonexistent/program"), std::string::npos);
}

TEST(RunCommand, KeepsHeadAndTailOfHugeOutput) {
  CommandSpec spec = Command({"sh", "-c", "echo FIRST; yes middle | head -n 100000; echo LAST"});
  spec.max_output = 4096;
  auto r = RunCommand(spec);
  ASSERT_TRUE(r);
  EXPECT_LE(r->output.size(), 4096u + 64u);
  EXPECT_EQ(r->output.rfind("FIRST", 0), 0u);
  EXPECT_NE(r->output.find("truncated"), std::string::npos);
  EXPECT_EQ(r->output.substr(r->output.size() - 5), "LAST\n");
}

TEST(CleanBuildEnvironment, DropsVariablesThatChangeKbuild) {
  ::setenv("KCFLAGS", "-O0", 1);
  ::setenv("MAKEFLAGS", "-j99", 1);
  auto env = CleanBuildEnvironment({"EXTRA=1"});
  for (const auto& e : env) {
    EXPECT_NE(e.rfind("KCFLAGS=", 0), 0u);
    EXPECT_NE(e.rfind("MAKEFLAGS=", 0), 0u);
  }
  EXPECT_EQ(env.back(), "EXTRA=1");
  ::unsetenv("KCFLAGS");
  ::unsetenv("MAKEFLAGS");
}

TEST(FileLock, SecondHolderIsRefusedUntilTheFirstLetsGo) {
  lp::testing::TempDir dir;
  {
    auto first = FileLock::Acquire(dir / "lock");
    ASSERT_TRUE(first) << first.error().message;
    // flock is per open file description: a second open in this process conflicts too.
    auto second = FileLock::TryAcquire(dir / "lock");
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, ErrorCode::kConflict);
  }
  EXPECT_TRUE(FileLock::TryAcquire(dir / "lock"));
}

}  // namespace
}  // namespace lp::patchbuild::tree
