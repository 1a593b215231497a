// The far end of a replication: another registry, through remote::RegistryClient. For a
// registry of type "harbor" (Harbor or another Berth) the projects a push needs are created
// through its /api/v2.0 first, private, as Harbor's own replication does.
#pragma once

#include <memory>
#include <string>

#include "remote/registry_client.h"
#include "replication/side.h"

namespace berth::replication {

struct RemoteSideOptions {
  std::string type;  // docker-registry, harbor, docker-hub
  remote::Endpoint endpoint;
  remote::ClientOptions client;
};

// Errors: invalid_argument (the URL).
base::Result<std::unique_ptr<Side>> remote_side(RemoteSideOptions options);

}  // namespace berth::replication
