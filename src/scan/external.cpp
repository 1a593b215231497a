#include "scan/external.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <mutex>

#include "remote/http.h"
#include "scan/remote.h"

namespace berth::scan {
namespace {

namespace json = boost::json;
using remote::http_call;
using remote::HttpCall;
using remote::HttpReply;
using remote::url_encode;

std::optional<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

std::string string_member(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::vector<std::string> string_array(const json::object& object, std::string_view key) {
  std::vector<std::string> out;
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_array()) return out;
  for (const auto& item : value->as_array()) {
    if (item.is_string()) out.emplace_back(item.as_string());
  }
  return out;
}

// The adapter's {"error":{"message":...}}, or the status when the body is not that.
std::string adapter_message(const HttpReply& reply) {
  if (auto object = parse_object(reply.body)) {
    const auto* error = object->if_contains("error");
    if (error != nullptr && error->is_object()) {
      std::string message = string_member(error->as_object(), "message");
      if (!message.empty()) return message;
    }
  }
  return "HTTP " + std::to_string(reply.status);
}

base::Error failed(std::string_view what, const HttpReply& reply) {
  const std::string message = std::string(what) + ": " + adapter_message(reply);
  switch (reply.status) {
    case 400:
    case 401:
    case 403:
    case 422:
      return base::make_error(base::Errc::invalid_argument,
                              message + " (HTTP " + std::to_string(reply.status) + ")");
    case 404:
      return base::make_error(base::Errc::not_found, message);
    case 501:
      return base::make_error(base::Errc::unsupported, message);
    default:
      return base::make_error(base::Errc::unavailable,
                              message + " (HTTP " + std::to_string(reply.status) + ")");
  }
}

bool contains_type(const std::vector<std::string>& types, std::string_view wanted) {
  const std::string normalized = normalize_media_type(wanted);
  return std::any_of(types.begin(), types.end(),
                     [&](const std::string& t) { return normalize_media_type(t) == normalized; });
}

}  // namespace

std::string normalize_media_type(std::string_view type) {
  std::string out;
  for (char c : type) {
    if (c == ' ' || c == '\t') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

std::string scan_request_json(const ExternalTarget& target) {
  json::object artifact{{"repository", target.repository}, {"digest", target.digest}};
  if (!target.tag.empty()) artifact["tag"] = target.tag;
  if (!target.mime_type.empty()) artifact["mime_type"] = target.mime_type;
  json::object registry{{"url", target.registry_url}};
  if (!target.authorization.empty()) registry["authorization"] = target.authorization;
  return json::serialize(json::object{{"registry", std::move(registry)}, {"artifact", std::move(artifact)}});
}

ExternalScanner::ExternalScanner(ExternalOptions options) : options_(std::move(options)) {
  api_url_ = options_.url;
  while (!api_url_.empty() && api_url_.back() == '/') api_url_.pop_back();
  if (!api_url_.ends_with("/api/v1")) api_url_ += "/api/v1";
}

std::vector<std::string> ExternalScanner::headers(std::string_view accept) const {
  std::vector<std::string> out{"Accept: " + std::string(accept)};
  if (!options_.secret.empty()) out.push_back("Authorization: Bearer " + options_.secret);
  return out;
}

base::Result<AdapterMetadata> ExternalScanner::metadata() {
  HttpCall call;
  call.url = api_url_ + "/metadata";
  call.headers = headers(adapter_media::kMetadata);
  call.timeout = options_.request_timeout;
  call.verify_tls = options_.verify_tls;
  call.max_response_bytes = 1 << 20;
  auto reply = http_call(call);
  if (!reply) return std::move(reply).error();
  if (reply->status != 200) return failed("scanner adapter metadata", *reply);
  auto object = parse_object(reply->body);
  const json::value* scanner = object ? object->if_contains("scanner") : nullptr;
  const json::value* capabilities = object ? object->if_contains("capabilities") : nullptr;
  if (scanner == nullptr || !scanner->is_object() || capabilities == nullptr || !capabilities->is_array()) {
    return base::make_error(base::Errc::corrupt,
                            "scanner adapter metadata: expected an object with scanner and capabilities");
  }
  AdapterMetadata out;
  out.name = string_member(scanner->as_object(), "name");
  out.vendor = string_member(scanner->as_object(), "vendor");
  out.version = string_member(scanner->as_object(), "version");
  if (out.name.empty())
    return base::make_error(base::Errc::corrupt, "scanner adapter metadata: no scanner.name");
  for (const auto& item : capabilities->as_array()) {
    if (!item.is_object()) continue;
    AdapterCapability capability;
    capability.type = string_member(item.as_object(), "type");
    if (capability.type.empty()) capability.type = "vulnerability";
    capability.consumes = string_array(item.as_object(), "consumes_mime_types");
    capability.produces = string_array(item.as_object(), "produces_mime_types");
    out.capabilities.push_back(std::move(capability));
  }
  if (const auto* properties = object->if_contains("properties");
      properties != nullptr && properties->is_object()) {
    for (const auto& [key, value] : properties->as_object()) {
      if (value.is_string()) out.properties[std::string(key)] = std::string(value.as_string());
    }
  }
  for (const auto& capability : out.capabilities) {
    if (capability.type != "vulnerability") continue;
    if (!contains_type(capability.consumes, "application/vnd.oci.image.manifest.v1+json") &&
        !contains_type(capability.consumes, "application/vnd.docker.distribution.manifest.v2+json")) {
      continue;
    }
    if (contains_type(capability.produces, adapter_media::kVulnerabilityReport)) {
      out.report_media_type = std::string(adapter_media::kVulnerabilityReport);
      break;
    }
    if (contains_type(capability.produces, adapter_media::kNativeReport)) {
      out.report_media_type = std::string(adapter_media::kNativeReport);
    }
  }
  if (out.report_media_type.empty()) {
    return base::make_error(
        base::Errc::unsupported,
        "scanner adapter " + out.name +
            " has no capability that reads image manifests and produces a vulnerability report");
  }
  return out;
}

base::Result<std::string> ExternalScanner::submit(const ExternalTarget& target) {
  HttpCall call;
  call.method = "POST";
  call.url = api_url_ + "/scan";
  call.headers = headers(adapter_media::kScanResponse);
  call.headers.push_back("Content-Type: " + std::string(adapter_media::kScanRequest));
  call.body = scan_request_json(target);
  call.timeout = options_.request_timeout;
  call.verify_tls = options_.verify_tls;
  call.max_response_bytes = 1 << 20;
  auto reply = http_call(call);
  if (!reply) return std::move(reply).error();
  if (reply->status != 202) return failed("scan request", *reply);
  auto object = parse_object(reply->body);
  std::string id = object ? string_member(*object, "id") : std::string();
  if (id.empty() || id.size() > 256 || !std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      })) {
    return base::make_error(base::Errc::corrupt,
                            "scan request: the adapter answered 202 without a usable id");
  }
  return id;
}

base::Result<std::optional<std::string>> ExternalScanner::poll(const std::string& id,
                                                               std::chrono::seconds* refresh_after) {
  HttpCall call;
  call.url = api_url_ + "/scan/" + url_encode(id) + "/report";
  call.headers = headers(options_.report_media_type);
  call.timeout = options_.request_timeout;
  call.verify_tls = options_.verify_tls;
  call.max_response_bytes = 256 << 20;
  auto reply = http_call(call);
  if (!reply) return std::move(reply).error();
  if (reply->status == 302) {
    std::chrono::seconds wait = options_.default_refresh;
    if (auto value = reply->header("Refresh-After")) {
      long seconds = 0;
      auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), seconds);
      if (ec == std::errc() && end == value->data() + value->size() && seconds >= 0) {
        wait = std::chrono::seconds(seconds);
      }
    }
    wait = std::clamp(wait, std::chrono::seconds(1), std::max(options_.max_refresh, std::chrono::seconds(1)));
    if (refresh_after != nullptr) *refresh_after = wait;
    return std::optional<std::string>();
  }
  if (reply->status == 500) {
    return base::make_error(base::Errc::internal, "the scan failed: " + adapter_message(*reply));
  }
  if (reply->status != 200) return failed("scan report " + id, *reply);
  auto object = parse_object(reply->body);
  const json::value* items = object ? object->if_contains("vulnerabilities") : nullptr;
  if (!object || (items != nullptr && !items->is_array() && !items->is_null())) {
    return base::make_error(base::Errc::corrupt, "scan report " + id + ": not a vulnerability report");
  }
  return std::optional<std::string>(std::move(reply->body));
}

base::Result<std::string> ExternalScanner::scan(const ExternalTarget& target, std::stop_token stop) {
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  auto id = submit(target);
  if (!id) return std::move(id).error();
  std::mutex mutex;
  std::condition_variable_any wake;
  for (;;) {
    if (stop.stop_requested()) return base::make_error(base::Errc::cancelled, "cancelled");
    std::chrono::seconds wait{0};
    auto report = poll(*id, &wait);
    if (!report) return std::move(report).error();
    if (*report) return std::move(**report);
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return base::make_error(base::Errc::unavailable, "scan " + *id + ": no report within " +
                                                           std::to_string(options_.timeout.count()) + " s");
    }
    const auto until = std::min(deadline, now + wait);
    std::unique_lock lock(mutex);
    wake.wait_until(lock, stop, until, [] { return false; });
  }
}

}  // namespace berth::scan
