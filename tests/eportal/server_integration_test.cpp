// The real server in-process on 127.0.0.1:0, driven over libcurl. Label
// integration (test names start with Integration). Every call has a curl
// timeout and ctest adds an overall one.
#include <cstdlib>
#include <future>
#include <thread>

#include "eportal/http_client.hpp"
#include "eportal/server.hpp"
#include "tests/eportal/portal_fixture.hpp"

namespace lp::eportal::testing {
namespace {

using nlohmann::json;

// A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI.
bool MakeTestCert(const std::filesystem::path& dir) {
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1"
                    " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
                    (dir / "tls.key").string() + "' -out '" + (dir / "tls.crt").string() + "' 2>/dev/null";
  return std::system(cmd.c_str()) == 0;
}

class IntegrationServer : public PortalFixture {
 protected:
  void StartServer(bool tls) {
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.io_threads = 2;
    o.log_requests = false;
    o.drain_timeout = std::chrono::seconds(5);
    ClientOptions c;
    if (tls) {
      ASSERT_TRUE(MakeTestCert(tmp_.path())) << "openssl CLI failed";
      o.tls_cert = tmp_ / "tls.crt";
      o.tls_key = tmp_ / "tls.key";
      c.ca_file = o.tls_cert;
    }
    auto server = Server::Start(*portal_, o);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    c.base_url = std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(server_->port());
    c.timeout_seconds = 10;
    base_ = c;
  }

  HttpResult Send(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& token = "", std::map<std::string, std::string> headers = {}) {
    ClientOptions c = base_;
    c.token = token;
    auto r = HttpClient(c).Send(method, path, body, headers);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : HttpResult{};
  }

  void TearDown() override { server_.reset(); }

  ClientOptions base_;
  std::unique_ptr<Server> server_;
};

TEST_F(IntegrationServer, EnrollCheckinAndBlobOverTls) {
  StartServer(/*tls=*/true);
  BundleSpec spec;
  ASSERT_EQ(Send("POST", "/api/v1/admin/patches", MakeBundle(pki_, spec), admin_token_).status, 200);
  ASSERT_EQ(Send("POST", "/api/v1/admin/releases", json{{"patch_id", spec.patch_id}, {"group", "lab"}}.dump(),
                 admin_token_).status, 200);
  HttpResult tok = Send("POST", "/api/v1/admin/tokens", R"({"group":"lab"})", admin_token_);
  ASSERT_EQ(tok.status, 200) << tok.body;
  json id = {{"release", spec.target.release}, {"build_id", spec.target.build_id}, {"arch", spec.target.arch}};
  HttpResult enrolled = Send("POST", "/api/v1/enroll",
                             json{{"token", json::parse(tok.body)["token"]}, {"hostname", "d1"}, {"identity", id}}.dump());
  ASSERT_EQ(enrolled.status, 200) << enrolled.body;
  std::string credential = json::parse(enrolled.body)["credential"];

  HttpResult answer = Send("POST", "/api/v1/checkin", json{{"identity", id}}.dump(), credential);
  ASSERT_EQ(answer.status, 200) << answer.body;
  json env = json::parse(answer.body);
  std::string payload = Base64Decode(env["payload"].get<std::string>()).value();
  EXPECT_TRUE(pki_.portal.Verify(payload, Base64Decode(env["signature"].get<std::string>()).value()));
  json p = json::parse(payload);
  ASSERT_EQ(p["patches"].size(), 1u);
  std::string blob_sha = p["patches"][0]["blob"];

  ASSERT_FALSE(answer.headers["etag"].empty());
  EXPECT_EQ(Send("POST", "/api/v1/checkin", json{{"identity", id}}.dump(), credential,
                 {{"If-None-Match", answer.headers["etag"]}}).status, 304);

  HttpResult blob = Send("GET", "/api/v1/blobs/" + blob_sha);
  ASSERT_EQ(blob.status, 200);
  EXPECT_EQ(blob.body, spec.module);
  EXPECT_EQ(Sha256Hex(blob.body), blob_sha);
  EXPECT_NE(blob.headers["cache-control"].find("immutable"), std::string::npos);
}

TEST_F(IntegrationServer, LongPollIsAnsweredWhenAReleaseArrives) {
  StartServer(/*tls=*/false);
  BundleSpec spec;
  ASSERT_EQ(Send("POST", "/api/v1/admin/patches", MakeBundle(pki_, spec), admin_token_).status, 200);
  Enrolled d = Enroll("lab");
  json id = {{"release", spec.target.release}, {"build_id", spec.target.build_id}, {"arch", spec.target.arch}};
  HttpResult first = Send("POST", "/api/v1/checkin", json{{"identity", id}}.dump(), d.credential);
  ASSERT_EQ(first.status, 200);
  const std::string etag = first.headers["etag"];

  // Times out with 304 when nothing changes.
  auto start = std::chrono::steady_clock::now();
  HttpResult idle = Send("POST", "/api/v1/checkin", json{{"identity", id}, {"wait", 1}}.dump(), d.credential,
                         {{"If-None-Match", etag}});
  EXPECT_EQ(idle.status, 304);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));

