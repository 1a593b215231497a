// Internal to api/oci: one function per resource of the distribution spec, each in the
// file named after that resource (blobs.cpp, uploads.cpp, manifests.cpp, listings.cpp).
#pragma once

#include <string>

#include "api/auth/authenticate.h"
#include "api/oci/routes.h"
#include "events/activity.h"
#include "http/exchange.h"
#include "registry/registry.h"

namespace berth::api::oci {

// What the router found in the path (/v2/<name>/<resource>/<reference>) and who asks.
struct Route {
  std::string name;       // repository name, not yet validated
  std::string reference;  // digest, tag or upload id (percent-decoded); may be empty
  iam::Principal principal;
};

struct Context {
  registry::Registry& registry;
  auth::Authenticator& auth;
  events::Activity& activity;
  Options options;
};

// Queues an audit record for the request's principal (resource_type "artifact").
void audit(Context& context, const http::Exchange& exchange, const Route& route, std::string operation,
           std::string resource);

using Awaitable = boost::asio::awaitable<http::Response>;

Awaitable handle_blob(Context& context, http::Exchange& exchange, const Route& route);
Awaitable handle_upload_start(Context& context, http::Exchange& exchange, const Route& route);
Awaitable handle_upload(Context& context, http::Exchange& exchange, const Route& route);
Awaitable handle_manifest(Context& context, http::Exchange& exchange, const Route& route);
Awaitable handle_tags(Context& context, http::Exchange& exchange, const Route& route);
Awaitable handle_referrers(Context& context, http::Exchange& exchange, const Route& route);
Awaitable handle_catalog(Context& context, http::Exchange& exchange);

}  // namespace berth::api::oci
