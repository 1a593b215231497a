#include "scan/remote.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

#include "oci/digest.h"
#include "oci/media_types.h"
#include "oci/names.h"

namespace berth::scan {
namespace {

namespace fs = std::filesystem;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

// Where a response body goes: a bounded string, or a file that is hashed as it is written.
struct FileSink {
  int fd = -1;
  oci::Hasher hasher;
  std::uint64_t written = 0;
  std::uint64_t limit = 0;
  bool too_large = false;
  int write_errno = 0;
};

// What the callbacks of one transfer see.
struct Transfer {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // the body (text transfers) or an error body (file transfers)
  std::size_t body_limit = 0;
  bool body_too_large = false;
  FileSink* file = nullptr;
  std::stop_token stop;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string_view line = trim(std::string_view(data, n));
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or a 100 Continue): its headers replace the last ones.
    t->headers.clear();
    t->body.clear();  // a body that came before belonged to the previous response
    const auto space = line.find(' ');
    t->status =
        space == std::string_view::npos ? 0 : std::atol(std::string(line.substr(space + 1, 3)).c_str());
    return n;
  }
  const auto colon = line.find(':');
  if (colon != std::string_view::npos && t->headers.size() < 256) {
    t->headers.emplace_back(std::string(trim(line.substr(0, colon))),
                            std::string(trim(line.substr(colon + 1))));
  }
  return n;
}

bool write_all(int fd, const char* data, std::size_t size, int& error) {
  while (size > 0) {
    const ssize_t w = ::write(fd, data, size);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      error = w < 0 ? errno : EIO;
      return false;
    }
    data += w;
    size -= static_cast<std::size_t>(w);
  }
  return true;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (t->file != nullptr && t->status >= 200 && t->status < 300) {
    FileSink& f = *t->file;
    if (f.written + n > f.limit) {
      f.too_large = true;
      return 0;  // aborts the transfer
    }
    if (!write_all(f.fd, data, n, f.write_errno)) return 0;
    f.hasher.update(data, n);
    f.written += n;
    return n;
  }
  if (t->body.size() + n > t->body_limit) {
    if (t->file != nullptr) return n;  // an error body: keep its start only
    t->body_too_large = true;
    return 0;
  }
  t->body.append(data, n);
  return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->stop.stop_requested() ? 1 : 0;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

struct Settings {
  std::chrono::seconds timeout{30};
  std::chrono::seconds connect_timeout{15};
  std::chrono::seconds stall_timeout{0};
  bool verify_tls = true;
  bool follow_redirects = false;
};

// Runs one request on `curl` (reset first; its connections are kept for reuse).
base::Status perform(CURL* curl, const std::string& method, const std::string& url,
                     const std::vector<std::string>& headers, const std::optional<std::string>& body,
                     const Settings& settings, Transfer& t) {
  curl_easy_reset(curl);
  SlistPtr list;
  for (const auto& h : headers) {
    curl_slist* next = curl_slist_append(list.get(), h.c_str());
    if (next == nullptr) return base::make_error(base::Errc::internal, "out of memory");
    static_cast<void>(list.release());
    list.reset(next);
  }
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, settings.follow_redirects ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_UNRESTRICTED_AUTH, 0L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(settings.timeout.count()));
  if (settings.stall_timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(settings.stall_timeout.count()));
  }
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, settings.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, settings.verify_tls ? 2L : 0L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "berth-scanner");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  if (body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
  }
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (rc == CURLE_OK) return {};
  if (t.stop.stop_requested()) return base::make_error(base::Errc::cancelled, "cancelled");
  if (t.body_too_large) {
    return base::make_error(base::Errc::too_large,
                            url + ": the answer is larger than " + std::to_string(t.body_limit) + " bytes");
  }
  if (t.file != nullptr && t.file->too_large) {
    return base::make_error(base::Errc::too_large,
                            url + ": more than the expected " + std::to_string(t.file->limit) + " bytes");
  }
  if (t.file != nullptr && t.file->write_errno != 0) {
    return base::make_error(base::Errc::io_error, "cannot write a temporary file: " +
                                                      std::string(std::strerror(t.file->write_errno)));
  }
  if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL) {
    return base::make_error(base::Errc::invalid_argument,
                            url + ": " + (error[0] ? error : curl_easy_strerror(rc)));
  }
  return base::make_error(base::Errc::unavailable, url + ": " + (error[0] ? error : curl_easy_strerror(rc)));
}