  // Answered as soon as a release concerns the device, long before 30 s.
  auto parked = std::async(std::launch::async, [&] {
    return Send("POST", "/api/v1/checkin", json{{"identity", id}, {"wait", 30}}.dump(), d.credential,
                {{"If-None-Match", etag}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(Send("POST", "/api/v1/admin/releases", json{{"patch_id", spec.patch_id}, {"group", "other"}}.dump(),
                 admin_token_).status, 200);  // another group: keeps waiting
  ASSERT_EQ(parked.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  EXPECT_NE(Send("GET", "/metrics").body.find("eportal_long_polls_waiting 1"), std::string::npos);
  start = std::chrono::steady_clock::now();
  ASSERT_EQ(Send("POST", "/api/v1/admin/releases", json{{"patch_id", spec.patch_id}, {"group", "lab"}}.dump(),
                 admin_token_).status, 200);
  ASSERT_EQ(parked.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  HttpResult answer = parked.get();
  ASSERT_EQ(answer.status, 200);
  json payload = json::parse(Base64Decode(json::parse(answer.body)["payload"].get<std::string>()).value());
  EXPECT_EQ(payload["patches"].size(), 1u);
}

TEST_F(IntegrationServer, ShutdownAnswersParkedLongPollsAtOnce) {
  StartServer(/*tls=*/false);
  Enrolled d = Enroll("lab");
  KernelIdentity k = TestIdentity();
  json body = {{"identity", {{"release", k.release}, {"build_id", k.build_id}, {"arch", k.arch}}}, {"wait", 60}};
  std::string etag = Send("POST", "/api/v1/checkin", body.dump(), d.credential).headers["etag"];
  auto parked = std::async(std::launch::async, [&] {
    return Send("POST", "/api/v1/checkin", body.dump(), d.credential, {{"If-None-Match", etag}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto start = std::chrono::steady_clock::now();
  server_->Shutdown();
  ASSERT_EQ(parked.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(parked.get().status, 304);
  server_->Wait();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(IntegrationServer, PlainHttpHealthLimitsAndGracefulStop) {
  StartServer(/*tls=*/false);
  HttpResult health = Send("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  std::string big(100 * 1024, 'x');  // over the 64 KiB device-call limit
  EXPECT_EQ(Send("POST", "/api/v1/checkin", big, "epd_x").status, 413);
  EXPECT_EQ(Send("GET", "/api/v1/admin/status").status, 401);
  HttpResult metrics = Send("GET", "/metrics");
  EXPECT_NE(metrics.body.find("route=\"healthz\""), std::string::npos) << metrics.body;
  server_->Shutdown();
  server_->Wait();
  ClientOptions c = base_;
  c.timeout_seconds = 2;
  EXPECT_FALSE(HttpClient(c).Send("GET", "/healthz")) << "no longer listening";
}

TEST_F(IntegrationServer, SecondServerCannotShareThePort) {
  StartServer(/*tls=*/false);
  ServerOptions o;
  o.listen = "127.0.0.1:" + std::to_string(server_->port());
  o.io_threads = 1;
  o.log_requests = false;
  auto second = Server::Start(*portal_, o);
  EXPECT_FALSE(second);
}

}  // namespace
}  // namespace lp::eportal::testing
