// Drives a real Server on a free port with libcurl and raw sockets.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/middleware.h"
#include "http/router.h"
#include "http/server.h"

namespace berth::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

Response text(int status, std::string body) {
  Response response;
  response.status = status;
  response.headers.add("Content-Type", "text/plain");
  response.body = std::move(body);
  return response;
}

// A byte pattern that a reader can check without storing it.
char pattern_byte(std::uint64_t index) {
  return static_cast<char>((index * 7 + index / 251) & 0xff);
}

// Reads the whole body in pieces and reports "<bytes> <pieces> <checksum-ok>".
asio::awaitable<Response> count_body(Exchange& exchange) {
  std::vector<char> buffer(64 * 1024);
  std::uint64_t total = 0;
  std::uint64_t pieces = 0;
  bool matches = true;
  for (;;) {
    auto got = co_await exchange.read_body(buffer);
    if (!got) co_return text(400, "error " + std::string(base::errc_name(got.error().code)));
    if (*got == 0) break;
    for (std::size_t i = 0; i < *got; ++i) matches = matches && buffer[i] == pattern_byte(total + i);
    total += *got;
    ++pieces;
  }
  co_return text(200, std::to_string(total) + " " + std::to_string(pieces) + " " + (matches ? "ok" : "bad"));
}

class TestServer {
 public:
  explicit TestServer(Handler handler, ServerOptions options = {}) {
    options.port = 0;
    options.io_threads = 2;
    options.blocking_threads = 2;
    server_ = std::make_unique<Server>(options, std::move(handler));
    const auto status = server_->listen();
    EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().message);
    thread_ = std::thread([this] {
      server_->run(false);
      stopped_.store(true);
    });
  }
  ~TestServer() { stop(); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  void stop() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  bool stopped() const { return stopped_.load(); }
  std::uint16_t port() const { return server_->port(); }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
  }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

// ---- libcurl ----

struct CurlReply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::vector<std::string> header_lines;
  long new_connections = 0;

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& line : header_lines) {
      const auto colon = line.find(':');
      if (colon == std::string::npos || colon != name.size()) continue;
      if (strncasecmp(line.data(), std::string(name).c_str(), name.size()) != 0) continue;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
      while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
        value.pop_back();
      return value;
    }
    return std::nullopt;
  }
};

struct UploadSource {
  std::uint64_t size = 0;
  std::uint64_t sent = 0;
};

class Curl {
 public:
  Curl() : easy_(curl_easy_init()) {}
  ~Curl() { curl_easy_cleanup(easy_); }
  Curl(const Curl&) = delete;
  Curl& operator=(const Curl&) = delete;

  CURL* get() { return easy_; }

  // Performs a request; `upload` streams a pattern body (chunked unless `sized`).
  CurlReply perform(const std::string& url, const std::string& method = "GET",
                    const std::vector<std::string>& headers = {}, std::optional<std::uint64_t> upload = {},
                    bool sized = true, const std::function<void()>& configure = {}) {
    CurlReply reply;
    UploadSource source;
    curl_easy_reset(easy_);
    curl_easy_setopt(easy_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Curl::on_body);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &Curl::on_header);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, &reply);
    if (method == "HEAD") {
      curl_easy_setopt(easy_, CURLOPT_NOBODY, 1L);
    } else if (method != "GET") {
      curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    curl_slist* list = nullptr;
    for (const auto& header : headers) list = curl_slist_append(list, header.c_str());
    if (upload) {
      source.size = *upload;
      curl_easy_setopt(easy_, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(easy_, CURLOPT_READFUNCTION, &Curl::on_read);
      curl_easy_setopt(easy_, CURLOPT_READDATA, &source);
      if (sized) {
        curl_easy_setopt(easy_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(*upload));
      } else {
        list = curl_slist_append(list, "Transfer-Encoding: chunked");
      }
    }
    if (list) curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, list);
    if (configure) configure();
    reply.code = curl_easy_perform(easy_);
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_easy_getinfo(easy_, CURLINFO_NUM_CONNECTS, &reply.new_connections);
    curl_slist_free_all(list);
    return reply;
  }

 private:
  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<CurlReply*>(user)->body.append(data, size * count);
    return size * count;
  }
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<CurlReply*>(user)->header_lines.emplace_back(data, size * count);
    return size * count;
  }
  static std::size_t on_read(char* out, std::size_t size, std::size_t count, void* user) {
    auto* source = static_cast<UploadSource*>(user);
    const std::size_t n = std::min<std::uint64_t>(size * count, source->size - source->sent);
    for (std::size_t i = 0; i < n; ++i) out[i] = pattern_byte(source->sent + i);
    source->sent += n;
    return n;
  }

  CURL* easy_;
};