std::optional<std::string> find_header(const std::vector<std::pair<std::string, std::string>>& headers,
                                       std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

// ---- the registry client ----

bool is_layer_type(std::string_view type) {
  return type.starts_with("application/vnd.oci.image.layer.") ||
         type.starts_with("application/vnd.docker.image.rootfs.");
}

// Layers a registry need not hold (Windows base layers, pulled from elsewhere): skipped.
bool is_foreign_layer(std::string_view type) {
  return type.find("nondistributable") != std::string_view::npos ||
         type.find(".foreign.") != std::string_view::npos;
}

bool is_image_config(std::string_view type) {
  return type == oci::media_type::oci_config || type == "application/vnd.docker.container.image.v1+json";
}

base::Result<base::UniqueFd> temp_file(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return base::UniqueFd(fd);
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    return base::make_error(base::Errc::io_error, "cannot create a temporary file in " + dir.string() + ": " +
                                                      std::strerror(errno));
  }
  // A file system without O_TMPFILE: a named file, unlinked at once.
  std::string pattern = (dir / "berth-layer-XXXXXX").string();
  fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) {
    return base::make_error(base::Errc::io_error, "cannot create a temporary file in " + dir.string() + ": " +
                                                      std::strerror(errno));
  }
  ::unlink(pattern.c_str());
  return base::UniqueFd(fd);
}

class RegistryClient {
 public:
  RegistryClient(std::string base, std::string authorization, const RemoteOptions& options,
                 std::stop_token stop)
      : base_(std::move(base)),
        credentials_(std::move(authorization)),
        authorization_(credentials_),
        options_(options),
        stop_(std::move(stop)),
        curl_(curl_easy_init()) {}

  bool ready() const { return curl_ != nullptr; }

  // GET base + path with the registry's authentication: on a 401 with a Bearer challenge, a
  // token is fetched from the realm with the given credentials and the request is retried.
  base::Status get(const std::string& path, const std::vector<std::string>& headers, const Settings& settings,
                   Transfer& t) {
    for (int attempt = 0;; ++attempt) {
      std::vector<std::string> all = headers;
      if (!authorization_.empty()) all.push_back("Authorization: " + authorization_);
      t.status = 0;
      t.headers.clear();
      t.body.clear();
      t.stop = stop_;
      if (auto done = perform(curl_.get(), "GET", base_ + path, all, std::nullopt, settings, t); !done) {
        return done;
      }
      if (t.status != 401 || attempt > 0) return {};
      auto challenge = find_header(t.headers, "WWW-Authenticate");
      auto bearer = challenge ? parse_bearer_challenge(*challenge) : std::nullopt;
      if (!bearer) return {};
      auto token = fetch_token(*bearer);
      if (!token) return token.error();
      authorization_ = "Bearer " + *token;
    }
  }

  base::Result<std::string> fetch_token(const BearerChallenge& challenge) {
    if (!challenge.realm.starts_with("http://") && !challenge.realm.starts_with("https://")) {
      return base::make_error(base::Errc::invalid_argument,
                              "the registry's token realm is not an http(s) URL: " + challenge.realm);
    }
    if (base_.starts_with("https://") && challenge.realm.starts_with("http://")) {
      return base::make_error(base::Errc::invalid_argument,
                              "the registry (https) names a plain-http token realm; credentials not sent");
    }
    std::string url = challenge.realm;
    char separator = url.find('?') == std::string::npos ? '?' : '&';
    if (!challenge.service.empty()) {
      url += separator + std::string("service=") + url_encode(challenge.service);
      separator = '&';
    }
    if (!challenge.scope.empty()) url += separator + std::string("scope=") + url_encode(challenge.scope);
    std::vector<std::string> headers{"Accept: application/json"};
    if (!credentials_.empty()) headers.push_back("Authorization: " + credentials_);
    Transfer t;
    t.body_limit = 1 << 20;
    t.stop = stop_;
    Settings settings = small_settings();
    if (auto done = perform(curl_.get(), "GET", url, headers, std::nullopt, settings, t); !done)
      return done.error();
    if (t.status == 401 || t.status == 403) {
      return base::make_error(
          base::Errc::invalid_argument,
          "the registry's token service refused the credentials (HTTP " + std::to_string(t.status) + ")");
    }
    if (t.status != 200) {
      return base::make_error(base::Errc::unavailable,
                              "the registry's token service answered HTTP " + std::to_string(t.status));
    }
    boost::system::error_code ec;
    auto parsed = boost::json::parse(t.body, ec);
    if (!ec && parsed.is_object()) {
      for (const char* key : {"token", "access_token"}) {
        const auto* value = parsed.as_object().if_contains(key);
        if (value != nullptr && value->is_string() && !value->as_string().empty())
          return std::string(value->as_string());
      }
    }
    return base::make_error(base::Errc::unavailable, "the registry's token service answered without a token");
  }

