// End-to-end behaviour of one device against FakeLivepatchKernel and
// FakePortal: apply, stall, refusals, kill switch, revert, replace, boot.
#include <gtest/gtest.h>

#include "patchd/journal.hpp"
#include "patchd/kernel_log.hpp"
#include "tests/patchd/patch_world.hpp"

namespace lp::patchd::testing {
namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class UpdaterTest : public ::testing::Test {
 protected:
  Job CheckIn() {
    auto job = world_.device->CheckInOnce();
    EXPECT_TRUE(job) << job.error().message;
    return job ? *job : Job{};
  }
  PatchWorld world_;
};

TEST_F(UpdaterTest, CheckInEnrollsDownloadsAppliesAndReports) {
  auto v1 = world_.MakePatch("lp-cmdline", 1, "lp_cmdline_v1");
  world_.Offer(v1);
  Job job = CheckIn();
  EXPECT_EQ(job.result, "applied") << job.error;
  EXPECT_TRUE(world_.InEffect("lp_cmdline_v1"));
  DeviceState s = world_.State();
  EXPECT_EQ(s.device_id, "d-1");
  ASSERT_EQ(s.Applied(world_.identity.build_id).size(), 1u);
  EXPECT_EQ(s.Applied(world_.identity.build_id)[0].cves, std::vector<std::string>{"CVE-2024-1234"});
  ASSERT_EQ(world_.portal->reports.size(), 1u);
  EXPECT_EQ(world_.portal->reports[0]["result"], "applied");
  EXPECT_TRUE(world_.portal->reports[0]["timings_ms"].contains("load"));
  EXPECT_TRUE(world_.portal->reports[0]["dmesg"].empty());
  EXPECT_EQ(LoadJournal(world_.config.paths.state_dir)->state, StepState::kIdle);
  // The next check-in reports it applied and changes nothing.
  job = CheckIn();
  EXPECT_TRUE(job.result.empty());
  ASSERT_EQ(world_.portal->requests.back().applied.size(), 1u);
  EXPECT_EQ(world_.portal->requests.back().applied[0].state, "applied");
  EXPECT_EQ(world_.portal->blob_fetches, 1);
}

TEST_F(UpdaterTest, StalledTransitionIsReversedAndNamesBlockingTasks) {
  world_.Script("lp_stuck", FakeScript{.transition_polls = -1});
  world_.AddTask(42, 0, "stuck_worker", "[<0>] msleep+0x2d/0x40\n[<0>] stuck_fn+0x10/0x20\n");
  world_.AddTask(43, 1, "fine", "");
  world_.Offer(world_.MakePatch("lp-stuck", 1, "lp_stuck"));
  Job job = CheckIn();
  EXPECT_EQ(job.result, "stalled");
  EXPECT_FALSE(world_.kernel->ReadPatchState("lp_stuck"));
  EXPECT_TRUE(world_.kernel->LoadedModules().empty());
  ASSERT_EQ(world_.portal->reports.size(), 1u);
  const auto& r = world_.portal->reports[0];
  EXPECT_EQ(r["result"], "stalled");
  ASSERT_EQ(r["blocking_tasks"].size(), 1u);
  EXPECT_TRUE(Contains(r["blocking_tasks"][0], "pid 42 comm stuck_worker: [<0>] msleep"));
  EXPECT_EQ(r["dmesg"], nlohmann::json::array({"livepatch: 'lp_stuck': not finished"}));
  const auto& calls = world_.kernel->calls();
  EXPECT_NE(std::find(calls.begin(), calls.end(), "enable lp_stuck 0"), calls.end());
  for (const auto& c : calls) EXPECT_FALSE(Contains(c, "force"));
  EXPECT_GE(world_.clock.total_slept_ms(), 5000);  // waited the full bound, no more
  EXPECT_LT(world_.clock.total_slept_ms(), 5200);
  EXPECT_EQ(world_.State().Find("lp-stuck", 1)->state, "stalled");
}

TEST_F(UpdaterTest, RollbackToALowerVersionIsRefused) {
  world_.Offer(world_.MakePatch("lp-cmdline", 3, "lp_cmdline_v3"));
  EXPECT_EQ(CheckIn().result, "applied");
  world_.portal->offers.clear();
  world_.Offer(world_.MakePatch("lp-cmdline", 2, "lp_cmdline_v2"));
  world_.portal->issued += 1;
  CheckIn();
  EXPECT_TRUE(world_.InEffect("lp_cmdline_v3"));
  EXPECT_FALSE(world_.kernel->ReadPatchState("lp_cmdline_v2"));
  ASSERT_EQ(world_.portal->reports.size(), 2u);
  EXPECT_EQ(world_.portal->reports[1]["result"], "refused");
  EXPECT_TRUE(Contains(world_.portal->reports[1]["error"], "rollback"));
}

TEST_F(UpdaterTest, PatchForAnotherBuildIdIsRefused) {
  KernelIdentity other = world_.identity;
  other.build_id = "ffffffffffffffffffffffffffffffffffffffff";
  world_.Offer(world_.MakePatch("lp-other", 1, "lp_other", true, &other));
  CheckIn();
  EXPECT_TRUE(world_.kernel->LoadedModules().empty());
  ASSERT_EQ(world_.portal->reports.size(), 1u);
  EXPECT_EQ(world_.portal->reports[0]["result"], "refused");
  EXPECT_TRUE(Contains(world_.portal->reports[0]["error"], "build id"));
}

TEST_F(UpdaterTest, TamperedBlobIsRefusedAndFetchedAgainLater) {
  auto p = world_.MakePatch("lp-cmdline", 1, "lp_cmdline");
  world_.Offer(p);
  const std::string good = world_.portal->blobs[p.manifest.module_sha256];
  world_.portal->blobs[p.manifest.module_sha256] = FakeLivepatchKernel::MakeTextModule("evil");
  Job job = CheckIn();
  EXPECT_TRUE(Contains(job.error, "sha256"));
  EXPECT_TRUE(world_.kernel->LoadedModules().empty());
  ASSERT_EQ(world_.portal->reports.size(), 1u);
  EXPECT_EQ(world_.portal->reports[0]["result"], "refused");
  EXPECT_TRUE(Contains(world_.portal->reports[0]["error"], "sha256"));
  // The bytes were refused, not the patch: once a good copy is served, it applies.
  world_.portal->blobs[p.manifest.module_sha256] = good;
  job = CheckIn();
  EXPECT_EQ(job.result, "applied") << job.error;
}

TEST_F(UpdaterTest, TamperedCachedModuleIsRefusedAtBoot) {
  world_.Offer(world_.MakePatch("lp-cmdline", 1, "lp_cmdline"));
  ASSERT_EQ(CheckIn().result, "applied");
  std::filesystem::remove_all(world_.dir / "sys");  // reboot: nothing loaded
  auto rec = world_.State().Applied(world_.identity.build_id)[0];
  ASSERT_TRUE(WriteFileAtomic(world_.config.paths.state_dir / "cache" / (rec.sha256 + ".ko"),
                              FakeLivepatchKernel::MakeTextModule("lp_cmdline") + "#"));
  world_.Restart(false);
  auto jobs = world_.device->ApplyCached();
  ASSERT_TRUE(jobs);
  ASSERT_EQ(jobs->size(), 1u);
  // Refused, but as a fault of the cached copy: no verdict on the patch.
  EXPECT_EQ((*jobs)[0].result, "");
  EXPECT_TRUE(Contains((*jobs)[0].error, "module size")) << (*jobs)[0].error;
  EXPECT_EQ(world_.State().Find("lp-cmdline", 1)->state, "applied");
  EXPECT_TRUE(world_.kernel->LoadedModules().empty());
}

TEST_F(UpdaterTest, UnusableCacheAtBootIsHealedByTheNextCheckIn) {
  world_.Offer(world_.MakePatch("lp-cmdline", 1, "lp_cmdline"));
  ASSERT_EQ(CheckIn().result, "applied");
  std::filesystem::remove_all(world_.dir / "sys");
  auto rec = world_.State().Applied(world_.identity.build_id)[0];
  ASSERT_TRUE(WriteFileAtomic(world_.config.paths.state_dir / "cache" / (rec.sha256 + ".ko"), "garbage"));
  world_.Restart();
  auto jobs = world_.device->ApplyCached();
  ASSERT_TRUE(jobs);
  EXPECT_EQ((*jobs)[0].result, "");
  EXPECT_FALSE((*jobs)[0].error.empty());
  EXPECT_EQ(world_.State().Find("lp-cmdline", 1)->state, "applied");  // not blamed on the patch
  world_.portal->issued += 1;
  EXPECT_EQ(CheckIn().result, "applied");
  EXPECT_TRUE(world_.InEffect("lp_cmdline"));
  EXPECT_EQ(world_.portal->blob_fetches, 2);
}

TEST_F(UpdaterTest, BadManifestSignatureIsRefused) {
  auto p = world_.MakePatch("lp-cmdline", 1, "lp_cmdline");
  p.manifest_sig = *NewKey().Sign(p.manifest_json);
  world_.Offer(p);
  CheckIn();
  EXPECT_TRUE(world_.kernel->LoadedModules().empty());
  ASSERT_EQ(world_.portal->reports.size(), 1u);
  EXPECT_EQ(world_.portal->reports[0]["result"], "refused");
}

TEST_F(UpdaterTest, KillSwitchFileStopsApplying) {
  ASSERT_TRUE(MakeDirs(world_.config.paths.state_dir));
  ASSERT_TRUE(WriteFileAtomic(world_.config.paths.state_dir / "disabled", ""));
  world_.Offer(world_.MakePatch("lp-cmdline", 1, "lp_cmdline"));
  CheckIn();
  EXPECT_TRUE(world_.kernel->LoadedModules().empty());
  auto bundle = world_.WriteBundle(world_.MakePatch("lp-local", 1, "lp_local"));
  auto job = world_.device->ApplyBundle(bundle);
  ASSERT_TRUE(job);
  EXPECT_TRUE(Contains(job->error, "disabled"));
  EXPECT_TRUE(world_.kernel->LoadedModules().empty());
}

TEST_F(UpdaterTest, KillSwitchOnKernelCommandLine) {
  ASSERT_TRUE(WriteFileAtomic(world_.config.paths.KernelCmdline(), "root=/dev/vda patchd.disable=1\n"));
  auto job = world_.device->ApplyBundle(world_.WriteBundle(world_.MakePatch("lp-local", 1, "lp_local")));
  ASSERT_TRUE(job);
  EXPECT_TRUE(Contains(job->error, "patchd.disable=1"));
  EXPECT_TRUE(world_.kernel->LoadedModules().empty());
}

TEST_F(UpdaterTest, OfflineBundleApplyThenRevert) {
  auto job = world_.device->ApplyBundle(world_.WriteBundle(world_.MakePatch("lp-local", 1, "lp_local")));
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->result, "applied");
  EXPECT_TRUE(world_.InEffect("lp_local"));
  auto reverted = world_.device->Revert("");
  ASSERT_TRUE(reverted) << reverted.error().message;
  ASSERT_EQ(reverted->size(), 1u);
  EXPECT_EQ((*reverted)[0].result, "reverted");
  EXPECT_TRUE(world_.kernel->LoadedModules().empty());
  EXPECT_EQ(world_.State().Find("lp-local", 1)->state, "reverted");
  EXPECT_FALSE(world_.device->Revert("lp-local"));  // nothing left to revert
}