// ---- raw sockets, for what curl will not send ----

class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    timeval timeout{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  bool send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  // Reads until the peer closes or the receive timeout passes.
  std::string read_until_close(bool* closed = nullptr) {
    std::string out;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n > 0) {
        out.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      // A close with our data unread arrives as a reset; a timeout is not a close.
      if (closed) *closed = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
      return out;
    }
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  bool connected_ = false;
};

// ---- handlers used by most tests ----

struct Probe {
  std::promise<base::Errc> body_error;
  std::atomic<bool> body_error_set{false};
};

Router make_router(Probe& probe) {
  Router router;
  router.add("/hello", [](Exchange& exchange) -> asio::awaitable<Response> {
    Response response = text(200, "hello world");
    if (exchange.request().method == Method::head) {
      response.body.clear();
      response.content_length_override = 11;
    }
    co_return response;
  });
  router.add("/echo/", [](Exchange& exchange) -> asio::awaitable<Response> {
    const Request& request = exchange.request();
    std::string out = std::string(method_name(request.method)) + " " + request.path + " q=" + request.query;
    if (auto v = request.query_param("v")) out += " v=" + *v;
    if (auto agent = request.headers.get("x-test")) out += " x-test=" + std::string(*agent);
    out += " id=" + request.request_id;
    co_return text(200, out);
  });
  router.add("/upload", [](Exchange& exchange) -> asio::awaitable<Response> { return count_body(exchange); });
  router.add("/ignore-body", [](Exchange&) -> asio::awaitable<Response> { co_return text(201, "ignored"); });
  router.add("/refuse", [](Exchange&) -> asio::awaitable<Response> { co_return text(413, "refused"); });
  router.add("/blocking", [](Exchange& exchange) -> asio::awaitable<Response> {
    const auto io_thread = std::this_thread::get_id();
    std::thread::id worker;
    co_await exchange.run_blocking([&worker] { worker = std::this_thread::get_id(); });
    const bool resumed_on_io = std::this_thread::get_id() == io_thread;
    co_return text(
        200, std::string(worker != io_thread ? "off-io" : "on-io") + (resumed_on_io ? " resumed" : " moved"));
  });
  router.add("/slow", [](Exchange&) -> asio::awaitable<Response> {
    asio::steady_timer timer(co_await asio::this_coro::executor, 400ms);
    co_await timer.async_wait(asio::use_awaitable);
    co_return text(200, "done");
  });
  router.add("/throw", [](Exchange&) -> asio::awaitable<Response> {
    throw std::runtime_error("boom");
    co_return text(200, "unreachable");
  });
  router.add("/abandon", [&probe](Exchange& exchange) -> asio::awaitable<Response> {
    std::vector<char> buffer(4096);
    for (;;) {
      auto got = co_await exchange.read_body(buffer);
      if (!got) {
        if (!probe.body_error_set.exchange(true)) probe.body_error.set_value(got.error().code);
        co_return text(400, "broken");
      }
      if (*got == 0) co_return text(200, "complete");
    }
  });
  return router;
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest()
      : router_(make_router(probe_)), server_(with_request_id(with_access_log(router_.handler()))) {}

  Probe probe_;
  Router router_;
  TestServer server_;
  Curl curl_;
};

TEST_F(HttpServerTest, GetAndHeadCarryContentLength) {
  auto get = curl_.perform(server_.url("/hello"));
  ASSERT_EQ(get.code, CURLE_OK);
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "hello world");
  EXPECT_EQ(get.header("Content-Length"), "11");
  EXPECT_EQ(get.header("Content-Type"), "text/plain");

  auto head = curl_.perform(server_.url("/hello"), "HEAD");
  ASSERT_EQ(head.code, CURLE_OK);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.header("Content-Length"), "11");
}

TEST_F(HttpServerTest, KeepAliveReusesTheConnection) {
  auto first = curl_.perform(server_.url("/hello"));
  auto second = curl_.perform(server_.url("/echo/x?v=a%20b"));
  ASSERT_EQ(first.code, CURLE_OK);
  ASSERT_EQ(second.code, CURLE_OK);
  EXPECT_EQ(first.new_connections, 1);
  EXPECT_EQ(second.new_connections, 0);
  EXPECT_TRUE(second.body.starts_with("GET /echo/x q=v=a%20b v=a b id=")) << second.body;
}

