// The OCI distribution API (/v2/...) as an http::Handler over a registry::Registry.
#pragma once

#include <cstddef>

#include "api/auth/authenticate.h"
#include "events/activity.h"
#include "http/exchange.h"
#include "registry/registry.h"

namespace berth::api::oci {

struct Options {
  // Largest number of entries a tags or catalog page returns when the client asks for
  // more (or gives no n).
  std::size_t max_page_size = 10000;
};

// Serves every /v2/ route of the distribution spec, each request authorized by `auth`
// (anonymous, basic or bearer). Pushes, pulls and deletes of manifests are audited and
// pulls counted through `activity`. The arguments must outlive the handler.
http::Handler make_handler(registry::Registry& registry, auth::Authenticator& auth,
                           events::Activity& activity, Options options);

}  // namespace berth::api::oci
