// Harbor's pluggable scanner API both ways: the adapter (/api/v1) served by a real http::Server
// with a stand-in scan, the ExternalScanner client against it, the in-memory result store, and
// the registry client (scan::pull_image) against a small registry served in the test.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "api/scanner/adapter.h"
#include "base/base64.h"
#include "http/server.h"
#include "oci/digest.h"
#include "oci/media_types.h"
#include "remote/http.h"
#include "remote/registry_client.h"
#include "scan/external.h"
#include "scan/remote.h"
#include "scan/scanner.h"

namespace berth::api::scanner {
namespace {

namespace json = boost::json;
namespace media = scan::adapter_media;
using namespace std::chrono_literals;

constexpr const char* kDigest = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";
constexpr const char* kSecret = "adapter-secret-1";

// ---- a real server on a free port ----

class TestServer {
 public:
  explicit TestServer(http::Handler handler) {
    http::ServerOptions options;
    options.port = 0;
    options.io_threads = 2;
    options.blocking_threads = 2;
    server_ = std::make_unique<http::Server>(options, std::move(handler));
    const auto status = server_->listen();
    EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().message);
    thread_ = std::thread([this] { server_->run(false); });
  }
  ~TestServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::string url(std::string_view path = "") const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }
  std::uint16_t port() const { return server_->port(); }

 private:
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

remote::HttpReply call(const std::string& method, const std::string& url,
                       std::vector<std::string> headers = {},
                       std::optional<std::string> body = std::nullopt) {
  remote::HttpCall c;
  c.method = method;
  c.url = url;
  c.headers = std::move(headers);
  c.body = std::move(body);
  auto reply = remote::http_call(c);
  EXPECT_TRUE(reply.ok()) << (reply.ok() ? "" : reply.error().message);
  return reply.ok() ? *reply : remote::HttpReply{};
}

json::value json_of(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value() : v;
}

// The message of {"error":{"message":...}}, or a note that the body is not that.
std::string error_message(const remote::HttpReply& reply) {
  json::value v = json_of(reply.body);
  if (v.is_object()) {
    if (const auto* e = v.as_object().if_contains("error"); e != nullptr && e->is_object()) {
      if (const auto* m = e->as_object().if_contains("message"); m != nullptr && m->is_string())
        return std::string(m->as_string());
    }
  }
  return "<not an error body: " + reply.body + ">";
}

std::string scan_request_body(std::string_view repository = "library/debian",
                              std::string_view digest = kDigest) {
  return json::serialize(json::object{
      {"registry", {{"url", "https://core.harbor.domain"}, {"authorization", "Basic cm9ib3Q6cHc="}}},
      {"artifact",
       {{"repository", repository},
        {"digest", digest},
        {"tag", "12"},
        {"mime_type", oci::media_type::oci_manifest}}}});
}

std::string bearer() {
  return std::string("Authorization: Bearer ") + kSecret;
}

// ---- parse_scan_request ----

TEST(ScanRequestParse, AcceptsHarborsRequest) {
  auto parsed = parse_scan_request(scan_request_body());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->registry_url, "https://core.harbor.domain");
  EXPECT_EQ(parsed->authorization, "Basic cm9ib3Q6cHc=");
  EXPECT_EQ(parsed->repository, "library/debian");
  EXPECT_EQ(parsed->digest, kDigest);
  EXPECT_EQ(parsed->tag, "12");
  EXPECT_EQ(parsed->mime_type, oci::media_type::oci_manifest);
}

TEST(ScanRequestParse, OptionalFieldsMayBeAbsentOrNull) {
  auto parsed = parse_scan_request(R"({"registry":{"url":"http://core:8080","authorization":null},
      "artifact":{"repository":"p/r","digest":")" +
                                   std::string(kDigest) + R"(","enabled_capabilities":null}})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->authorization, "");
  EXPECT_EQ(parsed->tag, "");
}