  Settings small_settings() const {
    Settings s;
    s.timeout = options_.request_timeout;
    s.connect_timeout = options_.connect_timeout;
    s.verify_tls = options_.verify_tls;
    s.follow_redirects = true;
    return s;
  }

  Settings blob_settings() const {
    Settings s;
    s.timeout = std::chrono::seconds(0);
    s.connect_timeout = options_.connect_timeout;
    s.stall_timeout = options_.stall_timeout;
    s.verify_tls = options_.verify_tls;
    s.follow_redirects = true;
    return s;
  }

  const std::string& base() const { return base_; }

 private:
  std::string base_;
  std::string credentials_;    // as given: sent to the registry and to its token realm
  std::string authorization_;  // what is sent now (the credentials, or a token fetched with them)
  const RemoteOptions& options_;
  std::stop_token stop_;
  CurlPtr curl_;
};

base::Error refused(const std::string& what, long status, const Transfer& t) {
  if (status == 401 || status == 403) {
    return base::make_error(base::Errc::invalid_argument,
                            what + ": the registry refused access (HTTP " + std::to_string(status) + ")");
  }
  if (status == 404) return base::make_error(base::Errc::not_found, what + ": not found in the registry");
  std::string detail = std::string(trim(t.body.substr(0, 200)));
  return base::make_error(base::Errc::unavailable, what + ": the registry answered HTTP " +
                                                       std::to_string(status) +
                                                       (detail.empty() ? "" : " (" + detail + ")"));
}

struct FetchedManifest {
  oci::Manifest manifest;
  std::string digest;
};

base::Result<FetchedManifest> fetch_manifest(RegistryClient& client, const std::string& repository,
                                             const std::string& reference) {
  const std::string what =
      "manifest " + repository + (oci::looks_like_digest(reference) ? "@" : ":") + reference;
  std::optional<oci::Digest> expected;
  if (oci::looks_like_digest(reference)) {
    auto parsed = oci::Digest::parse(reference);
    if (!parsed) return base::make_error(base::Errc::invalid_argument, "invalid digest " + reference);
    expected = *parsed;
  }
  std::string accept = "Accept: ";
  accept += oci::media_type::oci_manifest;
  accept += ", ";
  accept += oci::media_type::oci_index;
  accept += ", ";
  accept += oci::media_type::docker_manifest;
  accept += ", ";
  accept += oci::media_type::docker_manifest_list;
  Transfer t;
  t.body_limit = oci::kMaxManifestSize;
  if (auto done =
          client.get("/v2/" + repository + "/manifests/" + reference, {accept}, client.small_settings(), t);
      !done) {
    return done.error();
  }
  if (t.status != 200) return refused(what, t.status, t);
  const oci::Digest actual =
      oci::digest_of(t.body, expected ? expected->algorithm() : oci::DigestAlgorithm::sha256);
  if (expected && actual != *expected) {
    return base::make_error(base::Errc::corrupt,
                            what + ": the registry sent a manifest whose digest is " + actual.str());
  }
  auto manifest = oci::parse_manifest(t.body, find_header(t.headers, "Content-Type").value_or(""));
  if (!manifest) {
    return base::make_error(base::Errc::unsupported, what + ": " + manifest.error().message);
  }
  return FetchedManifest{std::move(*manifest), actual.str()};
}

