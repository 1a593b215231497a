#include "http_client.h"

#include <curl/curl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <sstream>

namespace berth::integration {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_ALL); });
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Called once per header line; a status line starts a new header block (after a
// "100 Continue", only the final block is kept).
size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<HeaderList*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    headers->clear();
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    headers->emplace_back(std::string(trim(line.substr(0, colon))),
                          std::string(trim(line.substr(colon + 1))));
  }
  return size * count;
}

struct UploadSource {
  std::string_view rest;
};

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* source = static_cast<UploadSource*>(user);
  size_t n = std::min(size * count, source->rest.size());
  std::memcpy(buffer, source->rest.data(), n);
  source->rest.remove_prefix(n);
  return n;
}

bool has_header(const HeaderList& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
}

}  // namespace

std::string Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

bool Response::has_header(std::string_view name) const {
  return integration::has_header(headers, name);
}

std::string describe(const Response& response) {
  std::ostringstream out;
  if (response.status == 0) {
    out << "no HTTP answer (" << response.transport_error << ")";
    return out.str();
  }
  out << "HTTP " << response.status;
  if (!response.transport_error.empty()) out << " (then: " << response.transport_error << ")";
  out << "\n";
  for (const auto& [key, value] : response.headers) out << "  " << key << ": " << value << "\n";
  constexpr size_t kShown = 600;
  std::string body = response.body.substr(0, kShown);
  for (char& c : body) {
    if (!std::isprint(static_cast<unsigned char>(c)) && c != '\n') c = '.';
  }
  out << "  body(" << response.body.size() << "): " << body << (response.body.size() > kShown ? "..." : "");
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Response& response) {
  return out << describe(response);
}

HttpClient::HttpClient(std::string base_url) : base_url_(std::move(base_url)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  init_curl_once();
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

std::string HttpClient::absolute(std::string_view target) const {
  if (target.starts_with("http://") || target.starts_with("https://")) return std::string(target);
  std::string url = base_url_;
  if (!target.starts_with("/")) url += '/';
  url += target;
  return url;
}

Response HttpClient::send(const Request& request) {
  auto* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  Response response;
  const std::string url = absolute(request.target);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);

  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET" && !request.body) {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  curl_slist* headers = nullptr;
  for (const auto& [key, value] : request.headers) {
    std::string line = key + ": " + value;
    headers = curl_slist_append(headers, line.c_str());
  }
  headers = curl_slist_append(headers, "Expect:");  // no "100-continue" round trip
  if (basic_auth_ && !integration::has_header(request.headers, "Authorization")) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, basic_auth_->first.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, basic_auth_->second.c_str());
  } else {
    curl_easy_setopt(curl, CURLOPT_USERNAME, nullptr);
    curl_easy_setopt(curl, CURLOPT_PASSWORD, nullptr);
  }

  UploadSource source;
  if (request.body) {
    if (!integration::has_header(request.headers, "Content-Type")) {
      headers = curl_slist_append(headers, "Content-Type:");  // not curl's form default
    }
    if (request.chunked) {
      source.rest = *request.body;
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(curl, CURLOPT_READDATA, &source);
      headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
    } else {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body->size()));
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body->data());
    }
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  CURLcode code = curl_easy_perform(curl);
  // A status line may have arrived even when the exchange then failed (e.g. a body
  // shorter than its Content-Length); keep both.
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  if (code != CURLE_OK) response.transport_error = curl_easy_strerror(code);
  curl_slist_free_all(headers);
  return response;
}

Response HttpClient::get(std::string target, HeaderList headers) {
  return send(Request{"GET", std::move(target), std::move(headers), std::nullopt, false});
}

Response HttpClient::head(std::string target, HeaderList headers) {
  return send(Request{"HEAD", std::move(target), std::move(headers), std::nullopt, false});
}

Response HttpClient::del(std::string target, HeaderList headers) {
  return send(Request{"DELETE", std::move(target), std::move(headers), std::nullopt, false});
}

Response HttpClient::post(std::string target, std::string body, HeaderList headers) {
  return send(Request{"POST", std::move(target), std::move(headers), std::move(body), false});
}

Response HttpClient::put(std::string target, std::string body, HeaderList headers) {
  return send(Request{"PUT", std::move(target), std::move(headers), std::move(body), false});
}

Response HttpClient::patch(std::string target, std::string body, HeaderList headers) {
  return send(Request{"PATCH", std::move(target), std::move(headers), std::move(body), false});
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string with_query(std::string_view url, std::string_view key, std::string_view value) {
  std::string out(url);
  out += url.find('?') == std::string_view::npos ? '?' : '&';
  out += key;
  out += '=';
  out += percent_encode(value);
  return out;
}

std::string path_of(std::string_view url) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
    auto slash = url.find('/', scheme + 3);
    return slash == std::string_view::npos ? std::string("/") : std::string(url.substr(slash));
  }
  return std::string(url);
}

std::optional<std::string> raw_exchange(const std::string& base_url, std::string_view bytes, bool read_reply,
                                        std::chrono::milliseconds timeout) {
  std::string_view rest = base_url;
  if (auto scheme = rest.find("://"); scheme != std::string_view::npos) rest.remove_prefix(scheme + 3);
  rest = rest.substr(0, rest.find('/'));
  auto colon = rest.rfind(':');
  std::string host(rest.substr(0, colon));
  std::string port = colon == std::string_view::npos ? "80" : std::string(rest.substr(colon + 1));

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) return std::nullopt;
  int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  bool connected = fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) == 0;
  freeaddrinfo(found);
  if (!connected) {
    if (fd >= 0) close(fd);
    return std::nullopt;
  }

  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (e.g. 431); read what it said
    bytes.remove_prefix(static_cast<size_t>(n));
  }

  std::string reply;
  if (read_reply) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[8192];
    for (;;) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      ssize_t n = recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      reply.append(buffer, static_cast<size_t>(n));
    }
  }
  close(fd);
  return reply;
}

void HttpClient::set_basic_auth(std::string user, std::string password) {
  basic_auth_.emplace(std::move(user), std::move(password));
}

void HttpClient::clear_auth() {
  basic_auth_.reset();
}

}  // namespace berth::integration