TEST(ScanRequestParse, RefusesWithTheSpecsStatuses) {
  const std::string d = kDigest;
  const struct {
    std::string body;
    int status;
    std::string message;
  } cases[] = {
      {"{not json", 400, "malformed JSON"},
      {"[1,2]", 400, "JSON object"},
      {R"({"registry":"x","artifact":{}})", 400, "registry must be an object"},
      {R"({"registry":{"url":42},"artifact":{}})", 400, "registry.url must be a string"},
      {R"({"artifact":{"repository":"a","digest":")" + d + "\"}}", 422, "missing registry"},
      {R"({"registry":{},"artifact":{"repository":"a","digest":")" + d + "\"}}", 422, "missing registry.url"},
      {R"({"registry":{"url":"ftp://x"},"artifact":{"repository":"a","digest":")" + d + "\"}}", 422,
       "invalid registry.url"},
      {R"({"registry":{"url":"http://"},"artifact":{"repository":"a","digest":")" + d + "\"}}", 422,
       "invalid registry.url"},
      {R"({"registry":{"url":"http://h"}})", 422, "missing artifact"},
      {R"({"registry":{"url":"http://h"},"artifact":{"digest":")" + d + "\"}}", 422,
       "missing artifact.repository"},
      {R"({"registry":{"url":"http://h"},"artifact":{"repository":"../x","digest":")" + d + "\"}}", 422,
       "invalid artifact.repository"},
      {R"({"registry":{"url":"http://h"},"artifact":{"repository":"a"}})", 422, "missing artifact.digest"},
      {R"({"registry":{"url":"http://h"},"artifact":{"repository":"a","digest":"sha256:xyz"}})", 422,
       "invalid artifact.digest"},
      {R"({"registry":{"url":"http://h","authorization":"Basic a\r\nX: y"},"artifact":{"repository":"a","digest":")" +
           d + "\"}}",
       422, "invalid registry.authorization"},
      {R"({"registry":{"url":"http://h"},"artifact":{"repository":"a","digest":")" + d +
           R"(","mime_type":"application/vnd.cncf.helm.config.v1+json"}})",
       501, "cannot scan artifacts"},
      {R"({"registry":{"url":"http://h"},"artifact":{"repository":"a","digest":")" + d +
           R"("},"enabled_capabilities":[{"type":"malware"}]})",
       422, "invalid scan type"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_scan_request(c.body);
    ASSERT_FALSE(parsed.ok()) << c.body;
    EXPECT_EQ(parsed.error().status, c.status) << c.body << ": " << parsed.error().message;
    EXPECT_NE(parsed.error().message.find(c.message), std::string::npos) << parsed.error().message;
  }
}

TEST(ScanRequestParse, ErrorBodyIsTheSpecsShape) {
  json::value v = json_of(error_body("boom \"quoted\""));
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.at("error").at("message").as_string(), "boom \"quoted\"");
}

// ---- ResultStore ----

TEST(ResultStore, FinishedEntriesExpireAfterTheTtl) {
  ResultStore store(10, 60s);
  const auto t0 = ResultStore::Clock::now();
  auto id = store.add(t0);
  ASSERT_TRUE(id);
  store.set_running(*id, t0 + 1s);
  store.finish(*id, ScanResult{"{}", nullptr, {}}, t0 + 2s);
  auto entry = store.get(*id, t0 + 61s);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->state, ResultStore::State::done);
  ASSERT_TRUE(entry->result);
  EXPECT_EQ(entry->result->vulnerability_report, "{}");
  EXPECT_FALSE(store.get(*id, t0 + 62s));
  EXPECT_EQ(store.size(), 0u);
}

TEST(ResultStore, UnfinishedEntriesDoNotExpire) {
  ResultStore store(10, 60s);
  const auto t0 = ResultStore::Clock::now();
  auto queued = store.add(t0);
  auto running = store.add(t0);
  store.set_running(*running, t0);
  EXPECT_TRUE(store.get(*queued, t0 + 3600s));
  EXPECT_TRUE(store.get(*running, t0 + 3600s));
  store.fail(*running, "no", t0 + 3600s);
  auto failed = store.get(*running, t0 + 3601s);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->state, ResultStore::State::failed);
  EXPECT_EQ(failed->error, "no");
  EXPECT_FALSE(store.get(*running, t0 + 3661s));
}

TEST(ResultStore, BoundedEvictingTheOldestFinished) {
  ResultStore store(3, 3600s);
  const auto t0 = ResultStore::Clock::now();
  auto a = store.add(t0);
  auto b = store.add(t0);
  auto c = store.add(t0);
  store.finish(*b, ScanResult{}, t0 + 1s);
  store.finish(*a, ScanResult{}, t0 + 2s);
  auto d = store.add(t0 + 3s);  // evicts b, the oldest finished
  ASSERT_TRUE(d);
  EXPECT_EQ(store.size(), 3u);
  EXPECT_FALSE(store.get(*b, t0 + 3s));
  EXPECT_TRUE(store.get(*a, t0 + 3s));
  auto e = store.add(t0 + 4s);  // evicts a
  ASSERT_TRUE(e);
  EXPECT_FALSE(store.get(*a, t0 + 4s));
  // c, d, e unfinished: nothing may go.
  EXPECT_FALSE(store.add(t0 + 5s));
  store.remove(*c);
  EXPECT_TRUE(store.add(t0 + 6s));
}

TEST(ResultStore, IdsAreUnique) {
  ResultStore store(1000, 60s);
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.insert(*store.add());
  EXPECT_EQ(ids.size(), 200u);
}

// ---- the adapter over HTTP, with a stand-in scan ----

// A scan that waits for the test to let it finish.
struct Gate {
  std::mutex mutex;
  std::condition_variable_any cv;
  bool open = false;
  std::atomic<int> started{0};