TEST_F(UpdaterTest, PortalRevertActionReverts) {
  world_.Offer(world_.MakePatch("lp-cmdline", 1, "lp_cmdline"));
  ASSERT_EQ(CheckIn().result, "applied");
  world_.portal->offers.clear();
  world_.portal->actions = {{"revert", "lp-cmdline"}};
  world_.portal->issued += 1;
  EXPECT_EQ(CheckIn().result, "reverted");
  EXPECT_TRUE(world_.kernel->LoadedModules().empty());
  EXPECT_EQ(world_.portal->reports.back()["action"], "revert");
}

TEST_F(UpdaterTest, ReleasedAgainAfterAPortalRevertIsReapplied) {
  world_.Offer(world_.MakePatch("lp-cmdline", 1, "lp_cmdline"));
  ASSERT_EQ(CheckIn().result, "applied");
  auto offers = world_.portal->offers;
  world_.portal->offers.clear();
  world_.portal->actions = {{"revert", "lp-cmdline"}};
  world_.portal->issued += 1;
  ASSERT_EQ(CheckIn().result, "reverted");
  world_.portal->issued += 1;
  EXPECT_TRUE(CheckIn().result.empty());  // revert action still there: nothing to do
  world_.portal->actions.clear();
  world_.portal->offers = offers;
  world_.portal->issued += 1;
  EXPECT_EQ(CheckIn().result, "applied");
  EXPECT_TRUE(world_.InEffect("lp_cmdline"));
}

