#include "patchd/checkin_answer.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "tests/patchd/patch_world.hpp"

namespace lp::patchd::testing {
namespace {

class CheckinAnswerTest : public ::testing::Test {
 protected:
  Expected<CheckinAnswer> Verify(const std::string& envelope, std::time_t last_issued = 0,
                                 std::uint64_t keys_version = 0) {
    return VerifyCheckinAnswer(envelope, w_.root_key,
                               Freshness{"d-1", last_issued, w_.clock.WallNow(), keys_version});
  }
  static void ExpectRefused(const Expected<CheckinAnswer>& a, const std::string& why) {
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().code, ErrorCode::kVerification);
    EXPECT_NE(a.error().message.find(why), std::string::npos) << a.error().message;
  }
  PatchWorld w_;
};

TEST_F(CheckinAnswerTest, AcceptsAFreshAnswerSignedByThePortalKey) {
  w_.Offer(w_.MakePatch("lp-cmdline", 1, "lp_cmdline"));
  w_.portal->actions = {{"revert", "lp-old"}};
  auto a = Verify(w_.portal->Envelope());
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->device_id, "d-1");
  EXPECT_EQ(a->poll_interval_s, 60);
  ASSERT_EQ(a->patches.size(), 1u);
  EXPECT_EQ(a->patches[0].manifest_json, w_.portal->offers[0].manifest_json);
  ASSERT_EQ(a->actions.size(), 1u);
  EXPECT_EQ(a->actions[0].patch_id, "lp-old");
}

TEST_F(CheckinAnswerTest, RefusesAPayloadSignedByAnotherKey) {
  ExpectRefused(Verify(w_.portal->Envelope(w_.portal->Payload(), NewKey())), "portal signature");
}

TEST_F(CheckinAnswerTest, RefusesAPayloadSignedByThePatchKeyRole) {
  // Right key material, wrong role: the patch key may not speak for the portal.
  FakePortal impostor(w_.patch_key, w_.keys_json, w_.keys_sig);
  impostor.issued = w_.portal->issued;
  impostor.expires = w_.portal->expires;
  auto a = Verify(impostor.Envelope());
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kVerification);
}

TEST_F(CheckinAnswerTest, RefusesKeysNotSignedByOurRoot) {
  auto other_root = NewKey();
  FakePortal rogue(w_.portal_key, w_.keys_json, *other_root.Sign(w_.keys_json));
  rogue.issued = w_.portal->issued;
  rogue.expires = w_.portal->expires;
  ExpectRefused(Verify(rogue.Envelope()), "keys document");
}

TEST_F(CheckinAnswerTest, RefusesAnAnswerForAnotherDevice) {
  w_.portal->device_id = "d-2";
  ExpectRefused(Verify(w_.portal->Envelope()), "not d-1");
}

TEST_F(CheckinAnswerTest, RefusesAnExpiredAnswer) {
  w_.portal->expires = w_.clock.WallNow() - 1;
  ExpectRefused(Verify(w_.portal->Envelope()), "expired");
}

TEST_F(CheckinAnswerTest, RefusesAReplayedOlderAnswer) {
  std::string envelope = w_.portal->Envelope();
  ASSERT_TRUE(Verify(envelope, w_.portal->issued));  // same answer again: not older
  ExpectRefused(Verify(envelope, w_.portal->issued + 1), "replayed");
}

TEST_F(CheckinAnswerTest, RefusesGarbage) {
  ExpectRefused(Verify("{\"keys_json\": 5}"), "keys_json");
  ExpectRefused(Verify("not json"), "not valid JSON");
}


// Issue 10: an answer issued far in the future would make every later
// genuine answer look "replayed".
TEST_F(CheckinAnswerTest, RefusesAnAnswerIssuedBeyondTheClockSkew) {
  w_.portal->issued = w_.clock.WallNow() + kMaxClockSkewS + 1;
  w_.portal->expires = w_.portal->issued + 3600;
  ExpectRefused(Verify(w_.portal->Envelope()), "ahead of this device's clock");
  w_.portal->issued = w_.clock.WallNow() + kMaxClockSkewS;  // at the bound: accepted
  EXPECT_TRUE(Verify(w_.portal->Envelope()));
}

TEST_F(CheckinAnswerTest, ARememberedIssuedBeyondTheSkewDoesNotFreezeTheDevice) {
  const std::time_t poisoned = w_.clock.WallNow() + 365 * 86400;  // accepted before the bound existed
  auto a = Verify(w_.portal->Envelope(), poisoned);
  EXPECT_TRUE(a) << a.error().message;
  // A remembered time inside the bound still guards against replays.
  ExpectRefused(Verify(w_.portal->Envelope(), w_.portal->issued + 60), "replayed");
}

TEST_F(CheckinAnswerTest, RefusesAnOlderKeysDocumentNamingBothVersions) {
  auto a = Verify(w_.portal->Envelope(), 0, 1);  // the world's document is version 1
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->keys_version, 1u);
  auto refused = Verify(w_.portal->Envelope(), 0, 2);
  ExpectRefused(refused, "keys document version 1 is older than version 2");
}

TEST_F(CheckinAnswerTest, PollIntervalIsClampedToADay) {
  w_.portal->poll_interval = std::numeric_limits<std::uint64_t>::max();
  auto a = Verify(w_.portal->Envelope());
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->poll_interval_s, kMaxPollIntervalS);
  w_.portal->poll_interval = 0;
  EXPECT_EQ(Verify(w_.portal->Envelope())->poll_interval_s, 0);  // not given: keep the device's
}

TEST_F(CheckinAnswerTest, RefusesOversizedEnvelopesAndTooManyOffers) {
  std::string big(kMaxCheckinAnswerBytes + 1, ' ');
  ExpectRefused(Verify(big), "limit");
  for (std::size_t i = 0; i <= kMaxOfferedPatches; ++i) w_.portal->offers.push_back({"m", "s", "b"});
  ExpectRefused(Verify(w_.portal->Envelope()), "patches");
}

}  // namespace
}  // namespace lp::patchd::testing
