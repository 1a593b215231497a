// The HTTP/1.1 server. Design:
// - one io_context per io thread, each run by exactly that thread; the acceptor hands
//   new sockets to the loops in turn, so a connection and all its handlers stay on one
//   thread and need no strand;
// - one coroutine per connection, which is also the Exchange of its current request:
//   the request head is parsed by Beast, the body is pulled through the same parser
//   into the handler's buffer only when the handler asks for it;
// - responses are serialized by hand (status line, fields, Content-Length) and written
//   with one gathered write, or the head and then sendfile(2) for file bodies.
#include "http/server.h"

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/log.h"
#include "base/text.h"
#include "http/beast_head.h"
#include "http/deadline.h"
#include "http/tls_context.h"
#include "http/transfer_budget.h"

namespace berth::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kFirstReadBytes = 8 * 1024;
// An idle TLS connection reads its next request through the TLS stream, which already
// holds the decrypted record: a small first read keeps waiting connections small.
constexpr std::size_t kTlsIdleReadBytes = 1024;
constexpr std::size_t kDrainLimit = 64 * 1024;          // unread body we still read to keep a connection
constexpr std::size_t kLingerLimit = 64 * 1024 * 1024;  // unread input discarded before a close
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr auto kDrainTime = std::chrono::seconds(5);
constexpr std::size_t kTlsFileChunk = 64 * 1024;
constexpr std::size_t kScratchBytes = 16 * 1024;
constexpr unsigned char kTlsHandshakeRecord = 0x16;

using Clock = std::chrono::steady_clock;

// Answers the server gives on its own, without a handler: status line and fields, without
// the blank line that ends the head (Strict-Transport-Security may still be added).
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n";
constexpr std::string_view kBadRequest =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n";
constexpr std::string_view kHeadTimeout =
    "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n";
constexpr std::string_view kHeadTooLarge =
    "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n";
constexpr std::string_view kInternalErrorBody =
    R"({"errors":[{"code":"UNKNOWN","message":"internal error"}]})";

// Room for input that is read only to be thrown away (drained bodies, lingering
// closes). Several coroutines on a thread may share it because nobody reads it back.
char* discard_buffer() {
  thread_local std::array<char, kScratchBytes> buffer;
  return buffer.data();
}

using base::iequals;

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A field a handler may put on the wire: a token name and a value without line breaks.
bool is_valid_field(std::string_view name, std::string_view value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) return false;
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  out.append(digits, end);
}

// Errors after which the peer is simply gone: no answer is possible or useful.
bool is_disconnect(const error_code& ec) {
  return ec == asio::error::eof || ec == bhttp::error::end_of_stream ||
         ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == beast::error::timeout || ec == asio::error::bad_descriptor ||
         ec == asio::ssl::error::stream_truncated;
}

base::Error body_error(const error_code& ec) {
  if (ec == bhttp::error::body_limit)
    return base::make_error(base::Errc::too_large, "request body too large");
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_chunk).category() &&
      ec != bhttp::error::partial_message && ec != bhttp::error::end_of_stream) {
    return base::make_error(base::Errc::invalid_argument, "malformed request body: " + ec.message());
  }
  return base::make_error(base::Errc::cancelled, "request body interrupted: " + ec.message());
}

Response internal_error() {
  Response response;
  response.status = 500;
  response.headers.add("Content-Type", "application/json");
  response.body = kInternalErrorBody;
  return response;
}

// What the server needs to reach every open connection (at shutdown).
class ConnectionNode {
 public:
  virtual ~ConnectionNode() = default;
  // Cancels the connection's pending read if it is waiting for a new request.
  virtual void cancel_if_idle() = 0;

  ConnectionNode* prev = nullptr;
  ConnectionNode* next = nullptr;
};

// An io_context that exactly one thread runs, and the connections living on it.
struct EventLoop {
  ConnectionNode* connections = nullptr;  // touched only on this loop's thread
  asio::io_context context{1};            // declared last: destroyed first, with its coroutines

  void link(ConnectionNode* node) {
    node->next = connections;
    if (connections) connections->prev = node;
    connections = node;
  }
  void unlink(ConnectionNode* node) {
    if (node->prev) node->prev->next = node->next;
    if (node->next) node->next->prev = node->prev;
    if (connections == node) connections = node->next;
    node->prev = node->next = nullptr;
  }
};