base::Status fetch_blob(RegistryClient& client, const std::string& repository, const oci::Descriptor& layer,
                        const fs::path& temp_dir, PulledImage& out) {
  auto file = temp_file(temp_dir);
  if (!file) return file.error();
  FileSink sink{file->get(), oci::Hasher(layer.digest.algorithm()), 0,
                static_cast<std::uint64_t>(layer.size)};
  Transfer t;
  t.body_limit = 64 * 1024;  // of an error body
  t.file = &sink;
  const std::string what = "layer " + layer.digest.str();
  if (auto done =
          client.get("/v2/" + repository + "/blobs/" + layer.digest.str(), {}, client.blob_settings(), t);
      !done) {
    return done;
  }
  if (t.status != 200) return refused(what, t.status, t);
  if (sink.written != static_cast<std::uint64_t>(layer.size)) {
    return base::make_error(base::Errc::corrupt, what + ": received " + std::to_string(sink.written) +
                                                     " bytes, the manifest says " +
                                                     std::to_string(layer.size));
  }
  if (sink.hasher.digest() != layer.digest) {
    return base::make_error(base::Errc::corrupt, what + ": the registry sent content whose digest is " +
                                                     sink.hasher.digest().str());
  }
  image::Layer l;
  l.file = layer.digest.str();  // a name for messages; the bytes are read from fd
  l.fd = file->get();
  l.offset = 0;
  l.length = sink.written;
  out.layers.push_back(std::move(l));
  out.files.push_back(std::move(*file));
  out.bytes += sink.written;
  return {};
}

std::string platform_name(const oci::Platform& p) {
  std::string out = p.os + "/" + p.architecture;
  if (!p.variant.empty()) out += "/" + p.variant;
  return out;
}

}  // namespace

std::optional<std::string> HttpReply::header(std::string_view name) const {
  return find_header(headers, name);
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
  global_init();
  CurlPtr curl(curl_easy_init());
  if (!curl) return base::make_error(base::Errc::internal, "cannot start libcurl");
  Transfer t;
  t.body_limit = call.max_response_bytes;
  Settings settings;
  settings.timeout = call.timeout;
  settings.connect_timeout = call.connect_timeout;
  settings.verify_tls = call.verify_tls;
  settings.follow_redirects = call.follow_redirects;
  if (auto done = perform(curl.get(), call.method, call.url, call.headers, call.body, settings, t); !done) {
    return done.error();
  }
  HttpReply reply;
  reply.status = t.status;
  reply.headers = std::move(t.headers);
  reply.body = std::move(t.body);
  return reply;
}

std::optional<BearerChallenge> parse_bearer_challenge(std::string_view header) {
  header = trim(header);
  if (header.size() < 7 || !iequals(header.substr(0, 6), "bearer") ||
      (header[6] != ' ' && header[6] != '\t')) {
    return std::nullopt;
  }
  header.remove_prefix(7);
  BearerChallenge out;
  while (!header.empty()) {
    header = trim(header);
    if (!header.empty() && header.front() == ',') {
      header.remove_prefix(1);
      continue;
    }
    const auto eq = header.find('=');
    if (eq == std::string_view::npos) break;
    const std::string_view key = trim(header.substr(0, eq));
    header.remove_prefix(eq + 1);
    header = trim(header);
    std::string value;
    if (!header.empty() && header.front() == '"') {
      std::size_t i = 1;
      for (; i < header.size() && header[i] != '"'; ++i) {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        value.push_back(header[i]);
      }
      if (i >= header.size()) return std::nullopt;  // unterminated
      header.remove_prefix(i + 1);
    } else {
      const auto comma = header.find(',');
      value = std::string(trim(header.substr(0, comma)));
      header.remove_prefix(comma == std::string_view::npos ? header.size() : comma);
    }
    if (iequals(key, "realm")) out.realm = value;
    if (iequals(key, "service")) out.service = value;
    if (iequals(key, "scope")) out.scope = value;
  }
  if (out.realm.empty()) return std::nullopt;
  return out;
}

std::optional<std::size_t> pick_platform(const oci::Manifest& index, std::string_view os,
                                         std::string_view architecture) {
  std::optional<std::size_t> same_os;
  for (std::size_t i = 0; i < index.manifests.size(); ++i) {
    const auto& platform = index.manifests[i].platform;
    if (!platform || platform->os != os) continue;
    if (platform->architecture == architecture) return i;
    if (!same_os) same_os = i;
  }
  return same_os;
}

