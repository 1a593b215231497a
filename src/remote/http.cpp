#include "remote/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "base/text.h"

namespace berth::remote {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

using base::iequals;
constexpr auto trim = base::trim_blank;

// What the callbacks of one exchange see.
struct Transfer {
  HttpReply reply;
  std::size_t body_limit = 0;
  bool body_too_large = false;
  bool sink_refused = false;
  const BodySink* sink = nullptr;
  std::stop_token stop;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string_view line = trim(std::string_view(data, n));
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or a 100 Continue): its headers replace the last ones.
    t->reply.headers.clear();
    t->reply.body.clear();
    const auto space = line.find(' ');
    t->reply.status =
        space == std::string_view::npos ? 0 : std::atol(std::string(line.substr(space + 1, 3)).c_str());
    return n;
  }
  const auto colon = line.find(':');
  if (colon != std::string_view::npos && t->reply.headers.size() < 256) {
    t->reply.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                  std::string(trim(line.substr(colon + 1))));
  }
  return n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  const bool success = t->reply.status >= 200 && t->reply.status < 300;
  if (t->sink != nullptr && *t->sink && success) {
    if (!(*t->sink)(std::string_view(data, n))) {
      t->sink_refused = true;
      return 0;  // aborts the exchange
    }
    return n;
  }
  if (t->reply.body.size() + n > t->body_limit) {
    if (t->sink != nullptr && *t->sink) return n;  // an error body: keep its start only
    t->body_too_large = true;
    return 0;
  }
  t->reply.body.append(data, n);
  return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->stop.stop_requested() ? 1 : 0;
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

}  // namespace

struct Connection::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

std::optional<std::string> find_header(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

Connection::Connection(ConnectionOptions options) : options_(std::move(options)), handle_(new Handle) {
  global_init();
  handle_->curl = curl_easy_init();
}

Connection::~Connection() = default;

base::Result<HttpReply> Connection::perform(const Exchange& exchange) {
  CURL* curl = handle_->curl;
  if (curl == nullptr) return base::make_error(base::Errc::internal, "cannot start libcurl");
  curl_easy_reset(curl);
  SlistPtr list;
  auto add_header = [&](const std::string& h) {
    curl_slist* next = curl_slist_append(list.get(), h.c_str());
    if (next == nullptr) return false;
    static_cast<void>(list.release());
    list.reset(next);
    return true;
  };
  for (const auto& h : exchange.headers) {
    if (h.find_first_of("\r\n") != std::string::npos)
      return base::make_error(base::Errc::invalid_argument, "a request header holds a line break");
    if (!add_header(h)) return base::make_error(base::Errc::internal, "out of memory");
  }
  // No "Expect: 100-continue" wait before a large body.
  if (!add_header("Expect:")) return base::make_error(base::Errc::internal, "out of memory");

  Transfer t;
  t.body_limit = exchange.max_response_bytes;
  t.sink = &exchange.sink;
  t.stop = exchange.stop;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_URL, exchange.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, exchange.follow_redirects ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_UNRESTRICTED_AUTH, 0L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(exchange.timeout.count()));
  if (exchange.stall_timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(exchange.stall_timeout.count()));
  }
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  if (exchange.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (exchange.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, exchange.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(exchange.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, exchange.body.empty() ? "" : exchange.body.data());
  }
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  const std::string& url = exchange.url;
  if (rc == CURLE_OK) return std::move(t.reply);
  if (t.stop.stop_requested()) return base::make_error(base::Errc::cancelled, "cancelled");
  if (t.body_too_large) {
    return base::make_error(base::Errc::too_large,
                            url + ": the answer is larger than " + std::to_string(t.body_limit) + " bytes");
  }
  if (t.sink_refused) return base::make_error(base::Errc::io_error, url + ": the body could not be kept");
  if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL) {
    return base::make_error(base::Errc::invalid_argument,
                            url + ": " + (error[0] ? error : curl_easy_strerror(rc)));
  }
  return base::make_error(base::Errc::unavailable, url + ": " + (error[0] ? error : curl_easy_strerror(rc)));
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

base::Result<HttpReply> http_call(const HttpCall& call) {
  ConnectionOptions options;
  options.connect_timeout = call.connect_timeout;
  options.verify_tls = call.verify_tls;
  Connection connection(options);
  Exchange exchange;
  exchange.method = call.method;
  exchange.url = call.url;
  exchange.headers = call.headers;
  if (call.body) exchange.body = *call.body;
  exchange.follow_redirects = call.follow_redirects;
  exchange.max_response_bytes = call.max_response_bytes;
  exchange.timeout = call.timeout;
  return connection.perform(exchange);
}

}  // namespace berth::remote
