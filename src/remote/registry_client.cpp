#include "remote/registry_client.h"

#include <boost/json.hpp>
#include <cctype>

#include "base/base64.h"
#include "base/text.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "oci/names.h"

namespace berth::remote {
namespace {

namespace json = boost::json;

using base::iequals;
constexpr auto trim = base::trim_blank;

// The error of a response that is not the one expected.
base::Error refused(const std::string& what, const HttpReply& reply) {
  const long status = reply.status;
  if (status == 401 || status == 403) {
    return base::make_error(base::Errc::invalid_argument,
                            what + ": the registry refused access (HTTP " + std::to_string(status) + ")");
  }
  if (status == 404) return base::make_error(base::Errc::not_found, what + ": not found in the registry");
  std::string detail = std::string(trim(std::string_view(reply.body).substr(0, 200)));
  return base::make_error(base::Errc::unavailable, what + ": the registry answered HTTP " +
                                                       std::to_string(status) +
                                                       (detail.empty() ? "" : " (" + detail + ")"));
}

// The path of the next page from a Link header (`<...>; rel="next"`), or "".
std::string next_link(const HttpReply& reply) {
  auto link = reply.header("Link");
  if (!link || link->find("rel=\"next\"") == std::string::npos) return {};
  const auto open = link->find('<');
  const auto close = link->find('>', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return {};
  return link->substr(open + 1, close - open - 1);
}

base::Result<json::object> parse_object(const std::string& what, const std::string& body) {
  boost::system::error_code ec;
  auto parsed = json::parse(body, ec);
  if (ec || !parsed.is_object())
    return base::make_error(base::Errc::unavailable,
                            what + ": the registry answered something that is not JSON");
  return std::move(parsed.as_object());
}

// The strings of array `key` of `object`.
void append_strings(const json::object& object, std::string_view key, std::vector<std::string>& out) {
  const auto* array = object.if_contains(key);
  if (array == nullptr || !array->is_array()) return;
  for (const auto& item : array->as_array()) {
    if (item.is_string()) out.emplace_back(item.as_string());
  }
}

}  // namespace

std::string manifest_accept() {
  std::string accept = "Accept: ";
  accept += oci::media_type::oci_manifest;
  accept += ", ";
  accept += oci::media_type::oci_index;
  accept += ", ";
  accept += oci::media_type::docker_manifest;
  accept += ", ";
  accept += oci::media_type::docker_manifest_list;
  return accept;
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

base::Result<RegistryClient> RegistryClient::open(Endpoint endpoint, ClientOptions options) {
  std::string base = endpoint.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const bool scheme = base.starts_with("http://") || base.starts_with("https://");
  const std::size_t host_at = scheme ? base.find("//") + 2 : 0;
  if (!scheme || host_at >= base.size() || base.find_first_of(" \t\r\n?#@") != std::string::npos) {
    return base::make_error(base::Errc::invalid_argument,
                            "registry URL must be http(s)://host[:port]: " + endpoint.url);
  }
  if ((endpoint.authorization + endpoint.username + endpoint.password).find_first_of("\r\n") !=
      std::string::npos) {
    return base::make_error(base::Errc::invalid_argument, "credentials must not hold line breaks");
  }
  return RegistryClient(std::move(base), std::move(endpoint), std::move(options));
}

RegistryClient::RegistryClient(std::string base, Endpoint endpoint, ClientOptions options)
    : base_(std::move(base)), endpoint_(std::move(endpoint)), options_(std::move(options)) {
  ConnectionOptions connection;
  connection.connect_timeout = options_.connect_timeout;
  connection.verify_tls = !endpoint_.insecure;
  connection_ = std::make_unique<Connection>(connection);
  if (!endpoint_.authorization.empty()) {
    basic_ = endpoint_.authorization;
    use_basic_ = true;  // a value given as it is goes out from the first request
  } else if (!endpoint_.username.empty()) {
    basic_ = "Basic " + base::base64_encode(endpoint_.username + ":" + endpoint_.password);
  }
}

RegistryClient::RegistryClient(RegistryClient&&) noexcept = default;
RegistryClient& RegistryClient::operator=(RegistryClient&&) noexcept = default;
RegistryClient::~RegistryClient() = default;

std::string RegistryClient::url_for(std::string_view path) const {
  return base_ + std::string(path);
}

std::string RegistryClient::resolve(const std::string& location) const {
  if (location.starts_with("http://") || location.starts_with("https://")) return location;
  if (location.starts_with("/")) {
    const std::size_t host_end = base_.find('/', base_.find("//") + 2);
    return (host_end == std::string::npos ? base_ : base_.substr(0, host_end)) + location;
  }
  return base_ + "/" + location;
}

base::Result<HttpReply> RegistryClient::send(const Request& request) {
  for (int attempt = 0;; ++attempt) {
    Exchange exchange;
    exchange.method = request.method;
    exchange.url = request.url;
    exchange.headers = request.headers;
    exchange.body = request.body;
    exchange.follow_redirects = request.method == "GET" || request.method == "HEAD";
    exchange.max_response_bytes = request.max_response_bytes;
    exchange.sink = request.sink;
    exchange.stop = options_.stop;
    exchange.timeout = request.blob ? std::chrono::seconds(0) : options_.request_timeout;
    exchange.stall_timeout = request.blob ? options_.stall_timeout : std::chrono::seconds(0);
    if (auto token = tokens_.find(request.repository); token != tokens_.end()) {
      exchange.headers.push_back("Authorization: " + token->second);
    } else if (use_basic_) {
      exchange.headers.push_back("Authorization: " + basic_);
    }
    auto reply = connection_->perform(exchange);
    if (!reply) return reply;
    if (reply->status != 401 || attempt > 0) return reply;
    auto challenge = reply->header("WWW-Authenticate");
    if (!challenge) return reply;
    if (auto bearer = parse_bearer_challenge(*challenge)) {
      auto token = fetch_token(*bearer);
      if (!token) return std::move(token).error();
      tokens_[request.repository] = "Bearer " + *token;
    } else if (!basic_.empty() && iequals(trim(*challenge).substr(0, 5), "basic") && !use_basic_) {
      use_basic_ = true;
    } else {
      return reply;
    }
  }
}

base::Result<std::string> RegistryClient::fetch_token(const BearerChallenge& challenge) {
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
  auto add = [&](std::string_view key, std::string_view value) {
    url += separator;
    url += key;
    url += '=';
    url += url_encode(value);
    separator = '&';
  };
  if (!challenge.service.empty()) add("service", challenge.service);
  std::string_view scopes = challenge.scope;
  while (!scopes.empty()) {
    const auto space = scopes.find(' ');
    const std::string_view scope = scopes.substr(0, space);
    if (!scope.empty()) add("scope", scope);
    scopes.remove_prefix(space == std::string_view::npos ? scopes.size() : space + 1);
  }
  Exchange exchange;
  exchange.url = url;
  exchange.headers = {"Accept: application/json"};
  if (!basic_.empty()) exchange.headers.push_back("Authorization: " + basic_);
  exchange.max_response_bytes = 1 << 20;
  exchange.follow_redirects = true;
  exchange.timeout = options_.request_timeout;
  exchange.stop = options_.stop;
  auto reply = connection_->perform(exchange);
  if (!reply) return std::move(reply).error();
  if (reply->status == 401 || reply->status == 403) {
    return base::make_error(
        base::Errc::invalid_argument,
        "the registry's token service refused the credentials (HTTP " + std::to_string(reply->status) + ")");
  }
  if (reply->status != 200) {
    return base::make_error(base::Errc::unavailable,
                            "the registry's token service answered HTTP " + std::to_string(reply->status));
  }
  boost::system::error_code ec;
  auto parsed = json::parse(reply->body, ec);
  if (!ec && parsed.is_object()) {
    for (const char* key : {"token", "access_token"}) {
      const auto* value = parsed.as_object().if_contains(key);
      if (value != nullptr && value->is_string() && !value->as_string().empty())
        return std::string(value->as_string());
    }
  }
  return base::make_error(base::Errc::unavailable, "the registry's token service answered without a token");
}

base::Status RegistryClient::ping() {
  Request request;
  request.url = url_for("/v2/");
  auto reply = send(request);
  if (!reply) return reply.error();
  if (reply->status == 200) return {};
  if (reply->status == 401 && basic_.empty()) return {};  // reachable; it wants credentials
  return refused("GET /v2/", *reply);
}

base::Result<std::vector<std::string>> RegistryClient::catalog() {
  std::vector<std::string> out;
  std::string path = "/v2/_catalog?n=1000";
  for (int pages = 0; !path.empty() && pages < 100000; ++pages) {
    Request request;
    request.url = resolve(path);
    auto reply = send(request);
    if (!reply) return std::move(reply).error();
    if (reply->status != 200) return refused("the catalog", *reply);
    auto object = parse_object("the catalog", reply->body);
    if (!object) return std::move(object).error();
    const std::size_t before = out.size();
    append_strings(*object, "repositories", out);
    path = out.size() == before ? std::string() : next_link(*reply);
  }
  return out;
}

base::Result<std::vector<std::string>> RegistryClient::tags(const std::string& repository) {
  std::vector<std::string> out;
  std::string path = "/v2/" + repository + "/tags/list?n=1000";
  for (int pages = 0; !path.empty() && pages < 100000; ++pages) {
    Request request;
    request.url = resolve(path);
    request.repository = repository;
    auto reply = send(request);
    if (!reply) return std::move(reply).error();
    if (reply->status == 404) return out;
    if (reply->status != 200) return refused("the tags of " + repository, *reply);
    auto object = parse_object("the tags of " + repository, reply->body);
    if (!object) return std::move(object).error();
    const std::size_t before = out.size();
    append_strings(*object, "tags", out);
    path = out.size() == before ? std::string() : next_link(*reply);
  }
  return out;
}

base::Result<std::optional<ManifestHead>> RegistryClient::head_manifest(const std::string& repository,
                                                                        const std::string& reference) {
  Request request;
  request.method = "HEAD";
  request.url = url_for("/v2/" + repository + "/manifests/" + reference);
  request.headers = {manifest_accept()};
  request.repository = repository;
  auto reply = send(request);
  if (!reply) return std::move(reply).error();
  if (reply->status == 404) return std::optional<ManifestHead>();
  if (reply->status != 200) return refused("manifest " + repository + ":" + reference, *reply);
  ManifestHead head;
  head.digest = reply->header("Docker-Content-Digest").value_or("");
  head.media_type = reply->header("Content-Type").value_or("");
  if (auto length = reply->header("Content-Length")) head.size = std::atoll(length->c_str());
  return std::optional<ManifestHead>(std::move(head));
}

base::Result<RemoteManifest> RegistryClient::get_manifest(const std::string& repository,
                                                          const std::string& reference) {
  const bool by_digest = oci::looks_like_digest(reference);
  const std::string what = "manifest " + repository + (by_digest ? "@" : ":") + reference;
  std::optional<oci::Digest> expected;
  if (by_digest) {
    auto parsed = oci::Digest::parse(reference);
    if (!parsed) return base::make_error(base::Errc::invalid_argument, "invalid digest " + reference);
    expected = *parsed;
  }
  Request request;
  request.url = url_for("/v2/" + repository + "/manifests/" + reference);
  request.headers = {manifest_accept()};
  request.repository = repository;
  request.max_response_bytes = oci::kMaxManifestSize;
  auto reply = send(request);
  if (!reply) return std::move(reply).error();
  if (reply->status != 200) return refused(what, *reply);
  const oci::Digest actual =
      oci::digest_of(reply->body, expected ? expected->algorithm() : oci::DigestAlgorithm::sha256);
  if (expected && actual != *expected) {
    return base::make_error(base::Errc::corrupt,
                            what + ": the registry sent a manifest whose digest is " + actual.str());
  }
  RemoteManifest out;
  out.media_type = reply->header("Content-Type").value_or("");
  if (const auto semicolon = out.media_type.find(';'); semicolon != std::string::npos)
    out.media_type = std::string(trim(std::string_view(out.media_type).substr(0, semicolon)));
  out.bytes = std::move(reply->body);
  out.digest = actual.str();
  return out;
}

base::Status RegistryClient::put_manifest(const std::string& repository, const std::string& reference,
                                          std::string_view bytes, const std::string& media_type) {
  Request request;
  request.method = "PUT";
  request.url = url_for("/v2/" + repository + "/manifests/" + reference);
  request.headers = {"Content-Type: " + media_type};
  request.body = bytes;
  request.repository = repository;
  auto reply = send(request);
  if (!reply) return reply.error();
  if (reply->status != 201 && reply->status != 200) {
    if (reply->status == 400 || reply->status == 412 || reply->status == 409) {
      return base::make_error(base::Errc::conflict, "manifest " + repository + ":" + reference +
                                                        ": the registry refused it (HTTP " +
                                                        std::to_string(reply->status) + ": " +
                                                        std::string(trim(reply->body.substr(0, 300))) + ")");
    }
    return refused("manifest " + repository + ":" + reference, *reply);
  }
  return {};
}

base::Status RegistryClient::delete_manifest(const std::string& repository, const std::string& reference) {
  Request request;
  request.method = "DELETE";
  request.url = url_for("/v2/" + repository + "/manifests/" + reference);
  request.repository = repository;
  auto reply = send(request);
  if (!reply) return reply.error();
  if (reply->status != 202 && reply->status != 200 && reply->status != 204)
    return refused("deleting manifest " + repository + "@" + reference, *reply);
  return {};
}

base::Result<std::string> RegistryClient::referrers(const std::string& repository,
                                                    const std::string& digest) {
  Request request;
  request.url = url_for("/v2/" + repository + "/referrers/" + digest);
  request.headers = {"Accept: application/vnd.oci.image.index.v1+json"};
  request.repository = repository;
  request.max_response_bytes = oci::kMaxManifestSize;
  auto reply = send(request);
  if (!reply) return std::move(reply).error();
  if (reply->status == 200) return std::move(reply->body);
  if (reply->status == 404 || reply->status == 400 || reply->status == 405) return std::string();
  return refused("the referrers of " + digest, *reply);
}

base::Result<bool> RegistryClient::has_blob(const std::string& repository, const std::string& digest) {
  Request request;
  request.method = "HEAD";
  request.url = url_for("/v2/" + repository + "/blobs/" + digest);
  request.repository = repository;
  auto reply = send(request);
  if (!reply) return std::move(reply).error();
  if (reply->status == 200) return true;
  if (reply->status == 404) return false;
  return refused("blob " + digest, *reply);
}

base::Result<std::string> RegistryClient::read_blob(const std::string& repository, const std::string& digest,
                                                    std::uint64_t offset, std::uint64_t length) {
  Request request;
  request.url = url_for("/v2/" + repository + "/blobs/" + digest);
  request.headers = {"Range: bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1)};
  request.repository = repository;
  request.blob = true;
  request.max_response_bytes = length;
  auto reply = send(request);
  if (!reply) return std::move(reply).error();
  if (reply->status == 206) return std::move(reply->body);
  if (reply->status == 200 && offset == 0) return std::move(reply->body);  // the whole (small) blob
  if (reply->status == 416) return std::string();
  return refused("blob " + digest, *reply);
}

base::Status RegistryClient::stream_blob(const std::string& repository, const std::string& digest,
                                         const BodySink& sink) {
  Request request;
  request.url = url_for("/v2/" + repository + "/blobs/" + digest);
  request.repository = repository;
  request.blob = true;
  request.max_response_bytes = 64 * 1024;  // of an error body
  request.sink = sink;
  auto reply = send(request);
  if (!reply) return reply.error();
  if (reply->status != 200) return refused("blob " + digest, *reply);
  return {};
}

base::Result<UploadSession> RegistryClient::start_upload(const std::string& repository,
                                                         const std::string& digest,
                                                         const std::string& mount_from) {
  Request request;
  request.method = "POST";
  std::string path = "/v2/" + repository + "/blobs/uploads/";
  if (!mount_from.empty()) path += "?mount=" + url_encode(digest) + "&from=" + url_encode(mount_from);
  request.url = url_for(path);
  request.repository = repository;
  auto reply = send(request);
  if (!reply) return std::move(reply).error();
  UploadSession session;
  if (reply->status == 201 && !mount_from.empty()) {
    session.mounted = true;
    return session;
  }
  if (reply->status != 202) return refused("starting an upload to " + repository, *reply);
  auto location = reply->header("Location");
  if (!location || location->empty())
    return base::make_error(base::Errc::unavailable, "the registry started an upload without a Location");
  session.location = resolve(*location);
  return session;
}

base::Result<UploadSession> RegistryClient::upload_status(const std::string& repository,
                                                          const UploadSession& session) {
  Request request;
  request.url = session.location;
  request.repository = repository;
  auto reply = send(request);
  if (!reply) return std::move(reply).error();
  if (reply->status != 204 && reply->status != 200) return refused("the upload session", *reply);
  UploadSession out = session;
  if (auto location = reply->header("Location"); location && !location->empty())
    out.location = resolve(*location);
  out.offset = 0;
  if (auto range = reply->header("Range")) {
    // "0-<last byte>"; "0-0" is read as nothing held (a resend of one byte is harmless).
    const auto dash = range->find('-');
    if (dash != std::string::npos) {
      const std::uint64_t last = std::strtoull(range->c_str() + dash + 1, nullptr, 10);
      out.offset = last == 0 ? 0 : last + 1;
    }
  }
  return out;
}

base::Status RegistryClient::upload_chunk(const std::string& repository, UploadSession& session,
                                          std::string_view data) {
  if (data.empty()) return {};
  Request request;
  request.method = "PATCH";
  request.url = session.location;
  request.headers = {"Content-Type: application/octet-stream",
                     "Content-Range: " + std::to_string(session.offset) + "-" +
                         std::to_string(session.offset + data.size() - 1)};
  request.body = data;
  request.repository = repository;
  request.blob = true;
  auto reply = send(request);
  if (!reply) return reply.error();
  if (reply->status != 202) return refused("uploading to " + repository, *reply);
  if (auto location = reply->header("Location"); location && !location->empty())
    session.location = resolve(*location);
  session.offset += data.size();
  return {};
}

base::Status RegistryClient::finish_upload(const std::string& repository, const UploadSession& session,
                                           const std::string& digest, std::string_view last) {
  Request request;
  request.method = "PUT";
  std::string url = session.location;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "digest=" + url_encode(digest);
  request.url = url;
  request.headers = {"Content-Type: application/octet-stream"};
  request.body = last;
  request.repository = repository;
  request.blob = true;
  auto reply = send(request);
  if (!reply) return reply.error();
  if (reply->status == 400) {
    return base::make_error(base::Errc::corrupt, "blob " + digest + ": the registry refused the content (" +
                                                     std::string(trim(reply->body.substr(0, 300))) + ")");
  }
  if (reply->status != 201 && reply->status != 204) return refused("completing blob " + digest, *reply);
  return {};
}

}  // namespace berth::remote
