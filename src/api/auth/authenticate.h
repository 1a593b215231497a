// Registry authentication: who a /v2 request comes from (basic auth, a bearer token
// from /service/token, or nobody), whether that principal may do what the request asks,
// and the answers that make Docker-compatible clients fetch a token
// (`WWW-Authenticate: Bearer realm=...,service=...,scope=...`).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/exchange.h"
#include "iam/principal.h"
#include "iam/service.h"
#include "iam/token.h"

namespace berth::api::auth {

struct Settings {
  std::string service = "berth-registry";     // the token audience and `service` parameter
  std::string issuer = "berth-token-issuer";  // the token issuer
  // "https://registry.example.com" when Berth sits behind a proxy; "" = derived from the
  // request's Host header and whether Berth itself speaks TLS.
  std::string external_url;
  bool tls = false;
  std::chrono::seconds token_lifetime{300};
};

// What a /v2 request needs: an action on a repository, or the catalog, or nothing more
// than being known (the /v2/ base).
struct Need {
  enum class Kind { base, repository, catalog };
  Kind kind = Kind::base;
  std::string repository;
  std::string action;  // "pull", "push" or "delete"
  // A blob mount's source (`from`): the request also reads this repository. Challenges name
  // its pull scope too, so that one token covers the mount.
  std::string mount_from;
};

// The outcome of authorizing a request: the principal, or the response to send instead.
struct Decision {
  iam::Principal principal;
  std::optional<http::Response> refusal;
};

class Authenticator {
 public:
  Authenticator(iam::Service& iam, iam::KeyRing& keys, Settings settings);
  ~Authenticator();

  const Settings& settings() const { return settings_; }

  // Authenticates the request (Authorization: Basic or Bearer; none = anonymous) and
  // checks `need`. Refusals are in the distribution spec's error format: 401
  // UNAUTHORIZED with a Bearer challenge (naming the needed scope) when no credentials
  // were given or the token lacks the scope; 401 for bad credentials or an invalid
  // token; 403 DENIED when the principal lacks the permission; 404 NAME_UNKNOWN when the
  // project does not exist; 429 when the address is locked out after failed logins.
  boost::asio::awaitable<Decision> authorize(http::Exchange& exchange, const Need& need);

  // True if `principal` (with its token, if any) may do what `need` says. May block.
  bool permits(const iam::Principal& principal, const Need& need);

  // Just the principal (no permission check): for /service/token. Refusal as above.
  Decision identify(const http::Request& request);

  // The token realm for a request: <external or derived base URL>/service/token.
  std::string realm(const http::Request& request) const;

  // Issues a token for `principal` with the granted part of each requested scope.
  // Returns the JSON body of Docker's token response.
  std::string issue_token(const iam::Principal& principal, const std::vector<iam::Access>& requested);

 private:
  struct TokenCache;
  Decision authorize_now(const http::Request& request, const Need& need);
  // The decision from memory alone (anonymous, or a bearer token verified before, and
  // cached principal, project and role), or nullopt when that is not enough. Never blocks.
  std::optional<Decision> authorize_cached(const http::Request& request, const Need& need);
  // Checks `need` for an identified principal; with `cache_only`, nullopt when a fact is
  // not in memory.
  std::optional<Decision> check(const http::Request& request, const Need& need, iam::Principal principal,
                                bool cache_only);
  // Verifies a bearer token (cached until it expires). Errors: a reason.
  base::Result<iam::TokenClaims> verify(const std::string& token);
  http::Response challenge(const http::Request& request, const Need& need, std::string message,
                           bool invalid_token) const;

  iam::Service& iam_;
  iam::KeyRing& keys_;
  Settings settings_;
  std::unique_ptr<TokenCache> tokens_;
};

// Serves GET /service/token?service=...&scope=...(&scope=...): Docker's token endpoint.
http::Handler make_token_handler(Authenticator& authenticator);

}  // namespace berth::api::auth