TEST_F(UpdaterTest, ReportsStayUnderThePortalBodyLimit) {
  world_.Script("lp_stuck", FakeScript{.transition_polls = -1});
  for (int pid = 100; pid < 200; ++pid) world_.AddTask(pid, 0, "busy", std::string(5000, 's') + "\n");
  world_.Offer(world_.MakePatch("lp-stuck", 1, "lp_stuck"));
  EXPECT_EQ(CheckIn().result, "stalled");
  ASSERT_EQ(world_.portal->reports.size(), 1u);
  EXPECT_EQ(world_.portal->reports[0]["blocking_tasks"].size(), 16u);
  EXPECT_LT(world_.portal->reports[0].dump().size(), 32u * 1024);
}

TEST_F(UpdaterTest, AtomicReplaceUnloadsTheReplacedModule) {
  world_.Offer(world_.MakePatch("lp-cmdline", 1, "lp_cmdline_v1"));
  ASSERT_EQ(CheckIn().result, "applied");
  world_.portal->offers.clear();
  world_.Offer(world_.MakePatch("lp-cmdline", 2, "lp_cmdline_v2"));
  world_.portal->issued += 1;
  ASSERT_EQ(CheckIn().result, "applied");
  EXPECT_EQ(world_.kernel->LoadedModules(), std::vector<std::string>{"lp_cmdline_v2"});
  EXPECT_EQ(world_.State().Find("lp-cmdline", 1)->state, "replaced");
  EXPECT_EQ(world_.State().Applied(world_.identity.build_id).size(), 1u);
}