class ServerCore {
 public:
  ServerCore(ServerOptions options, Handler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        buffer_limit_(std::max<std::size_t>(options_.max_header_bytes + 4096, 64 * 1024)) {}

  base::Status listen();
  std::uint16_t port() const { return port_; }
  base::Status reload_tls();
  void run(bool handle_signals);
  void stop();

  const ServerOptions& options() const { return options_; }
  const Handler& handler() const { return handler_; }
  std::size_t buffer_limit() const { return buffer_limit_; }
  // "Strict-Transport-Security: ...\r\n" for TLS responses, or "".
  std::string_view hsts_field() const { return hsts_field_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  asio::thread_pool& pool() { return *pool_; }
  void connection_closed();

 private:
  asio::awaitable<void> accept_loop();
  void spawn_connection(tcp::socket socket, EventLoop& loop);
  void wait_for_reload_signal();
  void shut_down_loops();
  std::shared_ptr<asio::ssl::context> tls_context() {
    std::lock_guard lock(tls_mutex_);
    return tls_;
  }

  ServerOptions options_;
  Handler handler_;
  std::size_t buffer_limit_;
  std::string hsts_field_;
  bool tls_enabled_ = false;
  std::mutex tls_mutex_;
  std::shared_ptr<asio::ssl::context> tls_;  // guarded by tls_mutex_; replaced by reload_tls()
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_requested_ = false;  // guarded by mutex_
  std::size_t next_loop_ = 0;    // used by the accept loop only
  bool at_limit_ = false;        // used by the accept loop only; logs the limit once per episode
  // The loops outlive everything below them, which their coroutines may still use.
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<asio::signal_set> signals_;
  std::optional<asio::signal_set> reload_signal_;
  std::optional<asio::thread_pool> pool_;
};

// One client connection, and the Exchange of the request it is serving. Lives in its
// coroutine's frame on one event loop. Under TLS the TLS stream is made only when the
// client's first bytes arrive, so that a connection that sends nothing costs little.
template <bool kTls>
class Connection final : public Exchange, public ConnectionNode {
 public:
  Connection(ServerCore& server, EventLoop& loop, beast::tcp_stream stream,
             std::shared_ptr<asio::ssl::context> tls_context, std::string remote_address)
      : server_(server),
        loop_(loop),
        tcp_(std::move(stream)),
        tls_context_(std::move(tls_context)),
        deadline_(tcp_.socket()),
        buffer_(server.buffer_limit()),
        body_budget_(server.options().body_timeout, server.options().min_body_rate),
        send_budget_(server.options().send_timeout, server.options().min_send_rate) {
    request_.remote_address = std::move(remote_address);
    loop_.link(this);
  }
  ~Connection() override {
    loop_.unlink(this);
    server_.connection_closed();
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  asio::awaitable<void> serve();

  const Request& request() const override { return request_; }
  void set_request_id(std::string id) override { request_.request_id = std::move(id); }
  asio::awaitable<base::Result<std::size_t>> read_body(std::span<char> buffer) override;
  asio::awaitable<void> run_blocking(std::function<void()> work) override;

  void cancel_if_idle() override {
    if (idle_) tcp_.cancel();
  }

 private:
  using Parser = RequestParser;
  using TlsStream = asio::ssl::stream<beast::tcp_stream&>;

  // The stream requests and responses go through: TLS over tcp_, or tcp_ itself.
  auto& stream() {
    if constexpr (kTls) {
      return *tls_;
    } else {
      return tcp_;
    }
  }
  tcp::socket& socket() { return tcp_.socket(); }

  // Starts a time limit on the reads that follow (instead of Beast's, which would close the
  // socket and leave no way to answer).
  void arm(Clock::duration limit) {
    tcp_.expires_never();
    deadline_.arm(limit);
  }

  asio::awaitable<bool> handshake();
  asio::awaitable<bool> wait_for_request();
  enum class Arrival { data, nothing_yet, closed };
  Arrival read_arrived();
  asio::awaitable<bool> read_head(bool first);
  asio::awaitable<bool> serve_request();
  asio::awaitable<Response> call_handler();
  void load_request();
  asio::awaitable<bool> drain_body();
  asio::awaitable<bool> write_response(const Response& response, bool keep_alive);
  bool build_head(const Response& response, bool keep_alive);
  asio::awaitable<bool> write_canned(std::string_view status_and_fields);
  template <class Buffers>
  asio::awaitable<bool> send_all(const Buffers& buffers);
  asio::awaitable<bool> send_file(const FileBody& file);
  asio::awaitable<bool> wait_ready(tcp::socket::wait_type what, Clock::duration limit);
  asio::awaitable<void> linger();
  base::Error fail_body(base::Error error) {
    body_failed_ = true;
    return error;
  }
  base::Error body_too_slow() const;

  ServerCore& server_;
  EventLoop& loop_;
  beast::tcp_stream tcp_;
  std::shared_ptr<asio::ssl::context> tls_context_;  // TLS: the context when the connection came
  std::optional<TlsStream> tls_;                     // TLS: made by handshake(); uses tcp_
  Deadline deadline_;
  beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  Request request_;
  std::string head_;  // serialized response head, reused
  TransferBudget body_budget_;
  TransferBudget send_budget_;
  std::uint64_t body_read_ = 0;
  bool idle_ = false;
  bool expect_continue_ = false;
  bool continue_sent_ = false;
  bool body_failed_ = false;
  bool non_blocking_ = false;
};

template <bool kTls>
asio::awaitable<void> Connection<kTls>::serve() {
  if constexpr (kTls) {
    if (!co_await handshake()) co_return;
  }
  bool first = true;
  while (!server_.stopping()) {
    if (!co_await read_head(first)) break;
    first = false;
    if (!co_await serve_request()) break;
  }
  error_code ignored;
  socket().shutdown(tcp::socket::shutdown_both, ignored);
}

// TLS: waits (idle_timeout) for the client's first bytes without holding any TLS state,
// then makes the TLS stream and completes the handshake within header_timeout.
template <bool kTls>
asio::awaitable<bool> Connection<kTls>::handshake() {
  idle_ = true;
  const bool arrived = co_await wait_ready(tcp::socket::wait_read, server_.options().idle_timeout);
  idle_ = false;
  if (!arrived || server_.stopping()) co_return false;
  tls_.emplace(tcp_, *tls_context_);
  arm(server_.options().header_timeout);
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::server, nothrow);
  if (deadline_.disarm()) {
    BERTH_LOG_DEBUG("TLS handshake with {} took longer than {} s", request_.remote_address,
                    server_.options().header_timeout.count());
    co_return false;
  }
  if (ec) {
    BERTH_LOG_DEBUG("TLS handshake with {} failed: {}", request_.remote_address, ec.message());
    co_return false;
  }
  co_return true;
}

// Waits up to idle_timeout for the first bytes of the next request. A plain connection
// reads what has already arrived (a busy keep-alive client's next request usually has);
// otherwise it waits for the socket to become readable holding no buffer, then reads what
// came in one go. A TLS one reads (the bytes may already sit decrypted in the TLS stream).
// Returns false when the connection should close quietly (idle too long, peer gone,
// shutdown).
template <bool kTls>
asio::awaitable<bool> Connection<kTls>::wait_for_request() {
  idle_ = true;
  bool arrived = false;
  if constexpr (kTls) {
    buffer_.shrink_to_fit();  // empty here: an idle connection gives its buffer back
    arm(server_.options().idle_timeout);
    auto [ec, n] = co_await stream().async_read_some(buffer_.prepare(kTlsIdleReadBytes), nothrow);
    buffer_.commit(n);
    deadline_.disarm();
    arrived = n > 0;
  } else {
    Arrival now = read_arrived();
    if (now == Arrival::nothing_yet) {
      buffer_.shrink_to_fit();  // empty here: an idle connection gives its buffer back
      const bool ready = co_await wait_ready(tcp::socket::wait_read, server_.options().idle_timeout);
      now = ready ? read_arrived() : Arrival::closed;
    }
    // nothing_yet after readiness is a spurious wake-up: the head read that follows waits.
    arrived = now != Arrival::closed;
  }
  idle_ = false;
  co_return arrived && !server_.stopping();
}

// One non-blocking read of up to kFirstReadBytes into buffer_, without waiting.
template <bool kTls>
typename Connection<kTls>::Arrival Connection<kTls>::read_arrived() {
  const auto space = buffer_.prepare(kFirstReadBytes);
  const ssize_t n = ::recv(socket().native_handle(), space.data(), space.size(), MSG_DONTWAIT);
  if (n > 0) {
    buffer_.commit(static_cast<std::size_t>(n));
    return Arrival::data;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return Arrival::nothing_yet;
  return Arrival::closed;  // 0: the peer closed; any other error ends the connection too
}

// Reads the next request head into parser_: it may start within idle_timeout and must be
// complete header_timeout after that. Answers what cannot be served (a TLS handshake on a
// plain port, a malformed, oversized or late head) and returns false when the connection
// is done.
template <bool kTls>
asio::awaitable<bool> Connection<kTls>::read_head(bool first) {
  parser_.emplace();
  limit_request_parser(*parser_, server_.options().max_header_bytes);  // bodies: read_body's limit
  if (buffer_.size() == 0 && !co_await wait_for_request()) co_return false;
  arm(server_.options().header_timeout);
  if constexpr (!kTls) {
    // A client trying TLS first (skopeo, podman) must learn at once that this is not
    // TLS, so look at the first byte before waiting for a complete head.
    if (first) {
      if (buffer_.size() == 0) {
        auto [ec, n] = co_await stream().async_read_some(buffer_.prepare(kFirstReadBytes), nothrow);
        buffer_.commit(n);
        if (ec || n == 0) {
          deadline_.disarm();
          co_return false;
        }
      }
      if (static_cast<unsigned char>(*static_cast<const char*>(buffer_.data().data())) ==
          kTlsHandshakeRecord) {
        deadline_.disarm();
        BERTH_LOG_DEBUG("TLS handshake from {} on a plain-HTTP port", request_.remote_address);
        co_await write_canned(kBadRequest);
        co_await linger();
        co_return false;
      }
    }
  }
  idle_ = true;  // no request has begun to be served: a shutdown may close the connection
  auto [ec, n] = co_await bhttp::async_read_header(stream(), buffer_, *parser_, nothrow);
  idle_ = false;
  const bool late = deadline_.disarm();
  if (!ec) co_return true;
  if (late) {
    BERTH_LOG_DEBUG("request head from {} not complete within {} s", request_.remote_address,
                    server_.options().header_timeout.count());
    co_await write_canned(kHeadTimeout);
  } else if (is_disconnect(ec)) {
    co_return false;
  } else if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    co_await write_canned(kHeadTooLarge);
  } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
    BERTH_LOG_DEBUG("malformed request from {}: {}", request_.remote_address, ec.message());
    co_await write_canned(kBadRequest);
  } else {
    co_return false;
  }
  co_await linger();
  co_return false;
}

template <bool kTls>
void Connection<kTls>::load_request() {
  load_request_head(*parser_, request_);
  const auto& message = parser_->get();
  body_read_ = 0;
  body_budget_.reset();
  body_failed_ = false;
  continue_sent_ = false;
  const auto expect = message.find(bhttp::field::expect);
  expect_continue_ = message.version() >= 11 && expect != message.end() && !parser_->is_done() &&
                     iequals(expect->value(), "100-continue");
}

template <bool kTls>
asio::awaitable<Response> Connection<kTls>::call_handler() {
  std::optional<Response> response;
  try {
    response = co_await server_.handler()(*this);
  } catch (const std::exception& e) {
    BERTH_LOG_ERROR("handler failed on {} {} (request {}): {}", method_name(request_.method), request_.path,
                    request_.request_id, e.what());
  } catch (...) {
    BERTH_LOG_ERROR("handler failed on {} {} (request {}): unknown exception", method_name(request_.method),
                    request_.path, request_.request_id);
  }
  if (!response) {
    response = internal_error();
    // The request-id middleware did not get to echo the id; do it here.
    if (!request_.request_id.empty()) response->headers.add("X-Request-Id", request_.request_id);
  }
  co_return std::move(*response);
}

// Runs the handler for the request in parser_ and answers it. Returns whether the
// connection may serve another request.
template <bool kTls>
asio::awaitable<bool> Connection<kTls>::serve_request() {
  load_request();
  Response response = co_await call_handler();

  bool keep_alive = parser_->keep_alive() && !server_.stopping() && !body_failed_;
  if (const auto connection = response.headers.get("Connection");
      connection && iequals(*connection, "close")) {
    keep_alive = false;
  }
  bool body_done = parser_->is_done();
  // A client waiting for "100 Continue" that it never got may or may not send the
  // body; only a close leaves no doubt.
  if (!body_done && !body_failed_ && !(expect_continue_ && !continue_sent_))
    body_done = co_await drain_body();
  keep_alive = keep_alive && body_done;

  if (!co_await write_response(response, keep_alive)) co_return false;
  if (!keep_alive && !body_done) co_await linger();
  co_return keep_alive;
}

template <bool kTls>
base::Error Connection<kTls>::body_too_slow() const {
  const auto& options = server_.options();
  std::string message =
      "request body too slow: a pause over " + std::to_string(options.body_timeout.count()) + " s";
  if (options.min_body_rate != 0)
    message += " or under " + std::to_string(options.min_body_rate) + " bytes/s on average";
  return base::make_error(base::Errc::cancelled, std::move(message));
}

template <bool kTls>
asio::awaitable<base::Result<std::size_t>> Connection<kTls>::read_body(std::span<char> out) {
  if (!parser_ || parser_->is_done()) co_return std::size_t{0};
  if (body_failed_) co_return base::make_error(base::Errc::cancelled, "request body already failed");
  if (out.empty())
    co_return base::make_error(base::Errc::invalid_argument, "read_body needs a non-empty buffer");
  const std::uint64_t limit = server_.options().max_body_bytes;
  if (limit != 0 && request_.content_length && *request_.content_length > limit) {
    co_return fail_body(base::make_error(base::Errc::too_large, "request body too large"));
  }
  if (expect_continue_ && !continue_sent_) {
    continue_sent_ = true;
    if (!co_await write_canned(kContinue))
      co_return fail_body(base::make_error(base::Errc::cancelled, "request body interrupted: client gone"));
  }
  for (;;) {
    const auto wait = body_budget_.next_wait();
    if (wait <= Clock::duration::zero()) co_return fail_body(body_too_slow());
    auto& body = parser_->get().body();
    body.data = out.data();
    body.size = out.size();
    body.more = true;
    arm(wait);
    const auto started = Clock::now();
    auto [ec, n] = co_await bhttp::async_read_some(stream(), buffer_, *parser_, nothrow);
    const bool late = deadline_.disarm();
    const std::size_t got = out.size() - body.size;
    body.data = nullptr;
    body.size = 0;
    body_budget_.record(Clock::now() - started, got);
    if (late && got == 0) co_return fail_body(body_too_slow());
    if (ec && ec != bhttp::error::need_buffer && !late) co_return fail_body(body_error(ec));
    if (got == 0 && !parser_->is_done()) continue;  // only framing (a chunk header) so far
    body_read_ += got;
    if (limit != 0 && body_read_ > limit) {
      co_return fail_body(base::make_error(base::Errc::too_large, "request body too large"));
    }
    co_return got;
  }
}

template <bool kTls>
asio::awaitable<void> Connection<kTls>::run_blocking(std::function<void()> work) {
  auto& pool = server_.pool();
  co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
      [&pool, &work](auto resume) {
        asio::post(pool, [work = std::move(work), resume = std::move(resume)]() mutable {
          try {
            work();
          } catch (const std::exception& e) {
            BERTH_LOG_ERROR("blocking work threw (it must not): {}", e.what());
          } catch (...) {
            BERTH_LOG_ERROR("blocking work threw (it must not)");
          }
          // Resume the coroutine on its own loop, never on the pool thread.
          auto executor = asio::get_associated_executor(resume);
          asio::post(executor, std::move(resume));
        });
      },
      asio::use_awaitable);
}

