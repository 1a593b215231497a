// replication::Registries: the other registries Berth replicates to and from (Harbor's
// /registries): their URL, type and credentials, the secret sealed at rest with the data
// directory's key and never shown again, and their health, checked with a /v2/ ping on
// create, update and ping.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/secret_box.h"
#include "meta/replication_database.h"
#include "remote/registry_client.h"
#include "replication/side.h"

namespace berth::replication {

// The adapter types Berth speaks: any OCI registry, Harbor (and Berth), Docker Hub.
const std::vector<std::string>& adapter_types();

// A registry as given to create, update or ping; the secret in the clear.
struct RegistryInput {
  std::string name;
  std::string type;
  std::string url;
  std::string description;
  std::string credential_type;  // "basic", or "" = anonymous
  std::string access_key;
  std::optional<std::string> access_secret;  // nullopt on update: keep the stored one
  bool insecure = false;
};

class Registries {
 public:
  Registries(meta::ReplicationDatabase& database, base::SecretBox secrets);

  // Checks the input, pings the registry and stores it. Errors: invalid_argument (the
  // message says what; "the registry is unhealthy" when the ping fails), already_exists.
  base::Result<std::int64_t> create(const RegistryInput& input);
  // Replaces the registry's fields with `input`'s (the secret kept when nullopt), pinging it.
  // Errors: as create, not_found.
  base::Status update(std::int64_t id, const RegistryInput& input);
  // Errors: not_found, conflict (a policy uses it).
  base::Status remove(std::int64_t id);
  base::Result<std::optional<meta::RegistryRecord>> get(std::int64_t id);
  base::Result<std::vector<meta::RegistryRecord>> list();

  // Pings a registry described by `input` (the stored one's fields filled in for `id` when
  // given). Errors: invalid_argument ("the registry is unhealthy: ..."), not_found.
  base::Status ping(const RegistryInput& input, std::optional<std::int64_t> id);
  // Pings a stored registry and records its status ("healthy"/"unhealthy").
  base::Result<std::string> check(std::int64_t id);

  // The registry as a replication Side (its secret unsealed). Errors: not_found, corrupt.
  base::Result<std::unique_ptr<Side>> open(std::int64_t id, const remote::ClientOptions& options);
  // Its endpoint, with the secret unsealed (proxy caching uses it). Errors: not_found, corrupt.
  base::Result<remote::Endpoint> endpoint(std::int64_t id);

 private:
  base::Status validate(const RegistryInput& input) const;
  base::Status ping_endpoint(const RegistryInput& input) const;
  meta::RegistryRecord to_record(const RegistryInput& input, const std::string& sealed) const;

  meta::ReplicationDatabase& db_;
  base::SecretBox secrets_;
};

// The URL with the defaults Harbor applies ("https://" when no scheme is given; Docker Hub's
// registry for docker-hub), without a trailing '/'.
std::string normalized_url(const std::string& type, const std::string& url);

}  // namespace berth::replication