  void release() {
    {
      std::lock_guard lock(mutex);
      open = true;
    }
    cv.notify_all();
  }
  void wait_started(int n) {
    for (int i = 0; i < 500 && started.load() < n; ++i) std::this_thread::sleep_for(10ms);
  }

  ScanFunction function() {
    return [this](const ScanRequest& request, std::stop_token stop) -> base::Result<ScanResult> {
      ++started;
      {
        std::unique_lock lock(mutex);
        if (!cv.wait(lock, stop, [&] { return open; }))
          return base::make_error(base::Errc::cancelled, "stop");
      }
      if (request.repository == "fail/me") return base::make_error(base::Errc::not_found, "manifest gone");
      inventory::Inventory inv;
      inv.os.family = "debian";
      inv.os.version = "12";
      ScanResult result;
      result.vulnerability_report =
          R"({"artifact":{"repository":")" + request.repository + R"("},"vulnerabilities":[]})";
      result.inventory = std::make_shared<const inventory::Inventory>(std::move(inv));
      return result;
    };
  }
};

Options adapter_options(Gate& gate) {
  Options options;
  options.secret = kSecret;
  options.version = "9.9.9";
  options.refresh_after = 2s;
  options.scan = gate.function();
  return options;
}

// Polls the report until it is no longer 302 (at most ~10 s).
remote::HttpReply poll_report(const TestServer& server, const std::string& id,
                              std::string accept = std::string(media::kVulnerabilityReport),
                              std::string query = "") {
  remote::HttpReply reply;
  for (int i = 0; i < 1000; ++i) {
    reply =
        call("GET", server.url("/api/v1/scan/" + id + "/report" + query), {bearer(), "Accept: " + accept});
    if (reply.status != 302) break;
    std::this_thread::sleep_for(10ms);
  }
  return reply;
}

std::string submit(const TestServer& server, const std::string& body = scan_request_body()) {
  auto reply = call("POST", server.url("/api/v1/scan"),
                    {bearer(), "Content-Type: " + std::string(media::kScanRequest)}, body);
  EXPECT_EQ(reply.status, 202) << reply.body;
  EXPECT_EQ(reply.header("Content-Type").value_or(""), media::kScanResponse);
  json::value v = json_of(reply.body);
  if (!v.is_object() || !v.as_object().contains("id") || !v.at("id").is_string()) return "";
  return std::string(v.at("id").as_string());
}

TEST(ScannerAdapter, RefusesWithoutTheSecret) {
  Gate gate;
  gate.release();
  TestServer server(make_handler(adapter_options(gate)));
  for (const std::vector<std::string>& headers :
       std::vector<std::vector<std::string>>{{},
                                             {"Authorization: Bearer wrong"},
                                             {"Authorization: Basic YWRtaW46eA=="},
                                             {"X-ScannerAdapter-API-Key: x"}}) {
    auto reply = call("GET", server.url("/api/v1/metadata"), headers);
    EXPECT_EQ(reply.status, 401);
    EXPECT_EQ(reply.header("Content-Type").value_or(""), media::kError);
    EXPECT_NE(error_message(reply).find("credentials"), std::string::npos) << reply.body;
  }
  auto post = call("POST", server.url("/api/v1/scan"), {"Authorization: Bearer nope"}, scan_request_body());
  EXPECT_EQ(post.status, 401);
  EXPECT_EQ(call("GET", server.url("/api/v1/metadata"), {bearer()}).status, 200);
  EXPECT_EQ(
      call("GET", server.url("/api/v1/metadata"), {"authorization: bearer " + std::string(kSecret)}).status,
      200);
  EXPECT_EQ(call("GET", server.url("/api/v1/metadata"), {"X-ScannerAdapter-API-Key: " + std::string(kSecret)})
                .status,
            200);
}

TEST(ScannerAdapter, OpenWithoutASecret) {
  Gate gate;
  gate.release();
  Options options = adapter_options(gate);
  options.secret.clear();
  TestServer server(make_handler(std::move(options)));
  EXPECT_EQ(call("GET", server.url("/api/v1/metadata")).status, 200);
}

TEST(ScannerAdapter, Metadata) {
  Gate gate;
  gate.release();
  TestServer server(make_handler(adapter_options(gate)));
  auto reply =
      call("GET", server.url("/api/v1/metadata"), {bearer(), "Accept: " + std::string(media::kMetadata)});
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("Content-Type").value_or(""), media::kMetadata);
  json::value v = json_of(reply.body);
  ASSERT_TRUE(v.is_object()) << reply.body;
  EXPECT_EQ(v.at("scanner").at("name").as_string(), "Berth");
  EXPECT_EQ(v.at("scanner").at("version").as_string(), "9.9.9");
  const auto& capabilities = v.at("capabilities").as_array();
  ASSERT_EQ(capabilities.size(), 2u);
  EXPECT_EQ(capabilities[0].at("type").as_string(), "vulnerability");
  EXPECT_EQ(capabilities[0].at("consumes_mime_types").as_array(),
            (json::array{oci::media_type::oci_manifest, oci::media_type::docker_manifest}));
  EXPECT_EQ(capabilities[0].at("produces_mime_types").as_array(), json::array{media::kVulnerabilityReport});
  EXPECT_EQ(capabilities[1].at("type").as_string(), "sbom");
  EXPECT_EQ(capabilities[1].at("produces_mime_types").as_array(), json::array{media::kSbomReport});
  EXPECT_EQ(capabilities[1].at("additional_attributes").at("sbom_media_types").as_array().size(), 2u);
  EXPECT_EQ(v.at("properties").at("harbor.scanner-adapter/scanner-type").as_string(),
            "os-package-vulnerability");
}