// Reads and discards a small unread rest of the request body so that the connection
// can be kept. Returns whether the body is now complete.
template <bool kTls>
asio::awaitable<bool> Connection<kTls>::drain_body() {
  if (request_.content_length && *request_.content_length - body_read_ > kDrainLimit) co_return false;
  std::size_t drained = 0;
  arm(std::min<Clock::duration>(server_.options().body_timeout, kDrainTime));
  bool complete = true;
  while (!parser_->is_done()) {
    auto& body = parser_->get().body();
    body.data = discard_buffer();
    body.size = kScratchBytes;
    body.more = true;
    auto [ec, n] = co_await bhttp::async_read_some(stream(), buffer_, *parser_, nothrow);
    drained += kScratchBytes - body.size;
    body.data = nullptr;
    body.size = 0;
    if ((ec && ec != bhttp::error::need_buffer) || drained > kDrainLimit) {
      complete = false;
      break;
    }
  }
  deadline_.disarm();
  co_return complete;
}

// Serializes the status line and fields into head_. Returns whether a body follows.
template <bool kTls>
bool Connection<kTls>::build_head(const Response& response, bool keep_alive) {
  int status = response.status;
  if (status < 200 || status > 599) {
    BERTH_LOG_ERROR("handler returned status {} for {} {}; sending 500", status, method_name(request_.method),
                    request_.path);
    status = 500;
  }
  const bool head_request = request_.method == Method::head;
  const std::uint64_t length = response.file ? response.file->length : response.body.size();
  std::optional<std::uint64_t> announced;
  if (status == 204) {
    // No Content-Length and no body, by definition.
  } else if (status == 304) {
    announced = response.content_length_override;
  } else if (head_request) {
    announced = response.content_length_override;
    if (!announced && !response.file && response.body.empty()) {
      // A handler may have put the length in the fields instead.
      if (const auto given = response.headers.get("Content-Length")) {
        std::uint64_t value = 0;
        const auto [end, err] = std::from_chars(given->data(), given->data() + given->size(), value);
        if (err == std::errc() && end == given->data() + given->size()) announced = value;
      }
    }
    if (!announced) announced = length;
  } else {
    announced = length;
  }

  head_.clear();
  head_.append("HTTP/1.1 ");
  append_number(head_, static_cast<std::uint64_t>(status));
  head_.push_back(' ');
  std::string_view reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  if (reason.starts_with('<')) reason = "Unknown";  // Beast's "<unknown-status>"
  head_.append(reason);
  head_.append("\r\n");
  for (const auto& [name, value] : response.headers.fields()) {
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
        iequals(name, "Connection")) {
      continue;
    }
    if (!is_valid_field(name, value)) {
      BERTH_LOG_WARN("dropping a response field with an invalid name or value on {}", request_.path);
      continue;
    }
    head_.append(name);
    head_.append(": ");
    head_.append(value);
    head_.append("\r\n");
  }
  if constexpr (kTls) {
    if (!response.headers.has("Strict-Transport-Security")) head_.append(server_.hsts_field());
  }
  if (announced) {
    head_.append("Content-Length: ");
    append_number(head_, *announced);
    head_.append("\r\n");
  }
  if (!keep_alive) {
    head_.append("Connection: close\r\n");
  } else if (parser_->get().version() == 10) {
    head_.append("Connection: keep-alive\r\n");
  }
  head_.append("\r\n");
  return !head_request && status != 204 && status != 304 && length > 0;
}