TEST_F(HttpServerTest, RouterPicksLongestPrefixAndAnswers404) {
  EXPECT_EQ(curl_.perform(server_.url("/echo/a/b")).status, 200);
  auto exact_only = curl_.perform(server_.url("/hello/more"));
  EXPECT_EQ(exact_only.status, 404);
  EXPECT_EQ(exact_only.header("Content-Type"), "application/json");
  EXPECT_EQ(curl_.perform(server_.url("/nothing")).status, 404);
}

TEST_F(HttpServerTest, RequestIdIsEchoedOrMinted) {
  auto given = curl_.perform(server_.url("/echo/id"), "GET", {"X-Request-Id: abc-123.X_y"});
  EXPECT_EQ(given.header("X-Request-Id"), "abc-123.X_y");
  EXPECT_NE(given.body.find("id=abc-123.X_y"), std::string::npos);

  auto minted = curl_.perform(server_.url("/echo/id"), "GET", {"X-Request-Id: not/sane"});
  const auto id = minted.header("X-Request-Id");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->size(), 16u);
  EXPECT_EQ(id->find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(minted.body.find("id=" + *id), std::string::npos);

  auto too_long = curl_.perform(server_.url("/echo/id"), "GET", {"X-Request-Id: " + std::string(65, 'a')});
  EXPECT_EQ(too_long.header("X-Request-Id")->size(), 16u);
}

TEST_F(HttpServerTest, StreamsContentLengthUploadInPieces) {
  constexpr std::uint64_t kSize = 6 * 1024 * 1024 + 123;
  const auto start = std::chrono::steady_clock::now();
  auto reply =
      curl_.perform(server_.url("/upload"), "PUT", {}, kSize, true);  // curl sends Expect: 100-continue
  ASSERT_EQ(reply.code, CURLE_OK);
  EXPECT_EQ(reply.status, 200);
  const auto pieces_at = reply.body.find(' ');
  EXPECT_EQ(reply.body.substr(0, pieces_at), std::to_string(kSize));
  EXPECT_GT(std::stoul(reply.body.substr(pieces_at + 1)), 90u);  // at most 64 KiB per piece
  EXPECT_TRUE(reply.body.ends_with(" ok")) << reply.body;
  // The 100 Continue came from the server, not from curl's one-second fallback.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);
}

TEST_F(HttpServerTest, StreamsChunkedUploadInPieces) {
  constexpr std::uint64_t kSize = 5 * 1024 * 1024 + 7;
  auto reply = curl_.perform(server_.url("/upload"), "PATCH", {"Expect:"}, kSize, false);
  ASSERT_EQ(reply.code, CURLE_OK);
  EXPECT_EQ(reply.status, 200);
  EXPECT_TRUE(reply.body.starts_with(std::to_string(kSize) + " ")) << reply.body;
  EXPECT_TRUE(reply.body.ends_with(" ok")) << reply.body;
  // Then the connection is still good for another request.
  auto next = curl_.perform(server_.url("/hello"));
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.new_connections, 0);
}

TEST_F(HttpServerTest, UnreadSmallBodyIsDrainedAndConnectionKept) {
  auto reply = curl_.perform(server_.url("/ignore-body"), "POST", {"Expect:"}, 10000, true);
  EXPECT_EQ(reply.status, 201);
  auto next = curl_.perform(server_.url("/hello"));
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.new_connections, 0);
}

TEST_F(HttpServerTest, UnreadLargeBodyClosesAfterAnswer) {
  auto reply = curl_.perform(server_.url("/ignore-body"), "POST", {"Expect:"}, 4 * 1024 * 1024, true);
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(reply.header("Connection"), "close");
  auto next = curl_.perform(server_.url("/hello"));
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.new_connections, 1);
}

TEST_F(HttpServerTest, RefusedLargeUploadGetsTheAnswerNotAReset) {
  for (bool expect_continue : {false, true}) {
    const std::vector<std::string> headers =
        expect_continue ? std::vector<std::string>{} : std::vector<std::string>{"Expect:"};
    auto reply = curl_.perform(server_.url("/refuse"), "PUT", headers, 8 * 1024 * 1024, true);
    EXPECT_EQ(reply.code, CURLE_OK) << curl_easy_strerror(reply.code);
    EXPECT_EQ(reply.status, 413);
    EXPECT_EQ(reply.body, "refused");
    EXPECT_EQ(reply.header("Connection"), "close");
  }
}