TEST_F(UpdaterTest, ApplyCachedReappliesAfterRebootWithoutNetwork) {
  world_.Offer(world_.MakePatch("lp-cmdline", 1, "lp_cmdline"));
  ASSERT_EQ(CheckIn().result, "applied");
  std::filesystem::remove_all(world_.dir / "sys");
  int checkins = world_.portal->checkins;
  world_.Restart(false);
  auto jobs = world_.device->ApplyCached();
  ASSERT_TRUE(jobs) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].result, "applied");
  EXPECT_TRUE(world_.InEffect("lp_cmdline"));
  EXPECT_EQ(world_.portal->checkins, checkins);
  // Running it again on a patched kernel changes nothing.
  jobs = world_.device->ApplyCached();
  ASSERT_TRUE(jobs);
  EXPECT_TRUE((*jobs)[0].result.empty());
}

TEST(KernelLogTest, KeepsTheLastLinesAboutTheModuleOrLivepatch) {
  std::string dump =
      "<6>[    1.0] usb 1-1: new device\n"
      "<4>[    2.0] livepatch: enabling patch 'lp_x'\n"
      "<6>[    2.1] lp_x: tainting kernel\n"
      "<4>[    3.0] livepatch: 'lp_x': starting patching transition\n"
      "<6>[    4.0] eth0: link up\n";
  auto lines = RelevantKernelLines(dump, "lp_x", 2);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("tainting"), std::string::npos);
  EXPECT_NE(lines[1].find("starting patching transition"), std::string::npos);
}

TEST_F(UpdaterTest, LoadErrorIsReportedAsFailed) {
  world_.Script("lp_cmdline", FakeScript{.load_errno = EPERM});
  world_.Offer(world_.MakePatch("lp-cmdline", 1, "lp_cmdline"));
  Job job = CheckIn();
  EXPECT_EQ(job.result, "failed");
  EXPECT_TRUE(Contains(job.error, "finit_module"));
  EXPECT_EQ(world_.portal->reports[0]["result"], "failed");
}

TEST_F(UpdaterTest, PortalDownQueuesNothingAndFlagsBackoff) {
  world_.portal->fail_network = true;
  auto job = world_.device->CheckInOnce();
  ASSERT_TRUE(job);
  EXPECT_TRUE(world_.device->updater().checkin_failed());
  world_.portal->fail_network = false;
  world_.Offer(world_.MakePatch("lp-cmdline", 1, "lp_cmdline"));
  EXPECT_EQ(CheckIn().result, "applied");
  EXPECT_FALSE(world_.device->updater().checkin_failed());
}

TEST_F(UpdaterTest, ReplayedAnswerIsRefused) {
  std::string old_answer = world_.portal->Envelope();
  world_.portal->issued += 100;
  CheckIn();
  world_.portal->replay_envelope = old_answer;
  world_.Offer(world_.MakePatch("lp-cmdline", 1, "lp_cmdline"));
  Job job = CheckIn();
  EXPECT_TRUE(Contains(job.error, "replayed"));
  EXPECT_TRUE(world_.kernel->LoadedModules().empty());
  EXPECT_TRUE(Contains(world_.State().last_error, "replayed"));
}


