// mender-style death test: "kill" the state machine at every state, before
// and after that state's side effect, restart it over the same directories,
// and check it converges: journal idle, the kernel and state.json agree, no
// module half loaded, the outcome the same as without a crash.
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "patchd/journal.hpp"
#include "tests/patchd/patch_world.hpp"

namespace lp::patchd::testing {
namespace {

enum class Scenario { kReplaceV1WithV2, kV2Stalls };

using CrashParam = std::tuple<Scenario, StepState, CrashPoint>;

void ExpectConverged(PatchWorld& w) {
  auto job = LoadJournal(w.config.paths.state_dir);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, StepState::kIdle);
  std::set<std::string> in_effect, recorded;
  auto patches = w.kernel->ListPatches();
  ASSERT_TRUE(patches);
  for (const auto& name : *patches) {
    auto st = w.kernel->ReadPatchState(name);
    ASSERT_TRUE(st);
    EXPECT_FALSE(st->transition) << name << " left in transition";
    if (st->InEffect()) in_effect.insert(name);
  }
  for (const auto& module : w.kernel->LoadedModules())
    EXPECT_TRUE(in_effect.count(module)) << module << " loaded but not a live patch";
  for (const auto& r : w.State().Applied(w.identity.build_id)) recorded.insert(r.module_name);
  EXPECT_EQ(in_effect, recorded);
}

class CrashTest : public ::testing::TestWithParam<CrashParam> {};

TEST_P(CrashTest, RestartConverges) {
  auto [scenario, crash_state, crash_point] = GetParam();
  PatchWorld w;
  w.Offer(w.MakePatch("lp-cmdline", 1, "lp_v1"));
  ASSERT_EQ(w.device->CheckInOnce()->result, "applied");

  if (scenario == Scenario::kV2Stalls) {
    w.Script("lp_v2", FakeScript{.transition_polls = -1, .disable_polls = 2});
    w.AddTask(42, 0, "stuck", "[<0>] stuck_fn+0x1/0x2\n");
  } else {
    w.Script("lp_v2", FakeScript{.transition_polls = 2});
  }
  w.portal->offers.clear();
  w.Offer(w.MakePatch("lp-cmdline", 2, "lp_v2"));
  w.portal->issued += 1;

  bool crashed = false;
  w.device->updater().set_crash_hook([&](StepState s, CrashPoint p) {
    if (crashed || s != crash_state || p != crash_point) return false;
    return crashed = true;
  });
  auto first = w.device->CheckInOnce();
  ASSERT_TRUE(crashed) << "scenario never reached " << StepStateName(crash_state);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().message, kCrashInjected);

  w.Restart();
  // Recovery alone (no new check-in) must already leave no half state.
  auto recovered = w.device->Recover();
  ASSERT_TRUE(recovered) << recovered.error().message;
  {
    SCOPED_TRACE("after Recover");
    ExpectConverged(w);
  }
  auto after = w.device->CheckInOnce();
  ASSERT_TRUE(after) << after.error().message;
  ExpectConverged(w);
  const PatchRecord* v2 = w.State().Find("lp-cmdline", 2);
  ASSERT_NE(v2, nullptr);
  if (scenario == Scenario::kReplaceV1WithV2) {
    EXPECT_EQ(v2->state, "applied");
    EXPECT_EQ(w.kernel->LoadedModules(), std::vector<std::string>{"lp_v2"});
  } else {
    EXPECT_EQ(v2->state, "stalled");
    EXPECT_EQ(w.kernel->LoadedModules(), std::vector<std::string>{"lp_v1"});
  }
  ASSERT_FALSE(w.portal->reports.empty());
  EXPECT_EQ(w.portal->reports.back()["version"], 2);
}

std::vector<CrashParam> AllCrashPoints() {
  const StepState common[] = {StepState::kPoll, StepState::kDownload, StepState::kVerify,
                              StepState::kLoad, StepState::kAwaitTransition, StepState::kReport};
  std::vector<CrashParam> out;
  for (Scenario sc : {Scenario::kReplaceV1WithV2, Scenario::kV2Stalls}) {
    std::vector<StepState> states(std::begin(common), std::end(common));
    states.push_back(sc == Scenario::kReplaceV1WithV2 ? StepState::kCommit : StepState::kRollback);
    for (StepState s : states)
      for (CrashPoint p : {CrashPoint::kBeforeEffect, CrashPoint::kAfterEffect}) out.emplace_back(sc, s, p);
  }
  return out;
}

std::string ParamName(const ::testing::TestParamInfo<CrashParam>& info) {
  auto [sc, s, p] = info.param;
  return std::string(sc == Scenario::kReplaceV1WithV2 ? "Replace_" : "Stall_") + StepStateName(s) +
         (p == CrashPoint::kBeforeEffect ? "_before" : "_after");
}

INSTANTIATE_TEST_SUITE_P(EveryState, CrashTest, ::testing::ValuesIn(AllCrashPoints()), ParamName);

void SetBootId(PatchWorld& w, int boot) {
  auto dir = w.config.paths.procfs_root / "sys" / "kernel" / "random";
  ASSERT_TRUE(MakeDirs(dir));
  ASSERT_TRUE(WriteFileAtomic(dir / "boot_id", "boot-" + std::to_string(boot) + "\n"));
}

TEST(CrashLoopTest, APatchThatKeepsCrashingTheMachineIsGivenUpAndReversed) {
  PatchWorld w;
  w.Script("lp_v1", FakeScript{.transition_polls = 3});
  w.Offer(w.MakePatch("lp-cmdline", 1, "lp_v1"));
  for (int boot = 0; boot < 4; ++boot) {
    SetBootId(w, boot);
    w.device->updater().set_crash_hook(
        [](StepState s, CrashPoint p) { return s == StepState::kAwaitTransition && p == CrashPoint::kBeforeEffect; });
    auto r = w.device->CheckInOnce();
    ASSERT_FALSE(r) << "boot " << boot;
    w.Restart();
  }
  SetBootId(w, 4);
  auto r = w.device->Recover();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->result, "failed");
  EXPECT_NE(r->error.find("gave up"), std::string::npos);
  ExpectConverged(w);
  EXPECT_TRUE(w.kernel->LoadedModules().empty());
}

}  // namespace
}  // namespace lp::patchd::testing

namespace lp::patchd::testing {
namespace {

TEST(CrashLoopTest, KillsOnTheSameBootNeverGiveUpAPatch) {
  PatchWorld w;
  SetBootId(w, 1);
  w.Offer(w.MakePatch("lp-cmdline", 1, "lp_v1"));
  for (int kill = 0; kill < 8; ++kill) {
    w.device->updater().set_crash_hook(
        [](StepState s, CrashPoint p) { return s == StepState::kLoad && p == CrashPoint::kAfterEffect; });
    ASSERT_FALSE(w.device->CheckInOnce()) << "kill " << kill;
    w.Restart();
  }
  auto r = w.device->CheckInOnce();
  ASSERT_TRUE(r) << r.error().message;
  ExpectConverged(w);
  EXPECT_EQ(w.State().Find("lp-cmdline", 1)->state, "applied");
}

}  // namespace
}  // namespace lp::patchd::testing
