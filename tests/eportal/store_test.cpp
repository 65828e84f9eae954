// The Store contract, run against every back-end: SQLite on a temp file
// (unit) and PostgreSQL on a server the test starts itself (pg_server.hpp;
// labelled pg and integration).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <type_traits>

#include "eportal/migrations.hpp"
#include "eportal/pg_store.hpp"
#include "eportal/sqlite_store.hpp"
#include "tests/support/pg_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace lp::eportal {
namespace {

struct SqliteBackend {
  Status Prepare() { return Ok(); }
  Expected<std::unique_ptr<Store>> Open() {
    auto s = SqliteStore::Open(dir / "portal.db");
    if (!s) return s.error();
    return std::unique_ptr<Store>(std::move(*s));
  }
  // Raw SQL from a second connection, as an attacker with access to the data dir.
  Status Tamper(const std::string& sql) {
    auto db = Db::Open(dir / "portal.db");
    if (!db) return db.error();
    return db->Exec(sql);
  }
  Expected<int> Version() {
    auto db = Db::Open(dir / "portal.db");
    if (!db) return db.error();
    return SchemaVersion(*db);
  }
  int Latest() { return LatestSchemaVersion(); }

  lp::testing::TempDir dir;
};

struct PgBackend {
  // A missing server fails the test (CI installs it), never skips it.
  Status Prepare() {
    auto s = lp::testing::PgServer::Start();
    if (!s) return s.error();
    server = std::move(*s);
    return Ok();
  }
  Expected<std::unique_ptr<Store>> Open() {
    auto s = PgStore::Open(server->conninfo());
    if (!s) return s.error();
    return std::unique_ptr<Store>(std::move(*s));
  }
  // Raw SQL through a separate libpq connection, as a database user would.
  Status Tamper(const std::string& sql) {
    auto conn = pg::Conn::Connect(server->conninfo());
    if (!conn) return conn.error();
    return conn->Exec(sql);
  }
  Expected<int> Version() {
    auto conn = pg::Conn::Connect(server->conninfo());
    if (!conn) return conn.error();
    return PgStore::SchemaVersion(*conn);
  }
  int Latest() { return PgStore::LatestSchemaVersion(); }

  std::unique_ptr<lp::testing::PgServer> server;
};

struct BackendNames {
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, PgBackend> ? "Pg" : "Sqlite";
  }
};

template <class Backend>
class StoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    Status st = backend_.Prepare();
    ASSERT_TRUE(st) << st.error().message;
    Reopen();
  }

  void Reopen() {
    store_.reset();
    auto s = backend_.Open();
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }

  void Tamper(const std::string& sql) {
    Status st = backend_.Tamper(sql);
    ASSERT_TRUE(st) << sql << ": " << st.error().message;
  }

  void AppendThree() {
    for (int i = 1; i <= 3; ++i)
      ASSERT_TRUE(store_->AppendAudit("alice", "release", R"({"n":)" + std::to_string(i) + "}", 100 + i));
  }

  Backend backend_;
  std::unique_ptr<Store> store_;
};

using Backends = ::testing::Types<SqliteBackend, PgBackend>;
TYPED_TEST_SUITE(StoreContract, Backends, BackendNames);

TYPED_TEST(StoreContract, FreshDatabaseIsAtLatestSchemaAndReopens) {
  auto v = this->backend_.Version();
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, this->backend_.Latest());
  this->Reopen();  // migrating again is a no-op
}

TYPED_TEST(StoreContract, RefusesDatabaseFromNewerBuild) {
  this->Tamper("UPDATE schema_version SET version = 999");
  this->store_.reset();
  auto s = this->backend_.Open();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnsupported);
}