TEST(ScannerAdapter, ScanLifecycle) {
  Gate gate;
  TestServer server(make_handler(adapter_options(gate)));
  const std::string id = submit(server);
  ASSERT_FALSE(id.empty());

  auto pending = call("GET", server.url("/api/v1/scan/" + id + "/report"),
                      {bearer(), "Accept: " + std::string(media::kVulnerabilityReport)});
  EXPECT_EQ(pending.status, 302);
  EXPECT_EQ(pending.header("Refresh-After").value_or(""), "2");
  EXPECT_EQ(pending.header("Location").value_or(""), "/api/v1/scan/" + id + "/report");

  gate.release();
  auto done = poll_report(server, id);
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.header("Content-Type").value_or(""), media::kVulnerabilityReport);
  EXPECT_EQ(json_of(done.body).at("artifact").at("repository").as_string(), "library/debian");

  // The same document under the spec's v1.0 type, and with no or a wildcard Accept.
  auto native = poll_report(server, id, std::string(media::kNativeReport));
  EXPECT_EQ(native.status, 200);
  EXPECT_EQ(native.header("Content-Type").value_or(""), media::kNativeReport);
  EXPECT_EQ(native.body, done.body);
  EXPECT_EQ(poll_report(server, id, "*/*").body, done.body);
  EXPECT_EQ(poll_report(server, id, "application/vnd.security.vulnerability.report;version=1.1").body,
            done.body);

  // SBOMs (v1.2): the format must be named.
  auto no_format = poll_report(server, id, std::string(media::kSbomReport));
  EXPECT_EQ(no_format.status, 400);
  EXPECT_NE(error_message(no_format).find("sbom_media_type"), std::string::npos);
  for (std::string type : {"application/spdx+json", "application/vnd.cyclonedx+json"}) {
    auto sbom = poll_report(server, id, std::string(media::kSbomReport),
                            "?sbom_media_type=" + remote::url_encode(type));
    ASSERT_EQ(sbom.status, 200) << sbom.body;
    EXPECT_EQ(sbom.header("Content-Type").value_or(""), media::kSbomReport);
    json::value v = json_of(sbom.body);
    ASSERT_TRUE(v.is_object()) << sbom.body;
    EXPECT_EQ(v.at("media_type").as_string(), type);
    EXPECT_EQ(v.at("artifact").at("digest").as_string(), kDigest);
    EXPECT_EQ(v.at("artifact").at("tag").as_string(), "12");
    EXPECT_EQ(v.at("scanner").at("name").as_string(), "Berth");
    ASSERT_TRUE(v.at("sbom").is_object());
    EXPECT_TRUE(
        v.at("sbom").as_object().contains(type == "application/spdx+json" ? "spdxVersion" : "bomFormat"));
  }

  // A report type the scanner does not produce.
  auto other = poll_report(server, id, "application/vnd.scanner.adapter.vuln.report.raw");
  EXPECT_EQ(other.status, 501);
  EXPECT_EQ(other.header("Content-Type").value_or(""), media::kError);
}

TEST(ScannerAdapter, FailedScanIs500WithTheReason) {
  Gate gate;
  gate.release();
  TestServer server(make_handler(adapter_options(gate)));
  const std::string id = submit(server, scan_request_body("fail/me"));
  auto reply = poll_report(server, id);
  EXPECT_EQ(reply.status, 500);
  EXPECT_EQ(reply.header("Content-Type").value_or(""), media::kError);
  EXPECT_EQ(error_message(reply), "manifest gone");
}

