#include "replication/registries.h"

#include "replication/remote_side.h"

namespace berth::replication {
namespace {

using base::Errc;

base::Error invalid(std::string message) {
  return base::make_error(Errc::invalid_argument, std::move(message));
}

RegistryInput input_of(const meta::RegistryRecord& record, std::optional<std::string> secret) {
  RegistryInput in;
  in.name = record.name;
  in.type = record.type;
  in.url = record.url;
  in.description = record.description;
  in.credential_type = record.credential_type;
  in.access_key = record.access_key;
  in.access_secret = std::move(secret);
  in.insecure = record.insecure;
  return in;
}

remote::Endpoint endpoint_of(const RegistryInput& input) {
  remote::Endpoint endpoint;
  endpoint.url = normalized_url(input.type, input.url);
  if (input.credential_type == "basic" || (input.credential_type.empty() && !input.access_key.empty())) {
    endpoint.username = input.access_key;
    endpoint.password = input.access_secret.value_or("");
  }
  endpoint.insecure = input.insecure;
  return endpoint;
}

}  // namespace

const std::vector<std::string>& adapter_types() {
  static const std::vector<std::string> types{"docker-hub", "docker-registry", "harbor"};
  return types;
}

std::string normalized_url(const std::string& type, const std::string& url) {
  std::string out = url;
  if (type == "docker-hub" && (out.empty() || out.find("hub.docker.com") != std::string::npos))
    out = "https://registry-1.docker.io";
  if (!out.empty() && !out.starts_with("http://") && !out.starts_with("https://")) out = "https://" + out;
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

Registries::Registries(meta::ReplicationDatabase& database, base::SecretBox secrets)
    : db_(database), secrets_(std::move(secrets)) {}

base::Status Registries::validate(const RegistryInput& input) const {
  if (input.name.empty()) return invalid("name cannot be empty");
  if (input.name.size() > 64) return invalid("the max length of name is 64");
  const auto& types = adapter_types();
  if (std::find(types.begin(), types.end(), input.type) == types.end())
    return invalid("invalid registry type: " + input.type);
  if (input.url.empty() && input.type != "docker-hub") return invalid("type or url cannot be empty");
  if (!input.credential_type.empty() && input.credential_type != "basic")
    return invalid("unsupported credential type: " + input.credential_type);
  if (auto client = remote::RegistryClient::open(endpoint_of(input)); !client)
    return invalid("invalid URL: " + input.url);
  return {};
}

base::Status Registries::ping_endpoint(const RegistryInput& input) const {
  remote::ClientOptions options;
  options.connect_timeout = std::chrono::seconds(5);
  options.request_timeout = std::chrono::seconds(15);
  auto client = remote::RegistryClient::open(endpoint_of(input), options);
  if (!client) return invalid(client.error().message);
  if (auto s = client->ping(); !s) return invalid("the registry is unhealthy: " + s.error().message);
  return {};
}

meta::RegistryRecord Registries::to_record(const RegistryInput& input, const std::string& sealed) const {
  meta::RegistryRecord r;
  r.name = input.name;
  r.type = input.type;
  r.url = normalized_url(input.type, input.url);
  r.description = input.description;
  r.credential_type = input.access_key.empty() ? std::string() : "basic";
  r.access_key = input.access_key;
  r.sealed_secret = sealed;
  r.insecure = input.insecure;
  r.status = "healthy";
  return r;
}

base::Result<std::int64_t> Registries::create(const RegistryInput& input) {
  if (auto s = validate(input); !s) return s.error();
  if (auto s = ping_endpoint(input); !s) return s.error();
  return db_.create_registry(to_record(input, secrets_.seal(input.access_secret.value_or(""))));
}

base::Status Registries::update(std::int64_t id, const RegistryInput& input) {
  auto stored = db_.get_registry(id);
  if (!stored) return stored.error();
  if (!*stored) return base::make_error(Errc::not_found, "registry " + std::to_string(id) + " not found");
  RegistryInput merged = input;
  std::string sealed;
  if (merged.access_secret) {
    sealed = secrets_.seal(*merged.access_secret);
  } else {
    auto secret = secrets_.unseal((*stored)->sealed_secret);
    if (!secret) return secret.error();
    merged.access_secret = *secret;
    sealed = (*stored)->sealed_secret;
  }
  if (auto s = validate(merged); !s) return s;
  if (auto s = ping_endpoint(merged); !s) return s;
  meta::RegistryRecord record = to_record(merged, sealed);
  record.id = id;
  return db_.update_registry(record);
}

base::Status Registries::remove(std::int64_t id) {
  return db_.delete_registry(id);
}

base::Result<std::optional<meta::RegistryRecord>> Registries::get(std::int64_t id) {
  return db_.get_registry(id);
}

base::Result<std::vector<meta::RegistryRecord>> Registries::list() {
  return db_.list_registries();
}

base::Status Registries::ping(const RegistryInput& input, std::optional<std::int64_t> id) {
  RegistryInput effective = input;
  if (id) {
    auto stored = db_.get_registry(*id);
    if (!stored) return stored.error();
    if (!*stored) return base::make_error(Errc::not_found, "registry " + std::to_string(*id) + " not found");
    auto secret = secrets_.unseal((*stored)->sealed_secret);
    if (!secret) return secret.error();
    RegistryInput base = input_of(**stored, *secret);
    if (effective.type.empty()) effective.type = base.type;
    if (effective.url.empty()) effective.url = base.url;
    if (effective.access_key.empty()) effective.access_key = base.access_key;
    if (!effective.access_secret) effective.access_secret = base.access_secret;
    if (effective.credential_type.empty()) effective.credential_type = base.credential_type;
  }
  if (effective.type.empty() || (effective.url.empty() && effective.type != "docker-hub"))
    return invalid("type or url cannot be empty");
  effective.name = effective.name.empty() ? "ping" : effective.name;
  if (auto s = validate(effective); !s) return s;
  return ping_endpoint(effective);
}

base::Result<std::string> Registries::check(std::int64_t id) {
  auto endpoint_input = db_.get_registry(id);
  if (!endpoint_input) return std::move(endpoint_input).error();
  if (!*endpoint_input)
    return base::make_error(Errc::not_found, "registry " + std::to_string(id) + " not found");
  auto secret = secrets_.unseal((*endpoint_input)->sealed_secret);
  if (!secret) return std::move(secret).error();
  const std::string status = ping_endpoint(input_of(**endpoint_input, *secret)) ? "healthy" : "unhealthy";
  if (status != (*endpoint_input)->status) {
    if (auto s = db_.set_registry_status(id, status); !s) return s.error();
  }
  return status;
}

base::Result<remote::Endpoint> Registries::endpoint(std::int64_t id) {
  auto stored = db_.get_registry(id);
  if (!stored) return std::move(stored).error();
  if (!*stored) return base::make_error(Errc::not_found, "registry " + std::to_string(id) + " not found");
  auto secret = secrets_.unseal((*stored)->sealed_secret);
  if (!secret) return std::move(secret).error();
  return endpoint_of(input_of(**stored, *secret));
}

base::Result<std::unique_ptr<Side>> Registries::open(std::int64_t id, const remote::ClientOptions& options) {
  auto stored = db_.get_registry(id);
  if (!stored) return std::move(stored).error();
  if (!*stored) return base::make_error(Errc::not_found, "registry " + std::to_string(id) + " not found");
  auto endpoint_value = endpoint(id);
  if (!endpoint_value) return std::move(endpoint_value).error();
  RemoteSideOptions side;
  side.type = (*stored)->type;
  side.endpoint = std::move(*endpoint_value);
  side.client = options;
  return remote_side(std::move(side));
}

}  // namespace berth::replication
