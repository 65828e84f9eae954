#include <gtest/gtest.h>

#include "eportal/migrations.hpp"
#include "eportal/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::eportal {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteStore::Open(dir_ / "portal.db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }

  // Runs raw SQL on the file from a second connection, as an attacker with
  // access to the data dir would.
  void Tamper(const std::string& sql) {
    auto db = Db::Open(dir_ / "portal.db");
    ASSERT_TRUE(db) << db.error().message;
    ASSERT_TRUE(db->Exec(sql)) << sql;
  }

  void AppendThree() {
    for (int i = 1; i <= 3; ++i)
      ASSERT_TRUE(store_->AppendAudit("alice", "release", R"({"n":)" + std::to_string(i) + "}", 100 + i));
  }

  lp::testing::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(StoreTest, FreshDatabaseIsAtLatestSchemaAndReopens) {
  auto db = Db::Open(dir_ / "portal.db");
  ASSERT_TRUE(db);
  auto v = SchemaVersion(*db);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, LatestSchemaVersion());
  store_.reset();
  EXPECT_TRUE(SqliteStore::Open(dir_ / "portal.db"));  // migrating again is a no-op
}

TEST_F(StoreTest, RefusesDatabaseFromNewerBuild) {
  Tamper("UPDATE schema_version SET version = 999");
  store_.reset();
  auto s = SqliteStore::Open(dir_ / "portal.db");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnsupported);
}

TEST_F(StoreTest, DeviceRoundTripAndForeignKeys) {
  DeviceRecord d{"d-1", "lab", "cafe", "dev-1", {"6.1.0-56-amd64", "abcd", "x86_64"}, 10, 0, "[]", ""};
  EXPECT_FALSE(store_->InsertDevice(d)) << "group must exist first";
  ASSERT_TRUE(store_->EnsureGroup("lab", 1));
  ASSERT_TRUE(store_->InsertDevice(d));
  d.applied_json = R"([{"patch_id":"p","version":1,"state":"applied"}])";
  d.last_checkin = 50;
  ASSERT_TRUE(store_->UpdateDeviceState(d));
  ASSERT_TRUE(store_->UpdateLastSeen({{"d-1", 40}}));  // older: ignored
  auto list = store_->ListDevices();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].applied_json, d.applied_json);
  EXPECT_EQ((*list)[0].last_checkin, 50);
  EXPECT_EQ((*list)[0].identity.build_id, "abcd");
}

TEST_F(StoreTest, UsersAndTokensAreFoundByHash) {
  ASSERT_TRUE(store_->EnsureGroup("lab", 1));
  ASSERT_TRUE(store_->InsertUser({"bob", Role::kReleaser, {"lab"}, "h1", 1}));
  EXPECT_FALSE(store_->InsertUser({"bob", Role::kAdmin, {}, "h2", 1})) << "duplicate name";
  auto u = store_->FindUserByToken("h1");
  ASSERT_TRUE(u && *u);
  EXPECT_EQ((*u)->role, Role::kReleaser);
  EXPECT_EQ((*u)->groups, std::vector<std::string>{"lab"});
  ASSERT_TRUE(store_->InsertEnrollToken({"t1", "lab", 99, 1}));
  auto t = store_->FindEnrollToken("t1");
  ASSERT_TRUE(t && *t);
  EXPECT_EQ((*t)->group, "lab");
  auto none = store_->FindEnrollToken("nope");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST_F(StoreTest, ReleaseEventsShareOneSequence) {
  ASSERT_TRUE(store_->EnsureGroup("lab", 1));
  using K = ReleaseEvent::Kind;
  ASSERT_TRUE(store_->InsertReleaseEvent({0, K::kRelease, "p", 2, "lab", 5, "a"}));
  ASSERT_TRUE(store_->InsertReleaseEvent({0, K::kRevert, "p", 0, "lab", 5, "a"}));
  ASSERT_TRUE(store_->InsertReleaseEvent({0, K::kRelease, "p", 3, "lab", 5, "a"}));
  auto events = store_->ListReleaseEvents();
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[1].kind, K::kRevert);
  EXPECT_EQ((*events)[2].version, 3u);
  EXPECT_EQ((*events)[2].seq, 3);
}

TEST_F(StoreTest, FailedTransactionLeavesNothing) {
  Status st = store_->Atomically([&]() -> Status {
    LP_TRY(store_->EnsureGroup("lab", 1));
    LP_TRY(store_->AppendAudit("a", "x", "{}", 1));
    return MakeError(ErrorCode::kConflict, "changed my mind");
  });
  EXPECT_FALSE(st);
  EXPECT_TRUE(store_->ListGroups()->empty());
  EXPECT_TRUE(store_->ListAudit()->empty());
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

TEST_F(StoreTest, IntactAuditChainVerifies) {
  AppendThree();
  auto check = store_->VerifyAudit();
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->ok) << check->problem;
  EXPECT_EQ(check->entries, 3);
}

TEST_F(StoreTest, EditedAuditEntryIsDetected) {
  AppendThree();
  Tamper(R"(UPDATE audit_log SET actor='mallory' WHERE seq=2)");
  auto check = store_->VerifyAudit();
  ASSERT_TRUE(check);
  EXPECT_FALSE(check->ok);
  EXPECT_NE(check->problem.find("entry 2"), std::string::npos) << check->problem;
}

TEST_F(StoreTest, DeletedAuditEntryIsDetected) {
  AppendThree();
  Tamper("DELETE FROM audit_log WHERE seq=2");
  auto check = store_->VerifyAudit();
  ASSERT_TRUE(check);
  EXPECT_FALSE(check->ok);
  EXPECT_NE(check->problem.find("missing"), std::string::npos) << check->problem;
}

TEST_F(StoreTest, DeletedLastAuditEntryIsDetected) {
  AppendThree();
  Tamper("DELETE FROM audit_log WHERE seq=3");
  auto check = store_->VerifyAudit();
  ASSERT_TRUE(check);
  EXPECT_FALSE(check->ok) << "the head still names entry 3";
}

}  // namespace
}  // namespace lp::eportal