TEST(ScannerAdapter, RefusalsAndUnknowns) {
  Gate gate;
  gate.release();
  TestServer server(make_handler(adapter_options(gate)));
  auto unknown =
      call("GET", server.url("/api/v1/scan/3fa85f64-5717-4562-b3fc-2c963f66afa6/report"), {bearer()});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(error_message(unknown).find("cannot find"), std::string::npos);
  EXPECT_EQ(call("GET", server.url("/api/v1/nothing"), {bearer()}).status, 404);
  EXPECT_EQ(call("GET", server.url("/api/v1/scan/a/b/report"), {bearer()}).status, 404);

  auto wrong_method = call("GET", server.url("/api/v1/scan"), {bearer()});
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.header("Allow").value_or(""), "POST");
  EXPECT_EQ(call("POST", server.url("/api/v1/metadata"), {bearer()}, "").status, 405);

  auto malformed = call("POST", server.url("/api/v1/scan"), {bearer()}, "{");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(error_message(malformed).find("malformed JSON"), std::string::npos);
  auto invalid = call("POST", server.url("/api/v1/scan"), {bearer()}, R"({"registry":{"url":"http://h"}})");
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(error_message(invalid), "missing artifact");
  auto huge = call("POST", server.url("/api/v1/scan"), {bearer()}, std::string(100000, ' '));
  EXPECT_EQ(huge.status, 413);
}

TEST(ScannerAdapter, BoundedQueueAnswers503) {
  Gate gate;
  Options options = adapter_options(gate);
  options.workers = 1;
  options.max_queued = 1;
  TestServer server(make_handler(std::move(options)));
  const std::string first = submit(server);
  gate.wait_started(1);  // the worker holds the first; the queue is empty
  const std::string second = submit(server);
  auto third = call("POST", server.url("/api/v1/scan"), {bearer()}, scan_request_body());
  EXPECT_EQ(third.status, 503);
  EXPECT_EQ(third.header("Content-Type").value_or(""), media::kError);
  gate.release();
  EXPECT_EQ(poll_report(server, first).status, 200);
  EXPECT_EQ(poll_report(server, second).status, 200);
  EXPECT_FALSE(submit(server).empty());
}

TEST(ScannerAdapter, ShutdownCancelsScansInProgress) {
  Gate gate;  // never released
  {
    TestServer server(make_handler(adapter_options(gate)));
    submit(server);
    gate.wait_started(1);
  }  // the handler's destruction must not hang on the scan
  EXPECT_EQ(gate.started.load(), 1);
}

// ---- ExternalScanner against the adapter ----

TEST(ExternalScanner, ScansThroughTheAdapter) {
  Gate gate;
  gate.release();
  TestServer server(make_handler(adapter_options(gate)));
  scan::ExternalOptions options;
  options.url = server.url();  // "/api/v1" is added
  options.secret = kSecret;
  scan::ExternalScanner client(options);
  EXPECT_EQ(client.api_url(), server.url("/api/v1"));

  auto metadata = client.metadata();
  ASSERT_TRUE(metadata.ok()) << metadata.error().message;
  EXPECT_EQ(metadata->name, "Berth");
  EXPECT_EQ(metadata->version, "9.9.9");
  EXPECT_EQ(metadata->report_media_type, media::kVulnerabilityReport);
  EXPECT_EQ(metadata->properties["harbor.scanner-adapter/scanner-type"], "os-package-vulnerability");

  scan::ExternalTarget target{"http://registry.example",
                              "Basic eDp5",
                              "library/debian",
                              kDigest,
                              "12",
                              std::string(oci::media_type::oci_manifest)};
  auto report = client.scan(target);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(json_of(*report).at("artifact").at("repository").as_string(), "library/debian");

  target.repository = "fail/me";
  auto failed = client.scan(target);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, base::Errc::internal);
  EXPECT_NE(failed.error().message.find("manifest gone"), std::string::npos);

  std::chrono::seconds wait{0};
  auto unknown = client.poll("no-such-id", &wait);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, base::Errc::not_found);
}

TEST(ExternalScanner, HonoursRefreshAfterAndTimesOut) {
  Gate gate;  // released by the test
  TestServer server(make_handler(adapter_options(gate)));
  scan::ExternalOptions options;
  options.url = server.url("/api/v1/");
  options.secret = kSecret;
  options.timeout = 1s;
  scan::ExternalScanner client(options);
  scan::ExternalTarget target{"http://r", "", "a/b", kDigest, "", ""};
  const auto start = std::chrono::steady_clock::now();
  auto timed_out = client.scan(target);
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.error().code, base::Errc::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);

  auto id = client.submit(target);
  ASSERT_TRUE(id.ok());
  std::chrono::seconds wait{0};
  auto pending = client.poll(*id, &wait);
  ASSERT_TRUE(pending.ok());
  EXPECT_FALSE(*pending);
  EXPECT_EQ(wait, 2s);  // the adapter's Refresh-After
  gate.release();
}

TEST(ExternalScanner, RefusedSecretAndNoAdapter) {
  Gate gate;
  gate.release();
  TestServer server(make_handler(adapter_options(gate)));
  scan::ExternalOptions options;
  options.url = server.url();
  options.secret = "wrong";
  auto refused = scan::ExternalScanner(options).metadata();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, base::Errc::invalid_argument);

  options.url = "http://127.0.0.1:1";
  auto nobody = scan::ExternalScanner(options).metadata();
  ASSERT_FALSE(nobody.ok());
  EXPECT_EQ(nobody.error().code, base::Errc::unavailable);
}