template <bool kTls>
asio::awaitable<bool> Connection<kTls>::write_response(const Response& response, bool keep_alive) {
  if (response.file && !(response.file->fd && response.file->fd->valid())) {
    BERTH_LOG_ERROR("handler returned a file body without a file for {} {}", method_name(request_.method),
                    request_.path);
    const Response fallback = internal_error();
    co_return co_await write_response(fallback, keep_alive);
  }
  const bool with_body = build_head(response, keep_alive);
  send_budget_.reset();
  if (!with_body) co_return co_await send_all(asio::buffer(head_));
  if (response.file) co_return co_await send_file(*response.file);
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(head_), asio::buffer(response.body)};
  co_return co_await send_all(buffers);
}

// Sends one of the server's own answers (status line and fields without the final blank line).
template <bool kTls>
asio::awaitable<bool> Connection<kTls>::write_canned(std::string_view status_and_fields) {
  head_.assign(status_and_fields);
  if (!status_and_fields.starts_with("HTTP/1.1 1"))
    head_.append(server_.hsts_field());  // not on 100 Continue
  head_.append("\r\n");
  send_budget_.reset();
  co_return co_await send_all(asio::buffer(head_));
}

// Writes `buffers` whole, as long as the client reads them at the pace send_budget_ allows.
template <bool kTls>
template <class Buffers>
asio::awaitable<bool> Connection<kTls>::send_all(const Buffers& buffers) {
  beast::buffers_suffix<Buffers> rest(buffers);
  while (beast::buffer_bytes(rest) > 0) {
    const auto wait = send_budget_.next_wait();
    if (wait <= Clock::duration::zero()) {
      BERTH_LOG_DEBUG("{} reads the response to {} too slowly; closing", request_.remote_address,
                      request_.path);
      co_return false;
    }
    tcp_.expires_after(wait);
    const auto started = Clock::now();
    auto [ec, n] = co_await stream().async_write_some(rest, nothrow);
    send_budget_.record(Clock::now() - started, n);
    if (ec) co_return false;
    rest.consume(n);
  }
  co_return true;
}