TYPED_TEST(StoreContract, DeviceRoundTripAndForeignKeys) {
  auto& store = this->store_;
  DeviceRecord d{"d-1", "lab", "cafe", "dev-1", {"6.1.0-56-amd64", "abcd", "x86_64"}, 10, 0, "[]", ""};
  EXPECT_FALSE(store->InsertDevice(d)) << "group must exist first";
  ASSERT_TRUE(store->EnsureGroup("lab", 1));
  ASSERT_TRUE(store->EnsureGroup("lab", 2)) << "ensuring twice is fine";
  ASSERT_TRUE(store->InsertDevice(d));
  d.applied_json = R"([{"patch_id":"p","version":1,"state":"applied"}])";
  d.last_checkin = 50;
  ASSERT_TRUE(store->UpdateDeviceState(d));
  ASSERT_TRUE(store->UpdateLastSeen({{"d-1", 40}}));  // older: ignored
  auto list = store->ListDevices();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].applied_json, d.applied_json);
  EXPECT_EQ((*list)[0].last_checkin, 50);
  EXPECT_EQ((*list)[0].identity.build_id, "abcd");
  ASSERT_TRUE(store->UpdateLastSeen({{"d-1", 60}}));
  EXPECT_EQ((*store->ListDevices())[0].last_checkin, 60);
  DeviceRecord ghost = d;
  ghost.id = "d-2";
  Status st = store->UpdateDeviceState(ghost);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
}

TYPED_TEST(StoreContract, UsersAndTokensAreFoundByHash) {
  auto& store = this->store_;
  ASSERT_TRUE(store->EnsureGroup("lab", 1));
  ASSERT_TRUE(store->InsertUser({"bob", Role::kReleaser, {"lab"}, "h1", 1}));
  Status dup = store->InsertUser({"bob", Role::kAdmin, {}, "h2", 1});
  ASSERT_FALSE(dup) << "duplicate name";
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(store->InsertUser({"Alice", Role::kAdmin, {}, "h3", 2}));
  auto u = store->FindUserByToken("h1");
  ASSERT_TRUE(u && *u);
  EXPECT_EQ((*u)->role, Role::kReleaser);
  EXPECT_EQ((*u)->groups, std::vector<std::string>{"lab"});
  auto users = store->ListUsers();
  ASSERT_TRUE(users);
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].name, "Alice") << "bytewise order, as SQLite";
  ASSERT_TRUE(store->InsertEnrollToken({"t1", "lab", 99, 1}));
  auto t = store->FindEnrollToken("t1");
  ASSERT_TRUE(t && *t);
  EXPECT_EQ((*t)->group, "lab");
  EXPECT_EQ((*t)->expires, 99);
  auto none = store->FindEnrollToken("nope");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TYPED_TEST(StoreContract, PatchesKeepExactBytesAndOrder) {
  auto& store = this->store_;
  std::string manifest = R"({"a":1})";
  std::string sig("\x00\xff\x01\x80zz", 6);
  ASSERT_TRUE(store->InsertPatch({"p-b", 2, {"6.1", "b2", "x86_64"}, manifest, sig, "sha", 7}));
  ASSERT_TRUE(store->InsertPatch({"p-b", 1, {"6.1", "b2", "x86_64"}, manifest, sig, "sha", 7}));
  ASSERT_TRUE(store->InsertPatch({"P-a", 1, {"6.1", "b1", "x86_64"}, manifest, "", "sha", 8}));
  EXPECT_FALSE(store->InsertPatch({"p-b", 1, {"6.1", "b2", "x86_64"}, manifest, sig, "sha", 7}));
  auto list = store->ListPatches();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].patch_id, "P-a");
  EXPECT_EQ((*list)[1].version, 1u);
  EXPECT_EQ((*list)[2].version, 2u);
  EXPECT_EQ((*list)[2].manifest_sig, sig);
  EXPECT_EQ((*list)[2].manifest_json, manifest);
  EXPECT_EQ((*list)[2].target.build_id, "b2");
  EXPECT_EQ((*list)[0].imported, 8);
}