TEST(ExternalScanner, RequestBody) {
  scan::ExternalTarget target{"https://berth", "Bearer t", "p/r", kDigest, "", "application/x"};
  json::value v = json_of(scan::scan_request_json(target));
  EXPECT_EQ(v.at("registry").at("url").as_string(), "https://berth");
  EXPECT_EQ(v.at("registry").at("authorization").as_string(), "Bearer t");
  EXPECT_EQ(v.at("artifact").at("repository").as_string(), "p/r");
  EXPECT_FALSE(v.at("artifact").as_object().contains("tag"));
  auto parsed = parse_scan_request(scan::scan_request_json(target));
  EXPECT_FALSE(parsed.ok());  // application/x is not an image: 501
  target.mime_type = std::string(oci::media_type::docker_manifest);
  EXPECT_TRUE(parse_scan_request(scan::scan_request_json(target)).ok());
}

// ---- the registry client against a registry served here ----

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

la_ssize_t append_output(archive*, void* user, const void* data, size_t size) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(data), size);
  return static_cast<la_ssize_t>(size);
}

// A gzip-compressed tar holding `files` (path -> content).
std::string tar_gz(const std::map<std::string, std::string>& files) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(a, &out, nullptr, append_output, nullptr);
  for (const auto& [path, content] : files) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, path.c_str());
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(content.size()));
    archive_write_header(a, entry);
    archive_write_data(a, content.data(), content.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

std::string digest(std::string_view data) {
  return oci::digest_of(data).str();
}

struct Blob {
  std::string data;
  std::string digest;
};

Blob blob(std::string data) {
  Blob b{std::move(data), ""};
  b.digest = digest(b.data);
  return b;
}

std::string descriptor(std::string_view type, const Blob& b, std::string_view platform = "") {
  std::string out = R"({"mediaType":")" + std::string(type) + R"(","digest":")" + b.digest + R"(","size":)" +
                    std::to_string(b.data.size());
  if (!platform.empty()) out += R"(,"platform":)" + std::string(platform);
  return out + "}";
}

std::string image_manifest(const Blob& config, const std::vector<Blob>& layers,
                           std::string_view config_type = oci::media_type::oci_config) {
  std::string out =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
      descriptor(config_type, config) + R"(,"layers":[)";
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (i > 0) out += ",";
    out += descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layers[i]);
  }
  return out + "]}";
}

// A registry that wants a bearer token from its /token realm (basic credentials robot:pw),
// serving manifests and blobs from memory; blobs optionally redirect to another host name.
struct FakeRegistry {
  std::mutex mutex;
  std::map<std::string, std::pair<std::string, std::string>> manifests;  // "repo@ref" -> (type, body)
  std::map<std::string, std::string> blobs;                              // digest -> bytes
  bool redirect_blobs = false;
  std::vector<std::string> log;  // "path auth|noauth"

  void add_manifest(const std::string& repo, const std::string& ref, std::string type, std::string body) {
    std::lock_guard lock(mutex);
    manifests[repo + "@" + ref] = {std::move(type), std::move(body)};
  }
  void add_blob(const Blob& b) {
    std::lock_guard lock(mutex);
    blobs[b.digest] = b.data;
  }

  http::Response answer(const http::Request& request) {
    std::lock_guard lock(mutex);
    const std::string auth(request.headers.get("Authorization").value_or(""));
    log.push_back(request.path + (auth.empty() ? " noauth" : " auth"));
    http::Response response;
    const std::string host(request.headers.get("Host").value_or(""));
    if (request.path == "/token") {
      if (auth != "Basic " + base::base64_encode("robot:pw")) {
        response.status = 401;
        return response;
      }
      response.body = R"({"token":"tok-1"})";
      return response;
    }
    if (request.path.starts_with("/data/")) {  // where blobs redirect to
      auto it = blobs.find(request.path.substr(6));
      response.status = it == blobs.end() ? 404 : 200;
      if (it != blobs.end()) response.body = it->second;
      return response;
    }
    if (auth != "Bearer tok-1") {
      response.status = 401;
      response.headers.set("WWW-Authenticate", "Bearer realm=\"http://" + host +
                                                   "/token\",service=\"fake\",scope=\"repository:x:pull\"");
      return response;
    }
    const std::string& path = request.path;
    if (auto at = path.find("/manifests/"); path.starts_with("/v2/") && at != std::string::npos) {
      const std::string key = path.substr(4, at - 4) + "@" + path.substr(at + 11);
      auto it = manifests.find(key);
      if (it == manifests.end()) {
        response.status = 404;
        return response;
      }
      response.headers.set("Content-Type", it->second.first);
      response.body = it->second.second;
      return response;
    }
    if (auto at = path.find("/blobs/"); path.starts_with("/v2/") && at != std::string::npos) {
      const std::string d = path.substr(at + 7);
      if (redirect_blobs) {
        // Another host name for the same server: the Authorization header must not follow.
        response.status = 307;
        response.headers.set("Location",
                             "http://localhost:" + host.substr(host.rfind(':') + 1) + "/data/" + d);
        return response;
      }
      auto it = blobs.find(d);
      response.status = it == blobs.end() ? 404 : 200;
      if (it != blobs.end()) response.body = it->second;
      return response;
    }
    response.status = 404;
    return response;
  }
};