// Waits until the socket can be read or written, up to `limit`.
template <bool kTls>
asio::awaitable<bool> Connection<kTls>::wait_ready(tcp::socket::wait_type what, Clock::duration limit) {
  arm(limit);
  auto [ec] = co_await socket().async_wait(what, nothrow);
  const bool late = deadline_.disarm();
  co_return !ec && !late;
}

// Sends head_ and then the file range. Plain connections use sendfile(2) on the
// socket in non-blocking mode; TLS connections read and write it in chunks.
template <bool kTls>
asio::awaitable<bool> Connection<kTls>::send_file(const FileBody& file) {
  const int file_fd = file.fd->get();
  if constexpr (kTls) {
    if (!co_await send_all(asio::buffer(head_))) co_return false;
    std::vector<char> chunk(static_cast<std::size_t>(std::min<std::uint64_t>(file.length, kTlsFileChunk)));
    std::uint64_t offset = file.offset;
    std::uint64_t remaining = file.length;
    while (remaining > 0) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk.size()));
      const ssize_t got = ::pread(file_fd, chunk.data(), want, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        BERTH_LOG_ERROR("reading the body file for {} failed or it is shorter than announced", request_.path);
        co_return false;
      }
      if (!co_await send_all(asio::buffer(chunk.data(), static_cast<std::size_t>(got)))) co_return false;
      offset += static_cast<std::uint64_t>(got);
      remaining -= static_cast<std::uint64_t>(got);
    }
    co_return true;
  } else {
    auto& sock = socket();
    if (!non_blocking_) {
      error_code ec;
      sock.native_non_blocking(true, ec);
      if (ec) co_return false;
      non_blocking_ = true;
    }
    // Waits for room in the socket, as long as the budget allows.
    const auto wait_for_room = [this]() -> asio::awaitable<bool> {
      const auto wait = send_budget_.next_wait();
      if (wait <= Clock::duration::zero()) {
        BERTH_LOG_DEBUG("{} reads {} too slowly; closing", request_.remote_address, request_.path);
        co_return false;
      }
      const auto started = Clock::now();
      const bool ready = co_await wait_ready(tcp::socket::wait_write, wait);
      send_budget_.record(Clock::now() - started, 0);
      co_return ready;
    };
    const int socket_fd = sock.native_handle();
    std::size_t head_sent = 0;
    while (head_sent < head_.size()) {
      // MSG_MORE lets the head share a packet with the start of the file.
      const ssize_t n =
          ::send(socket_fd, head_.data() + head_sent, head_.size() - head_sent, MSG_MORE | MSG_NOSIGNAL);
      if (n >= 0) {
        head_sent += static_cast<std::size_t>(n);
        send_budget_.record(Clock::duration::zero(), static_cast<std::uint64_t>(n));
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!co_await wait_for_room()) co_return false;
      } else if (errno != EINTR) {
        co_return false;
      }
    }
    off_t offset = static_cast<off_t>(file.offset);
    std::uint64_t remaining = file.length;
    while (remaining > 0) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, std::uint64_t{1} << 30));
      const ssize_t n = ::sendfile(socket_fd, file_fd, &offset, want);
      if (n > 0) {
        remaining -= static_cast<std::uint64_t>(n);
        send_budget_.record(Clock::duration::zero(), static_cast<std::uint64_t>(n));
      } else if (n == 0) {
        BERTH_LOG_ERROR("the body file for {} is shorter than announced", request_.path);
        co_return false;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!co_await wait_for_room()) co_return false;
      } else if (errno != EINTR) {
        co_return false;
      }
    }
    co_return true;
  }
}