TYPED_TEST(StoreContract, ReportsListInArrivalOrder) {
  auto& store = this->store_;
  ASSERT_TRUE(store->EnsureGroup("lab", 1));
  ASSERT_TRUE(store->InsertDevice({"d-1", "lab", "c1", "h", {"r", "b", "a"}, 1, 0, "[]", ""}));
  EXPECT_FALSE(store->InsertReport({"d-9", 1, "{}"})) << "unknown device";
  ASSERT_TRUE(store->InsertReport({"d-1", 9, R"({"n":1})"}));
  ASSERT_TRUE(store->InsertReport({"d-1", 3, R"({"n":2})"}));
  auto reports = store->ListReports("d-1");
  ASSERT_TRUE(reports);
  ASSERT_EQ(reports->size(), 2u);
  EXPECT_EQ((*reports)[0].body_json, R"({"n":1})");
  EXPECT_EQ((*reports)[1].time, 3);
  EXPECT_TRUE(store->ListReports("d-9")->empty());
}

TYPED_TEST(StoreContract, ReleaseEventsShareOneSequence) {
  auto& store = this->store_;
  ASSERT_TRUE(store->EnsureGroup("lab", 1));
  using K = ReleaseEvent::Kind;
  ASSERT_TRUE(store->InsertReleaseEvent({0, K::kRelease, "p", 2, "lab", 5, "a"}));
  ASSERT_TRUE(store->InsertReleaseEvent({0, K::kRevert, "p", 0, "lab", 5, "a"}));
  auto third = store->InsertReleaseEvent({0, K::kRelease, "p", 3, "lab", 5, "a"});
  ASSERT_TRUE(third);
  EXPECT_EQ(*third, 3);
  auto events = store->ListReleaseEvents();
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[1].kind, K::kRevert);
  EXPECT_EQ((*events)[2].version, 3u);
  EXPECT_EQ((*events)[2].seq, 3);
}

TYPED_TEST(StoreContract, FailedTransactionLeavesNothing) {
  auto& store = this->store_;
  Status st = store->Atomically([&]() -> Status {
    LP_TRY(store->EnsureGroup("lab", 1));
    LP_TRY(store->InsertReleaseEvent({0, ReleaseEvent::Kind::kRelease, "p", 1, "lab", 5, "a"}));
    LP_TRY(store->AppendAudit("a", "x", "{}", 1));
    return MakeError(ErrorCode::kConflict, "changed my mind");
  });
  EXPECT_FALSE(st);
  EXPECT_TRUE(store->ListGroups()->empty());
  EXPECT_TRUE(store->ListReleaseEvents()->empty());
  EXPECT_TRUE(store->ListAudit()->empty());
  EXPECT_TRUE(store->VerifyAudit()->ok);
  // A failed statement inside fn fails the whole transaction too.
  st = store->Atomically([&]() -> Status {
    LP_TRY(store->EnsureGroup("lab", 1));
    return store->InsertDevice({"d-1", "nogroup", "c", "h", {"r", "b", "a"}, 1, 0, "[]", ""});
  });
  EXPECT_FALSE(st);
  EXPECT_TRUE(store->ListGroups()->empty());
  // The store is usable afterwards.
  ASSERT_TRUE(store->Atomically([&]() -> Status { return store->EnsureGroup("lab", 1); }));
  EXPECT_EQ(store->ListGroups()->size(), 1u);
}

TYPED_TEST(StoreContract, AtomicallyIsNotNestable) {
  auto& store = this->store_;
  Status inner = Ok();
  Status outer = store->Atomically([&]() -> Status {
    inner = store->Atomically([] { return Ok(); });
    return Ok();
  });
  EXPECT_TRUE(outer);
  EXPECT_FALSE(inner);
}