http::Handler registry_handler(FakeRegistry& registry) {
  return [&registry](http::Exchange& exchange) -> boost::asio::awaitable<http::Response> {
    co_return registry.answer(exchange.request());
  };
}

class RemotePull : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::filesystem::path root =
        std::filesystem::path(BERTH_TEST_DATA) / "vulndb-sample/debian/rootfs-bookworm-minbase";
    layer_ = blob(tar_gz({{"etc/os-release", read_file(root / "etc/os-release")},
                          {"etc/debian_version", read_file(root / "etc/debian_version")},
                          {"var/lib/dpkg/status", read_file(root / "var/lib/dpkg/status")}}));
    config_ = blob(R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})");
    manifest_ = image_manifest(config_, {layer_});
    registry_.add_blob(layer_);
    registry_.add_blob(config_);
    registry_.add_manifest("lib/deb", digest(manifest_), "application/vnd.oci.image.manifest.v1+json",
                           manifest_);
    registry_.add_manifest("lib/deb", "12", "application/vnd.oci.image.manifest.v1+json", manifest_);
    server_ = std::make_unique<TestServer>(registry_handler(registry_));
  }

  scan::RemoteTarget target(std::string reference) const {
    return {server_->url(), "Basic " + base::base64_encode("robot:pw"), "lib/deb", std::move(reference)};
  }

  Blob layer_;
  Blob config_;
  std::string manifest_;
  FakeRegistry registry_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(RemotePull, PullsThroughTheTokenChallengeAndScans) {
  auto pulled = scan::pull_image(target(digest(manifest_)));
  ASSERT_TRUE(pulled.ok()) << pulled.error().message;
  EXPECT_EQ(pulled->manifest_digest, digest(manifest_));
  EXPECT_EQ(pulled->image_digest, digest(manifest_));
  EXPECT_EQ(pulled->media_type, oci::media_type::oci_manifest);
  EXPECT_EQ(pulled->platform, "");
  ASSERT_EQ(pulled->layers.size(), 1u);
  EXPECT_EQ(pulled->bytes, layer_.data.size());
  auto inventory = scan::inventory_of_layers(pulled->layers);
  ASSERT_TRUE(inventory.ok()) << inventory.error().message;
  EXPECT_EQ(inventory->os.family, "debian");
  EXPECT_EQ(inventory->packages.size(), 88u);
  // The first request was refused, the token fetched with the basic credentials, then retried.
  std::lock_guard lock(registry_.mutex);
  ASSERT_GE(registry_.log.size(), 3u);
  EXPECT_EQ(registry_.log[1], "/token auth");
}

TEST_F(RemotePull, ByTag) {
  auto pulled = scan::pull_image(target("12"));
  ASSERT_TRUE(pulled.ok()) << pulled.error().message;
  EXPECT_EQ(pulled->manifest_digest, digest(manifest_));
}

TEST_F(RemotePull, PicksLinuxAmd64FromAnIndex) {
  const Blob image = blob(manifest_);
  const Blob other = blob(image_manifest(config_, {}));
  const std::string index =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
      descriptor(oci::media_type::oci_manifest, other, R"({"architecture":"arm64","os":"linux"})") + "," +
      descriptor(oci::media_type::oci_manifest, image, R"({"architecture":"amd64","os":"linux"})") + "]}";
  registry_.add_manifest("lib/deb", digest(index), "application/vnd.oci.image.index.v1+json", index);
  registry_.add_manifest("lib/deb", other.digest, "application/vnd.oci.image.manifest.v1+json", other.data);
  auto pulled = scan::pull_image(target(digest(index)));
  ASSERT_TRUE(pulled.ok()) << pulled.error().message;
  EXPECT_EQ(pulled->manifest_digest, digest(index));
  EXPECT_EQ(pulled->media_type, oci::media_type::oci_index);
  EXPECT_EQ(pulled->image_digest, digest(manifest_));
  EXPECT_EQ(pulled->platform, "linux/amd64");
  EXPECT_EQ(pulled->layers.size(), 1u);

  scan::RemoteOptions arm;
  arm.platform_architecture = "arm64";
  auto pulled_arm = scan::pull_image(target(digest(index)), arm);
  ASSERT_TRUE(pulled_arm.ok()) << pulled_arm.error().message;
  EXPECT_EQ(pulled_arm->image_digest, other.digest);
  EXPECT_EQ(pulled_arm->layers.size(), 0u);
}