// Before closing a connection whose client may still be sending, stop sending and
// read a little more, so that the client gets our answer instead of a reset.
template <bool kTls>
asio::awaitable<void> Connection<kTls>::linger() {
  error_code ignored;
  socket().shutdown(tcp::socket::shutdown_send, ignored);
  tcp_.expires_after(kLingerTime);
  std::size_t discarded = 0;
  while (discarded < kLingerLimit) {
    auto [ec, n] = co_await tcp_.async_read_some(asio::buffer(discard_buffer(), kScratchBytes), nothrow);
    if (ec) break;
    discarded += n;
  }
}

template <bool kTls>
asio::awaitable<void> serve_connection(ServerCore& server, EventLoop& loop, beast::tcp_stream stream,
                                       std::shared_ptr<asio::ssl::context> tls_context, std::string remote) {
  Connection<kTls> connection(server, loop, std::move(stream), std::move(tls_context), std::move(remote));
  co_await connection.serve();
}

// ---- ServerCore ----

base::Status ServerCore::listen() {
  if (acceptor_) return base::make_error(base::Errc::internal, "the server is already listening");
  tls_enabled_ = !options_.tls_certificate.empty() || !options_.tls_private_key.empty();
  if (tls_enabled_) {
    auto context = make_tls_context(options_.tls_certificate, options_.tls_private_key);
    if (!context) return std::move(context).error();
    tls_ = std::move(*context);
    if (options_.hsts_max_age.count() > 0)
      hsts_field_ =
          "Strict-Transport-Security: max-age=" + std::to_string(options_.hsts_max_age.count()) + "\r\n";
  }

  unsigned threads = options_.io_threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  loops_.clear();
  for (unsigned i = 0; i < threads; ++i) loops_.push_back(std::make_unique<EventLoop>());

  auto& context = loops_.front()->context;
  error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(options_.address, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options_.port);
  } else {
    tcp::resolver resolver(context);
    const auto results = resolver.resolve(options_.address, std::to_string(options_.port), ec);
    if (ec || results.empty()) {
      return base::make_error(base::Errc::io_error, "cannot resolve listen address " + options_.address);
    }
    endpoint = results.begin()->endpoint();
  }
  acceptor_.emplace(context);
  const auto failed = [&](std::string_view what) {
    auto error =
        base::make_error(base::Errc::io_error, std::string(what) + " " + options_.address + ":" +
                                                   std::to_string(options_.port) + ": " + ec.message());
    acceptor_.reset();
    return error;
  };
  acceptor_->open(endpoint.protocol(), ec);
  if (ec) return failed("cannot open a socket for");
  acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return failed("cannot set SO_REUSEADDR for");
  acceptor_->bind(endpoint, ec);
  if (ec) return failed("cannot bind");
  acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return failed("cannot listen on");
  port_ = acceptor_->local_endpoint(ec).port();
  BERTH_LOG_INFO("listening on {}:{}{}", endpoint.address().to_string(), port_, tls_enabled_ ? " (TLS)" : "");
  return base::ok_status();
}