// A manifest carrying a CVE id of 100,000 digits (or over the size limit),
// signed by the patch key or by nobody we know: refused in one line, never a crash.
TEST_F(UpdaterTest, HostileManifestInAnOfferIsRefusedWithoutACrash) {
  const Ed25519Key stranger = NewKey();
  for (std::size_t description : {std::size_t{0}, kMaxManifestBytes}) {
    for (const Ed25519Key* signer : std::initializer_list<const Ed25519Key*>{&world_.patch_key, &stranger}) {
      auto p = world_.MakePatch("lp-cmdline", 1, "lp_cmdline");
      Manifest m = p.manifest;
      m.cves = {"CVE-2024-" + std::string(100000, '1')};
      m.description = std::string(description, 'x');
      p.manifest_json = SerializeManifest(m);
      p.manifest_sig = *signer->Sign(p.manifest_json);
      world_.portal->offers = {p.offer()};
      world_.portal->issued += 1;
      CheckIn();
      EXPECT_TRUE(world_.kernel->LoadedModules().empty());
      const std::string error = world_.State().last_error;
      EXPECT_FALSE(error.empty());
      EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    }
  }
}


// Issue 10: a signed answer issued far in the future used to be accepted, and
// then every genuine answer was refused as "replayed" for good.
TEST_F(UpdaterTest, AnAnswerFromTheFarFutureDoesNotFreezeTheDevice) {
  world_.portal->issued = world_.clock.WallNow() + 365 * 86400;
  world_.portal->expires = world_.portal->issued + 3600;
  Job job = CheckIn();
  EXPECT_TRUE(Contains(job.error, "ahead of this device's clock")) << job.error;
  world_.portal->issued = world_.clock.WallNow();
  world_.portal->expires = world_.clock.WallNow() + 3600;
  world_.Offer(world_.MakePatch("lp-cmdline", 1, "lp_cmdline"));
  job = CheckIn();
  EXPECT_EQ(job.result, "applied") << job.error;
}

// A device that accepted such an answer before the fix recovers.
TEST_F(UpdaterTest, ARememberedFutureIssuedIsNotHonoured) {
  CheckIn();  // enroll
  DeviceState state = world_.State();
  state.last_issued = world_.clock.WallNow() + 365 * 86400;
  ASSERT_TRUE(SaveDeviceState(world_.config.paths.state_dir, state));
  world_.Offer(world_.MakePatch("lp-cmdline", 1, "lp_cmdline"));
  Job job = CheckIn();
  EXPECT_EQ(job.result, "applied") << job.error;
  EXPECT_EQ(world_.State().last_issued, world_.portal->issued);
}

// Issue 10: after the portal key rotates (keys document v2), an answer signed
// with the old portal key under the old document (v1) must be refused.
TEST_F(UpdaterTest, AnOlderKeysDocumentIsRefusedAfterARotation) {
  const Ed25519Key new_portal = NewKey();
  const auto v2 = world_.SignedKeys(2, new_portal);
  world_.Offer(world_.MakePatch("lp-cmdline", 1, "lp_cmdline"));
  ASSERT_EQ(CheckIn().result, "applied");
  world_.portal->UseKeys(new_portal, v2.first, v2.second);
  world_.portal->issued += 1;
  CheckIn();
  EXPECT_EQ(world_.State().keys_version, 2u);
  // The attacker holds the old portal key and the old (still unexpired) document.
  world_.portal->UseKeys(world_.portal_key, world_.keys_json, world_.keys_sig);
  world_.portal->issued += 1;
  world_.portal->actions = {{"revert", "lp-cmdline"}};
  Job job = CheckIn();
  EXPECT_TRUE(Contains(job.error, "keys document version 1 is older than version 2")) << job.error;
  EXPECT_TRUE(world_.InEffect("lp_cmdline"));
  EXPECT_EQ(world_.State().keys_version, 2u);
}