TEST_F(HttpServerTest, RunBlockingRunsOffTheIoThread) {
  auto reply = curl_.perform(server_.url("/blocking"));
  EXPECT_EQ(reply.body, "off-io resumed");
}

TEST_F(HttpServerTest, HandlerExceptionBecomes500) {
  auto reply = curl_.perform(server_.url("/throw"));
  EXPECT_EQ(reply.status, 500);
  EXPECT_EQ(reply.body, R"({"errors":[{"code":"UNKNOWN","message":"internal error"}]})");
  EXPECT_EQ(reply.header("X-Request-Id")->size(), 16u);
  EXPECT_EQ(curl_.perform(server_.url("/hello")).status, 200);
}

TEST_F(HttpServerTest, TlsClientHelloOnPlainPortIsAnsweredAtOnce) {
  RawClient client(server_.port());
  ASSERT_TRUE(client.connected());
  // The start of a TLS 1.2 ClientHello record.
  const std::string hello("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.send_all(hello));
  bool closed = false;
  const std::string answer = client.read_until_close(&closed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_TRUE(closed);
  EXPECT_TRUE(answer.empty() || answer.starts_with("HTTP/1.1 400")) << answer;
}

TEST_F(HttpServerTest, MalformedRequestGets400) {
  RawClient client(server_.port());
  ASSERT_TRUE(client.send_all("THIS IS NOT HTTP\r\n\r\n"));
  bool closed = false;
  EXPECT_TRUE(client.read_until_close(&closed).starts_with("HTTP/1.1 400"));
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, Http10ClosesUnlessKeepAliveAsked) {
  {
    RawClient client(server_.port());
    ASSERT_TRUE(client.send_all("GET /hello HTTP/1.0\r\n\r\n"));
    bool closed = false;
    const std::string answer = client.read_until_close(&closed);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << answer;
    EXPECT_TRUE(answer.ends_with("\r\n\r\nhello world"));
    EXPECT_TRUE(closed);
  }
  {
    RawClient client(server_.port());
    ASSERT_TRUE(
        client.send_all("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                        "GET /hello HTTP/1.0\r\n\r\n"));
    bool closed = false;
    const std::string answer = client.read_until_close(&closed);
    EXPECT_NE(answer.find("Connection: keep-alive\r\n"), std::string::npos);
    const auto second = answer.find("HTTP/1.1 200", 10);
    EXPECT_NE(second, std::string::npos) << answer;  // pipelined second answer
    EXPECT_TRUE(closed);
  }
}

TEST_F(HttpServerTest, ClientDisconnectMidBodyFailsReadBody) {
  auto error = probe_.body_error.get_future();
  {
    RawClient client(server_.port());
    ASSERT_TRUE(client.send_all("PUT /abandon HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"));
    ASSERT_TRUE(client.send_all(std::string(5000, 'x')));
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(error.wait_for(2s), std::future_status::ready);
  EXPECT_EQ(error.get(), base::Errc::cancelled);
}

TEST_F(HttpServerTest, MalformedChunkedBodyIsInvalidArgument) {
  auto error = probe_.body_error.get_future();
  RawClient client(server_.port());
  ASSERT_TRUE(
      client.send_all("PUT /abandon HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "4\r\nabcd\r\nzz\r\n"));
  ASSERT_EQ(error.wait_for(2s), std::future_status::ready);
  EXPECT_EQ(error.get(), base::Errc::invalid_argument);
  bool closed = false;
  EXPECT_TRUE(client.read_until_close(&closed).starts_with("HTTP/1.1 400"));
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, GracefulStopLetsInFlightRequestFinish) {
  auto slow = std::async(std::launch::async, [this] {
    Curl curl;
    return curl.perform(server_.url("/slow"));
  });
  std::this_thread::sleep_for(150ms);
  const auto start = std::chrono::steady_clock::now();
  server_.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(server_.stopped());
  auto reply = slow.get();
  ASSERT_EQ(reply.code, CURLE_OK);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "done");
  EXPECT_EQ(reply.header("Connection"), "close");
}

TEST(HttpServer, StopClosesIdleKeepAliveConnectionsPromptly) {
  Probe probe;
  Router router = make_router(probe);
  TestServer server(router.handler());
  Curl curl;
  EXPECT_EQ(curl.perform(server.url("/hello")).status, 200);  // leaves an idle connection
  const auto start = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(HttpServer, IdleConnectionsTimeOut) {
  Probe probe;
  Router router = make_router(probe);
  ServerOptions options;
  options.idle_timeout = 1s;
  TestServer server(router.handler(), options);
  RawClient client(server.port());
  ASSERT_TRUE(client.send_all("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  const std::string answer = client.read_until_close(&closed);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_TRUE(closed);  // by the server, after the idle timeout, not by the 2 s receive timeout
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1800ms);
}

TEST(HttpServer, ConnectionsBeyondTheLimitAreClosed) {
  Probe probe;
  Router router = make_router(probe);
  ServerOptions options;
  options.max_connections = 1;
  TestServer server(router.handler(), options);
  RawClient first(server.port());
  ASSERT_TRUE(first.send_all("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(50ms);  // the first connection is now counted
  RawClient second(server.port());
  second.send_all("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  bool closed = false;
  EXPECT_EQ(second.read_until_close(&closed), "");
  EXPECT_TRUE(closed);
}

TEST(HttpServer, HeadOverTheLimitGets431) {
  Probe probe;
  Router router = make_router(probe);
  ServerOptions options;
  options.max_header_bytes = 4096;
  TestServer server(router.handler(), options);
  Curl curl;
  auto reply = curl.perform(server.url("/hello"), "GET", {"X-Big: " + std::string(8000, 'b')});
  EXPECT_EQ(reply.status, 431);
  EXPECT_EQ(curl.perform(server.url("/hello"), "GET", {"X-Small: " + std::string(1000, 's')}).status, 200);
}

TEST(HttpServer, BodyOverTheLimitIsTooLarge) {
  ServerOptions options;
  options.max_body_bytes = 1000;
  TestServer server(
      [](Exchange& exchange) -> asio::awaitable<Response> {
        std::vector<char> buffer(256);
        for (;;) {
          auto got = co_await exchange.read_body(buffer);
          if (!got) co_return text(got.error().code == base::Errc::too_large ? 413 : 400, "");
          if (*got == 0) co_return text(200, "fits");
        }
      },
      options);
  Curl curl;
  EXPECT_EQ(curl.perform(server.url("/"), "PUT", {"Expect:"}, 1000, true).status, 200);
  EXPECT_EQ(curl.perform(server.url("/"), "PUT", {"Expect:"}, 200000, true).status, 413);
  EXPECT_EQ(curl.perform(server.url("/"), "PUT", {"Expect:"}, 5000, false).status, 413);
}

TEST(HttpServer, SendsFileBodies) {
  const auto path =
      std::filesystem::temp_directory_path() / ("berth-http-test-" + std::to_string(::getpid()));
  constexpr std::size_t kSize = 3 * 1024 * 1024 + 17;
  {
    std::ofstream out(path, std::ios::binary);
    for (std::size_t i = 0; i < kSize; ++i) out.put(pattern_byte(i));
  }
  constexpr std::uint64_t kOffset = 100;
  TestServer server([&path](Exchange&) -> asio::awaitable<Response> {
    Response response;
    response.headers.add("Content-Type", "application/octet-stream");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    response.file = FileBody{std::make_shared<base::UniqueFd>(fd), kOffset, kSize - kOffset};
    co_return response;
  });
  Curl curl;
  auto reply = curl.perform(server.url("/blob"));
  ASSERT_EQ(reply.code, CURLE_OK);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("Content-Length"), std::to_string(kSize - kOffset));
  ASSERT_EQ(reply.body.size(), kSize - kOffset);
  bool same = true;
  for (std::size_t i = 0; i < reply.body.size() && same; ++i)
    same = reply.body[i] == pattern_byte(kOffset + i);
  EXPECT_TRUE(same);

  auto head = curl.perform(server.url("/blob"), "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), std::to_string(kSize - kOffset));
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.new_connections, 0);
  std::filesystem::remove(path);
}

TEST(HttpServer, ServesTlsWhenGivenACertificate) {
  const auto dir = std::filesystem::temp_directory_path() / ("berth-http-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto cert = dir / "cert.pem";
  const auto key = dir / "key.pem";
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=localhost -keyout " +
      key.string() + " -out " + cert.string() + " >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) GTEST_SKIP() << "openssl could not make a test certificate";

  const auto file_path = dir / "blob";
  constexpr std::size_t kSize = 200 * 1024 + 3;
  {
    std::ofstream out(file_path, std::ios::binary);
    for (std::size_t i = 0; i < kSize; ++i) out.put(pattern_byte(i));
  }
  Probe probe;
  Router router = make_router(probe);
  router.add("/blob", [&file_path](Exchange&) -> asio::awaitable<Response> {
    Response response;
    const int fd = ::open(file_path.c_str(), O_RDONLY | O_CLOEXEC);
    response.file = FileBody{std::make_shared<base::UniqueFd>(fd), 0, kSize};
    co_return response;
  });
  ServerOptions options;
  options.tls_certificate = cert.string();
  options.tls_private_key = key.string();
  TestServer server(router.handler(), options);
  const std::string base = "https://127.0.0.1:" + std::to_string(server.port());

  Curl curl;
  const auto insecure = [&] {
    curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYHOST, 0L);
  };
  auto hello = curl.perform(base + "/hello", "GET", {}, {}, true, insecure);
  ASSERT_EQ(hello.code, CURLE_OK) << curl_easy_strerror(hello.code);
  EXPECT_EQ(hello.body, "hello world");

  auto upload = curl.perform(base + "/upload", "PUT", {}, 2 * 1024 * 1024, true, insecure);
  EXPECT_TRUE(upload.body.starts_with(std::to_string(2 * 1024 * 1024) + " ")) << upload.body;
  EXPECT_TRUE(upload.body.ends_with(" ok")) << upload.body;

  auto blob = curl.perform(base + "/blob", "GET", {}, {}, true, insecure);
  ASSERT_EQ(blob.body.size(), kSize);
  bool same = true;
  for (std::size_t i = 0; i < kSize && same; ++i) same = blob.body[i] == pattern_byte(i);
  EXPECT_TRUE(same);
  EXPECT_EQ(blob.new_connections, 0);

  // Plain HTTP on the TLS port fails quickly instead of hanging.
  Curl plain;
  auto refused = plain.perform("http://127.0.0.1:" + std::to_string(server.port()) + "/hello");
  EXPECT_NE(refused.status, 200);
  server.stop();
  std::filesystem::remove_all(dir);
}

// ---- router and middleware alone, without a server ----

class FakeExchange : public Exchange {
 public:
  Request request_value;
  const Request& request() const override { return request_value; }
  asio::awaitable<base::Result<std::size_t>> read_body(std::span<char>) override { co_return std::size_t{0}; }
  asio::awaitable<void> run_blocking(std::function<void()> work) override {
    work();
    co_return;
  }
};

asio::awaitable<void> invoke(const Handler& handler, Exchange& exchange, std::optional<Response>& out) {
  out = co_await handler(exchange);
}

Response call(const Handler& handler, Exchange& exchange) {
  asio::io_context context;
  std::optional<Response> response;
  asio::co_spawn(context, invoke(handler, exchange, response), asio::detached);
  context.run();
  return std::move(*response);
}

Handler answer(std::string body) {
  return [body = std::move(body)](Exchange&) -> asio::awaitable<Response> { co_return text(200, body); };
}

TEST(HttpRouter, LongestPrefixWinsAndExactRoutesDoNotMatchLongerPaths) {
  Router router;
  router.add("/v2/", answer("v2"));
  router.add("/v2/library/", answer("library"));
  router.add("/v2", answer("exact-v2"));
  router.add("/api/v2.0/projects", answer("projects"));
  const Handler handler = router.handler();
  FakeExchange exchange;
  const auto route = [&](std::string path) {
    exchange.request_value.path = std::move(path);
    const Response response = call(handler, exchange);
    return response.status == 200 ? response.body : std::to_string(response.status);
  };
  EXPECT_EQ(route("/v2/"), "v2");
  EXPECT_EQ(route("/v2"), "exact-v2");
  EXPECT_EQ(route("/v2/ubuntu/manifests/latest"), "v2");
  EXPECT_EQ(route("/v2/library/ubuntu/tags/list"), "library");
  EXPECT_EQ(route("/api/v2.0/projects"), "projects");
  EXPECT_EQ(route("/api/v2.0/projects/1"), "404");
  EXPECT_EQ(route("/"), "404");
}

TEST(HttpMiddleware, RequestIdWorksWithExchangesThatCannotStoreIt) {
  std::string seen;
  const Handler handler = with_request_id([&seen](Exchange& exchange) -> asio::awaitable<Response> {
    seen = exchange.request().request_id;
    co_return text(200, "");
  });
  FakeExchange exchange;
  exchange.request_value.headers.add("X-Request-Id", "client-id");
  const Response response = call(handler, exchange);
  EXPECT_EQ(seen, "client-id");
  EXPECT_EQ(response.headers.get("X-Request-Id"), "client-id");
}

}  // namespace
}  // namespace berth::http
