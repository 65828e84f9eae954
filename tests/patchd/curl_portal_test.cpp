// CurlPortalApi against a real HTTP server on loopback (no libcurl mocks).
#include "patchd/curl_portal.hpp"

#include <gtest/gtest.h>

#include "tests/patchd/loopback_http_server.hpp"

namespace lp::patchd::testing {
namespace {

using Server = LoopbackHttpServer;

Config ConfigFor(const Server& server) {
  Config c;
  c.portal_url = server.url() + "/";
  c.allow_plain_http = true;  // the loopback server speaks plain HTTP
  c.http_timeout_s = 5;
  return c;
}

bool Has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(CurlPortalTest, EnrollPostsTheTokenAndParsesTheCredential) {
  Server server([](const std::string&) {
    return Server::Response(200, R"({"device_id":"d-7","credential":"s3","group":"lab"})");
  });
  auto portal = MakeCurlPortal(ConfigFor(server));
  auto r = portal->Enroll("tok", "dev-17", {"6.1.0-56-amd64", "abcd", "x86_64"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->device_id, "d-7");
  EXPECT_EQ(r->credential, "s3");
  auto req = server.requests().at(0);
  EXPECT_TRUE(Has(req, "POST /api/v1/enroll HTTP/1.1"));
  EXPECT_TRUE(Has(req, R"("token":"tok")"));
  EXPECT_TRUE(Has(req, R"("build_id":"abcd")"));
}

TEST(CurlPortalTest, CheckInSendsBearerAndETagAndUnderstands304) {
  Server server([](const std::string& req) {
    if (Has(req, "If-None-Match: \"e1\"")) return Server::Response(304, "");
    return Server::Response(200, "{\"payload\":1}", "ETag: \"e1\"\r\n");
  });
  auto portal = MakeCurlPortal(ConfigFor(server));
  CheckinRequest request;
  request.applied = {{"lp-cmdline", 3, "applied"}};
  auto first = portal->CheckIn("cred", request);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first->not_modified);
  EXPECT_EQ(first->etag, "\"e1\"");
  EXPECT_EQ(first->body, "{\"payload\":1}");
  request.etag = first->etag;
  auto second = portal->CheckIn("cred", request);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->not_modified);
  auto req = server.requests().at(0);
  EXPECT_TRUE(Has(req, "Authorization: Bearer cred"));
  EXPECT_TRUE(Has(req, R"("applied":[{"patch_id":"lp-cmdline","state":"applied","version":3}])"));
}

TEST(CurlPortalTest, UnauthorizedIsAPermissionError) {
  Server server([](const std::string&) { return Server::Response(401, R"({"error":"unauthorized"})"); });
  auto r = MakeCurlPortal(ConfigFor(server))->CheckIn("bad", CheckinRequest{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPermission);
}

TEST(CurlPortalTest, BlobLargerThanTheLimitIsRefused) {
  Server server([](const std::string&) { return Server::Response(200, std::string(10000, 'x')); });
  auto r = MakeCurlPortal(ConfigFor(server))->FetchBlob(std::string(64, 'a'), 1000);
  ASSERT_FALSE(r);
  EXPECT_TRUE(Has(r.error().message, "larger than")) << r.error().message;
}

TEST(CurlPortalTest, TruncatedBlobIsAnError) {
  Server server([](const std::string&) {
    return std::string("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\nonly a little");
  });
  auto r = MakeCurlPortal(ConfigFor(server))->FetchBlob(std::string(64, 'a'), 1u << 20);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNetwork);
}

TEST(CurlPortalTest, ReportExpects204AndBlobPathIsContentAddressed) {
  Server server([](const std::string& req) {
    return Has(req, "/api/v1/reports") ? Server::Response(204, "") : Server::Response(200, "bytes");
  });
  auto portal = MakeCurlPortal(ConfigFor(server));
  EXPECT_TRUE(portal->Report("cred", R"({"patch_id":"x"})"));
  auto blob = portal->FetchBlob(std::string(64, 'b'), 100);
  ASSERT_TRUE(blob);
  EXPECT_EQ(*blob, "bytes");
  EXPECT_TRUE(Has(server.requests().at(1), "GET /api/v1/blobs/" + std::string(64, 'b')));
}

TEST(CurlPortalTest, NobodyListeningIsANetworkError) {
  Config c;
  { Server gone([](const std::string&) { return std::string(); }); c = ConfigFor(gone); }
  c.http_timeout_s = 2;
  auto r = MakeCurlPortal(c)->FetchBlob(std::string(64, 'a'), 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNetwork);
}


// Issue 10: without the opt-in, libcurl itself refuses plain HTTP too.
TEST(CurlPortalTest, PlainHttpIsRefusedWithoutTheOptIn) {
  Server server([](const std::string&) { return Server::Response(200, "{}"); });
  Config c = ConfigFor(server);
  c.allow_plain_http = false;
  auto r = MakeCurlPortal(c)->FetchBlob(std::string(64, 'a'), 100);
  ASSERT_FALSE(r);
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace lp::patchd::testing