// The cache follows a rotation (apply-cached keeps working), and cached
// metadata or a bundle under an older document is refused with both versions.
TEST_F(UpdaterTest, ApplyCachedAfterARotationAndRollbackOfCachedKeys) {
  const Ed25519Key new_portal = NewKey();
  const auto v2 = world_.SignedKeys(2, new_portal);
  auto p = world_.MakePatch("lp-cmdline", 1, "lp_cmdline");
  world_.Offer(p);
  ASSERT_EQ(CheckIn().result, "applied");
  world_.portal->UseKeys(new_portal, v2.first, v2.second);
  world_.portal->issued += 1;
  CheckIn();
  std::filesystem::remove_all(world_.dir / "sys");  // reboot
  world_.Restart(false);
  auto jobs = world_.device->ApplyCached();
  ASSERT_TRUE(jobs) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].result, "applied") << (*jobs)[0].error;

  // Someone puts the old document back into the cache: refused at boot.
  std::filesystem::remove_all(world_.dir / "sys");
  const auto cache = world_.config.paths.state_dir / "cache";
  ASSERT_TRUE(WriteFileAtomic(cache / (p.manifest.module_sha256 + ".keys.json"), world_.keys_json));
  ASSERT_TRUE(WriteFileAtomic(cache / (p.manifest.module_sha256 + ".keys.sig"), world_.keys_sig));
  world_.Restart(false);
  jobs = world_.device->ApplyCached();
  ASSERT_TRUE(jobs) << jobs.error().message;
  EXPECT_TRUE(Contains((*jobs)[0].error, "keys document version 1 is older than version 2")) << (*jobs)[0].error;
  EXPECT_FALSE(world_.InEffect("lp_cmdline"));

  // And so is a bundle that carries the old document.
  auto applied = world_.device->ApplyBundle(world_.WriteBundle(world_.MakePatch("lp-other", 1, "lp_other")));
  ASSERT_FALSE(applied);
  EXPECT_TRUE(Contains(applied.error().message, "keys document version 1 is older than version 2"))
      << applied.error().message;
}

// Issue 10: a signed offer whose blob hash is wrong is a metadata fault, not
// a verdict: the genuine offer later applies.
TEST_F(UpdaterTest, AWrongBlobHashInAnOfferIsNotAPermanentRefusal) {
  auto p = world_.MakePatch("lp-cmdline", 1, "lp_cmdline");
  world_.Offer(p);
  world_.portal->offers[0].blob = std::string(64, 'a');
  Job job = CheckIn();
  EXPECT_TRUE(world_.kernel->LoadedModules().empty());
  EXPECT_TRUE(Contains(world_.State().last_error, "blob hash")) << world_.State().last_error;
  EXPECT_EQ(world_.State().Find("lp-cmdline", 1), nullptr);
  ASSERT_EQ(world_.portal->reports.size(), 1u);
  EXPECT_EQ(world_.portal->reports[0]["result"], "refused");
  world_.portal->offers[0].blob = p.manifest.module_sha256;
  world_.portal->issued += 1;
  EXPECT_EQ(CheckIn().result, "applied");
}

// Issue 10: the poll interval from an answer is bounded.
TEST_F(UpdaterTest, PollIntervalFromAnAnswerIsBounded) {
  world_.portal->poll_interval = 1ull << 62;
  CheckIn();
  EXPECT_EQ(world_.State().poll_interval_s, kMaxPollIntervalS);
}

// Issue 10: a live module of the same name that is not the patch's own is
// not taken as applied; the operator is told to unload it.
TEST_F(UpdaterTest, AForeignModuleOfTheSameNameIsRefusedNotTakenAsApplied) {
  const std::string foreign = FakeLivepatchKernel::MakeTextModule("lp_cmdline", true, "vmlinux:other_function");
  auto fd_path = world_.dir / "foreign.ko";
  ASSERT_TRUE(WriteFileAtomic(fd_path, foreign));
  {
    auto fd = OpenReadOnly(fd_path);
    ASSERT_TRUE(fd);
    ASSERT_TRUE(world_.kernel->LoadModule(fd->get(), {"lp_cmdline", "", true}));
  }
  world_.Offer(world_.MakePatch("lp-cmdline", 1, "lp_cmdline"));
  Job job = CheckIn();
  EXPECT_NE(job.result, "applied");
  EXPECT_TRUE(Contains(job.error, "another module named lp_cmdline is already loaded")) << job.error;
  EXPECT_TRUE(Contains(job.error, "rmmod lp_cmdline")) << job.error;
  EXPECT_EQ(world_.State().Find("lp-cmdline", 1), nullptr);  // not a verdict on the patch
  // The operator unloads it; the next check-in applies the real one.
  ASSERT_TRUE(world_.kernel->SetEnabled("lp_cmdline", false));
  ASSERT_TRUE(world_.kernel->UnloadModule("lp_cmdline"));
  world_.portal->issued += 1;
  EXPECT_EQ(CheckIn().result, "applied");
}

}  // namespace
}  // namespace lp::patchd::testing