TYPED_TEST(StoreContract, ConcurrentWritersLoseNothing) {
  // Two stores on one database (two connections, as two portal processes
  // would have), four threads; every write is a release plus its audit entry.
  auto second = this->backend_.Open();
  ASSERT_TRUE(second) << second.error().message;
  Store* stores[2] = {this->store_.get(), second->get()};
  constexpr int kThreads = 4, kEach = 20;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      Store& s = *stores[t % 2];
      for (int i = 0; i < kEach; ++i) {
        Status st = s.Atomically([&]() -> Status {
          LP_TRY(s.EnsureGroup("lab", 1));
          auto seq = s.InsertReleaseEvent({0, ReleaseEvent::Kind::kRelease, "p" + std::to_string(t), 1,
                                           "lab", i, "t" + std::to_string(t)});
          if (!seq) return seq.error();
          auto entry = s.AppendAudit("t" + std::to_string(t), "release", "{}", i);
          if (!entry) return entry.error();
          return Ok();
        });
        if (!st) {
          ++failures;
          ADD_FAILURE() << st.error().message;
        }
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto events = this->store_->ListReleaseEvents();
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), static_cast<std::size_t>(kThreads * kEach));
  for (std::size_t i = 0; i < events->size(); ++i) EXPECT_EQ((*events)[i].seq, static_cast<std::int64_t>(i + 1));
  auto check = this->store_->VerifyAudit();
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->ok) << check->problem;
  EXPECT_EQ(check->entries, kThreads * kEach);
}

TYPED_TEST(StoreContract, DataSurvivesReopening) {
  auto& store = this->store_;
  ASSERT_TRUE(store->EnsureGroup("lab", 1));
  ASSERT_TRUE(store->InsertDevice({"d-1", "lab", "c1", "h", {"r", "b", "a"}, 1, 0, "[]", ""}));
  ASSERT_TRUE(store->InsertReleaseEvent({0, ReleaseEvent::Kind::kRelease, "p", 1, "lab", 5, "a"}));
  this->AppendThree();
  this->Reopen();
  auto& again = this->store_;
  EXPECT_EQ(again->ListGroups()->size(), 1u);
  EXPECT_EQ(again->ListDevices()->size(), 1u);
  auto seq = again->InsertReleaseEvent({0, ReleaseEvent::Kind::kRevert, "p", 0, "lab", 6, "a"});
  ASSERT_TRUE(seq);
  EXPECT_EQ(*seq, 2);
  auto entry = again->AppendAudit("bob", "revert", "{}", 200);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->seq, 4);
  auto check = again->VerifyAudit();
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->ok) << check->problem;
  EXPECT_EQ(check->entries, 4);
}

TYPED_TEST(StoreContract, IntactAuditChainVerifies) {
  this->AppendThree();
  auto check = this->store_->VerifyAudit();
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->ok) << check->problem;
  EXPECT_EQ(check->entries, 3);
  auto list = this->store_->ListAudit();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1].prev_hash, (*list)[0].hash);
  EXPECT_EQ((*list)[2].detail_json, R"({"n":3})");
}

TYPED_TEST(StoreContract, EditedAuditEntryIsDetected) {
  this->AppendThree();
  this->Tamper(R"(UPDATE audit_log SET actor='mallory' WHERE seq=2)");
  auto check = this->store_->VerifyAudit();
  ASSERT_TRUE(check);
  EXPECT_FALSE(check->ok);
  EXPECT_NE(check->problem.find("entry 2"), std::string::npos) << check->problem;
}

TYPED_TEST(StoreContract, DeletedAuditEntryIsDetected) {
  this->AppendThree();
  this->Tamper("DELETE FROM audit_log WHERE seq=2");
  auto check = this->store_->VerifyAudit();
  ASSERT_TRUE(check);
  EXPECT_FALSE(check->ok);
  EXPECT_NE(check->problem.find("missing"), std::string::npos) << check->problem;
}

TYPED_TEST(StoreContract, DeletedLastAuditEntryIsDetected) {
  this->AppendThree();
  this->Tamper("DELETE FROM audit_log WHERE seq=3");
  auto check = this->store_->VerifyAudit();
  ASSERT_TRUE(check);
  EXPECT_FALSE(check->ok) << "the head still names entry 3";
}

}  // namespace
}  // namespace lp::eportal