base::Result<PulledImage> pull_image(const RemoteTarget& target, const RemoteOptions& options,
                                     std::stop_token stop) {
  global_init();
  std::string base = target.registry_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if ((!base.starts_with("http://") && !base.starts_with("https://")) ||
      base.find_first_of(" \t\r\n?#") != std::string::npos) {
    return base::make_error(base::Errc::invalid_argument,
                            "registry URL must be http(s)://host[:port]: " + base);
  }
  if (!oci::valid_repository_name(target.repository)) {
    return base::make_error(base::Errc::invalid_argument, "invalid repository name: " + target.repository);
  }
  if (!oci::looks_like_digest(target.reference) && !oci::valid_tag(target.reference)) {
    return base::make_error(base::Errc::invalid_argument, "invalid reference: " + target.reference);
  }
  if (target.authorization.find_first_of("\r\n") != std::string::npos) {
    return base::make_error(base::Errc::invalid_argument, "invalid authorization value");
  }
  const fs::path temp_dir = options.temp_dir.empty() ? fs::temp_directory_path() : options.temp_dir;

  RegistryClient client(base, target.authorization, options, stop);
  if (!client.ready()) return base::make_error(base::Errc::internal, "cannot start libcurl");

  auto top = fetch_manifest(client, target.repository, target.reference);
  if (!top) return std::move(top).error();
  PulledImage out;
  out.manifest_digest = top->digest;
  out.media_type = top->manifest.media_type;
  FetchedManifest chosen = std::move(*top);
  if (chosen.manifest.is_index()) {
    auto pick = pick_platform(chosen.manifest, options.platform_os, options.platform_architecture);
    if (!pick) {
      return base::make_error(base::Errc::unsupported, "the index " + out.manifest_digest + " lists no " +
                                                           options.platform_os + " image");
    }
    const oci::Descriptor child = chosen.manifest.manifests[*pick];
    out.platform = platform_name(*child.platform);
    auto image = fetch_manifest(client, target.repository, child.digest.str());
    if (!image) return std::move(image).error();
    if (image->manifest.is_index()) {
      return base::make_error(base::Errc::unsupported,
                              "the index " + out.manifest_digest + " names another index");
    }
    chosen = std::move(*image);
  }
  out.image_digest = chosen.digest;
  out.image_media_type = chosen.manifest.media_type;

  const oci::Manifest& manifest = chosen.manifest;
  if (!manifest.config || !is_image_config(manifest.config->media_type)) {
    return base::make_error(base::Errc::unsupported,
                            "not a container image: the config media type is '" +
                                (manifest.config ? manifest.config->media_type : std::string()) + "'");
  }
  if (manifest.layers.size() > options.max_layers) {
    return base::make_error(base::Errc::too_large, "the image has " + std::to_string(manifest.layers.size()) +
                                                       " layers, more than " +
                                                       std::to_string(options.max_layers));
  }
  std::uint64_t total = 0;
  std::vector<const oci::Descriptor*> wanted;
  for (const auto& layer : manifest.layers) {
    if (!is_layer_type(layer.media_type)) {
      return base::make_error(base::Errc::unsupported,
                              "not a container image: a layer of media type '" + layer.media_type + "'");
    }
    if (is_foreign_layer(layer.media_type)) continue;
    const auto size = static_cast<std::uint64_t>(layer.size);
    if (size > options.max_layer_bytes) {
      return base::make_error(base::Errc::too_large, "layer " + layer.digest.str() + " has " +
                                                         std::to_string(size) +
                                                         " bytes, more than the limit of " +
                                                         std::to_string(options.max_layer_bytes));
    }
    total += size;
    if (total > options.max_image_bytes) {
      return base::make_error(base::Errc::too_large, "the image's layers exceed the limit of " +
                                                         std::to_string(options.max_image_bytes) + " bytes");
    }
    wanted.push_back(&layer);
  }
  for (const auto* layer : wanted) {
    if (auto fetched = fetch_blob(client, target.repository, *layer, temp_dir, out); !fetched) {
      return fetched.error();
    }
  }
  return out;
}

}  // namespace berth::scan