void ServerCore::spawn_connection(tcp::socket socket, EventLoop& loop) {
  error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  const auto endpoint = socket.remote_endpoint(ec);
  std::string remote = ec ? std::string("unknown") : endpoint.address().to_string();
  beast::tcp_stream stream(std::move(socket));
  const auto log_escape = [](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      BERTH_LOG_ERROR("connection failed: {}", e.what());
    } catch (...) {
      BERTH_LOG_ERROR("connection failed: unknown exception");
    }
  };
  if (tls_enabled_) {
    asio::co_spawn(loop.context,
                   serve_connection<true>(*this, loop, std::move(stream), tls_context(), std::move(remote)),
                   log_escape);
  } else {
    asio::co_spawn(loop.context,
                   serve_connection<false>(*this, loop, std::move(stream), nullptr, std::move(remote)),
                   log_escape);
  }
}

base::Status ServerCore::reload_tls() {
  if (!tls_enabled_) return base::make_error(base::Errc::unsupported, "TLS is off");
  auto context = make_tls_context(options_.tls_certificate, options_.tls_private_key);
  if (!context) return std::move(context).error();
  std::lock_guard lock(tls_mutex_);
  tls_ = std::move(*context);
  return base::ok_status();
}

// SIGHUP: the operator replaced the certificate (a renewal); load it for new connections.
void ServerCore::wait_for_reload_signal() {
  reload_signal_->async_wait([this](const error_code& ec, int) {
    if (ec) return;
    if (!tls_enabled_) {
      BERTH_LOG_INFO("SIGHUP received; nothing to reload (TLS is off)");
    } else if (auto reloaded = reload_tls(); reloaded) {
      BERTH_LOG_INFO("SIGHUP received; TLS certificate reloaded from {}", options_.tls_certificate);
    } else {
      BERTH_LOG_ERROR("SIGHUP received; TLS certificate NOT reloaded, the current one stays: {}",
                      reloaded.error().message);
    }
    wait_for_reload_signal();
  });
}