TEST_F(RemotePull, FollowsBlobRedirectsWithoutTheAuthorization) {
  registry_.redirect_blobs = true;
  auto pulled = scan::pull_image(target(digest(manifest_)));
  ASSERT_TRUE(pulled.ok()) << pulled.error().message;
  std::lock_guard lock(registry_.mutex);
  EXPECT_NE(std::find(registry_.log.begin(), registry_.log.end(), "/data/" + layer_.digest + " noauth"),
            registry_.log.end());
}

TEST_F(RemotePull, RefusesWrongContent) {
  // A layer whose bytes do not hash to its digest.
  {
    std::lock_guard lock(registry_.mutex);
    registry_.blobs[layer_.digest][10] ^= 1;
  }
  auto corrupt = scan::pull_image(target(digest(manifest_)));
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.error().code, base::Errc::corrupt);
  // A layer longer than its descriptor says.
  {
    std::lock_guard lock(registry_.mutex);
    registry_.blobs[layer_.digest] = layer_.data + "x";
  }
  auto longer = scan::pull_image(target(digest(manifest_)));
  ASSERT_FALSE(longer.ok());
  EXPECT_EQ(longer.error().code, base::Errc::too_large);
  // A manifest that does not match the digest asked for.
  registry_.add_manifest("lib/deb", digest("other"), "application/vnd.oci.image.manifest.v1+json", manifest_);
  auto mismatch = scan::pull_image(target(digest("other")));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, base::Errc::corrupt);
}

TEST_F(RemotePull, LimitsAndRefusals) {
  scan::RemoteOptions small;
  small.max_layer_bytes = 100;
  auto too_large = scan::pull_image(target(digest(manifest_)), small);
  ASSERT_FALSE(too_large.ok());
  EXPECT_EQ(too_large.error().code, base::Errc::too_large);

  auto missing = scan::pull_image(target(digest("nothing")));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, base::Errc::not_found);

  auto wrong = target(digest(manifest_));
  wrong.authorization = "Basic " + base::base64_encode("robot:nope");
  auto refused = scan::pull_image(wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, base::Errc::invalid_argument);

  const std::string helm = image_manifest(config_, {layer_}, "application/vnd.cncf.helm.config.v1+json");
  registry_.add_manifest("lib/deb", digest(helm), "application/vnd.oci.image.manifest.v1+json", helm);
  auto not_image = scan::pull_image(target(digest(helm)));
  ASSERT_FALSE(not_image.ok());
  EXPECT_EQ(not_image.error().code, base::Errc::unsupported);

  auto bad_repo = target(digest(manifest_));
  bad_repo.repository = "../etc";
  EXPECT_EQ(scan::pull_image(bad_repo).error().code, base::Errc::invalid_argument);
  auto bad_url = target(digest(manifest_));
  bad_url.registry_url = "file:///etc";
  EXPECT_EQ(scan::pull_image(bad_url).error().code, base::Errc::invalid_argument);
}

TEST_F(RemotePull, CancelledByTheStopToken) {
  std::stop_source stop;
  stop.request_stop();
  auto cancelled = scan::pull_image(target(digest(manifest_)), {}, stop.get_token());
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.error().code, base::Errc::cancelled);
}

TEST(RemotePieces, ParsesBearerChallenges) {
  auto c = remote::parse_bearer_challenge(
      R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->realm, "https://auth.example/token");
  EXPECT_EQ(c->service, "registry.example");
  EXPECT_EQ(c->scope, "repository:a/b:pull,push");
  auto unquoted = remote::parse_bearer_challenge("bearer realm=http://h/t, service=s");
  ASSERT_TRUE(unquoted);
  EXPECT_EQ(unquoted->realm, "http://h/t");
  EXPECT_EQ(unquoted->service, "s");
  EXPECT_FALSE(remote::parse_bearer_challenge(R"(Basic realm="x")"));
  EXPECT_FALSE(remote::parse_bearer_challenge(R"(Bearer service="x")"));
  EXPECT_FALSE(remote::parse_bearer_challenge(R"(Bearer realm="unterminated)"));
}

TEST(RemotePieces, PickPlatform) {
  oci::Manifest index;
  auto child = [](std::string os, std::string arch) {
    oci::Descriptor d;
    if (!os.empty()) d.platform = oci::Platform{arch, os, ""};
    return d;
  };
  index.manifests = {child("", ""), child("unknown", "unknown"), child("linux", "arm64"),
                     child("linux", "amd64")};
  EXPECT_EQ(scan::pick_platform(index, "linux", "amd64"), 3u);
  EXPECT_EQ(scan::pick_platform(index, "linux", "s390x"), 2u);
  EXPECT_FALSE(scan::pick_platform(index, "windows", "amd64"));
}

}  // namespace
}  // namespace berth::api::scanner