asio::awaitable<void> ServerCore::accept_loop() {
  for (;;) {
    EventLoop& loop = *loops_[next_loop_++ % loops_.size()];
    auto [ec, socket] =
        co_await acceptor_->async_accept(asio::any_io_executor(loop.context.get_executor()), nothrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open() || stopping()) break;
      BERTH_LOG_WARN("accept failed: {}", ec.message());
      // Out of descriptors, most likely: give connections a moment to close.
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(nothrow);
      continue;
    }
    if (stopping()) continue;  // the acceptor is about to close
    if (connections_.load(std::memory_order_relaxed) >= options_.max_connections) {
      if (!at_limit_)
        BERTH_LOG_WARN("connection limit ({}) reached; closing new connections", options_.max_connections);
      at_limit_ = true;
      socket.close(ec);
      continue;
    }
    at_limit_ = false;
    connections_.fetch_add(1, std::memory_order_relaxed);
    spawn_connection(std::move(socket), loop);
  }
}

void ServerCore::connection_closed() {
  if (connections_.fetch_sub(1, std::memory_order_acq_rel) == 1 && stopping()) {
    std::lock_guard lock(mutex_);
    changed_.notify_all();
  }
}

void ServerCore::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
    stopping_.store(true, std::memory_order_release);
  }
  changed_.notify_all();
}

void ServerCore::shut_down_loops() {
  // No new connections; idle keep-alive connections close now; busy ones close after
  // their current response (they check stopping()).
  asio::post(loops_.front()->context, [this] {
    error_code ignored;
    if (acceptor_) acceptor_->close(ignored);
    if (signals_) signals_->cancel(ignored);
    if (reload_signal_) reload_signal_->cancel(ignored);
  });
  for (auto& loop : loops_) {
    asio::post(loop->context, [loop = loop.get()] {
      for (ConnectionNode* node = loop->connections; node != nullptr; node = node->next)
        node->cancel_if_idle();
    });
  }
}

void ServerCore::run(bool handle_signals) {
  if (!acceptor_) {
    BERTH_LOG_ERROR("Server::run called without a successful listen()");
    return;
  }
  // sendfile(2) cannot be told MSG_NOSIGNAL; a peer that goes away must not kill us.
  ::signal(SIGPIPE, SIG_IGN);
  pool_.emplace(std::max(1u, options_.blocking_threads));
  auto& first = loops_.front()->context;
  if (handle_signals) {
    signals_.emplace(first, SIGINT, SIGTERM);
    signals_->async_wait([this](const error_code& ec, int signal_number) {
      if (ec) return;
      BERTH_LOG_INFO("signal {} received; shutting down", signal_number);
      stop();
    });
    reload_signal_.emplace(first, SIGHUP);
    wait_for_reload_signal();
  }
  asio::co_spawn(first, accept_loop(), [](std::exception_ptr error) {
    if (error) BERTH_LOG_ERROR("the accept loop failed");
  });

  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<WorkGuard> guards;
  std::vector<std::thread> threads;
  for (auto& loop : loops_) {
    guards.emplace_back(loop->context.get_executor());
    threads.emplace_back([context = &loop->context] {
      for (;;) {
        try {
          context->run();
          return;
        } catch (const std::exception& e) {
          BERTH_LOG_ERROR("unexpected exception on an io thread: {}", e.what());
        }
      }
    });
  }

  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return stop_requested_; });
  }
  shut_down_loops();
  {
    std::unique_lock lock(mutex_);
    const bool drained = changed_.wait_for(lock, options_.shutdown_grace,
                                           [&] { return connections_.load(std::memory_order_acquire) == 0; });
    if (!drained) {
      BERTH_LOG_WARN("shutdown grace period over; dropping {} connection(s)", connections_.load());
    }
  }
  guards.clear();
  for (auto& loop : loops_) loop->context.stop();
  for (auto& thread : threads) thread.join();
  pool_->stop();
  pool_->join();
  signals_.reset();
  reload_signal_.reset();
  BERTH_LOG_INFO("server stopped");
}

}  // namespace

struct Server::Impl : ServerCore {
  using ServerCore::ServerCore;
};

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() = default;

base::Status Server::listen() {
  return impl_->listen();
}

std::uint16_t Server::port() const {
  return impl_->port();
}

base::Status Server::reload_tls() {
  return impl_->reload_tls();
}

void Server::run(bool handle_signals) {
  impl_->run(handle_signals);
}

void Server::stop() {
  impl_->stop();
}

}  // namespace berth::http
