#include "api/auth/authenticate.h"

#include <boost/json.hpp>

#include "base/log.h"
#include "base/random.h"
#include "base/time.h"
#include "http/authorization.h"
#include "iam/permissions.h"
#include "oci/errors.h"

namespace berth::api::auth {
namespace {

namespace json = boost::json;
using berth::oci::ErrorCode;

constexpr std::size_t kMaxCachedTokens = 10000;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339(std::int64_t unix_seconds) {
  return base::format_rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds)));
}

http::Response oci_error(ErrorCode code, std::string message) {
  http::Response response;
  response.status = berth::oci::http_status(code);
  response.headers.set("Content-Type", "application/json");
  response.body = berth::oci::error_body(berth::oci::make_error(code, std::move(message)));
  return response;
}

// The scope a client must ask for to satisfy `need`, in the token spec's form.
std::string scope_of(const Need& need) {
  switch (need.kind) {
    case Need::Kind::base:
      return {};
    case Need::Kind::catalog:
      return "registry:catalog:*";
    case Need::Kind::repository: {
      std::string scope =
          "repository:" + need.repository + ":" + (need.action == "push" ? "pull,push" : need.action);
      if (!need.mount_from.empty()) scope += " repository:" + need.mount_from + ":pull";
      return scope;
    }
  }
  return {};
}

// The pull on a mount's source repository that a request also asks for.
Need mount_source(const Need& need) {
  return Need{Need::Kind::repository, need.mount_from, "pull", {}};
}

std::string_view project_of(std::string_view repository) {
  auto slash = repository.find('/');
  return slash == std::string_view::npos ? std::string_view() : repository.substr(0, slash);
}

bool token_covers(const std::vector<iam::Access>& access, const Need& need) {
  for (const auto& entry : access) {
    if (need.kind == Need::Kind::catalog) {
      if (entry.type == "registry" && entry.name == "catalog") return true;
      continue;
    }
    if (entry.type != "repository" || entry.name != need.repository) continue;
    for (const auto& action : entry.actions)
      if (action == need.action || action == "*") return true;
  }
  return false;
}

}  // namespace

// Verified tokens until they expire, so that a client's stream of requests with one
// token costs one signature check.
struct Authenticator::TokenCache {
  std::mutex mutex;
  std::unordered_map<std::string, iam::TokenClaims> verified;
};

Authenticator::Authenticator(iam::Service& iam, iam::KeyRing& keys, Settings settings)
    : iam_(iam), keys_(keys), settings_(std::move(settings)), tokens_(std::make_unique<TokenCache>()) {}

Authenticator::~Authenticator() = default;

std::string Authenticator::realm(const http::Request& request) const {
  std::string base = settings_.external_url;
  if (base.empty()) {
    std::string host(request.headers.get("Host").value_or("localhost"));
    base = (settings_.tls ? "https://" : "http://") + host;
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/service/token";
}

http::Response Authenticator::challenge(const http::Request& request, const Need& need, std::string message,
                                        bool invalid_token) const {
  http::Response response = oci_error(ErrorCode::unauthorized, std::move(message));
  std::string value = "Bearer realm=\"" + realm(request) + "\",service=\"" + settings_.service + "\"";
  if (std::string scope = scope_of(need); !scope.empty()) value += ",scope=\"" + scope + "\"";
  if (invalid_token) value += ",error=\"invalid_token\"";
  response.headers.set("WWW-Authenticate", std::move(value));
  return response;
}

base::Result<iam::TokenClaims> Authenticator::verify(const std::string& token) {
  std::int64_t now = unix_now();
  {
    std::lock_guard lock(tokens_->mutex);
    auto it = tokens_->verified.find(token);
    if (it != tokens_->verified.end()) {
      if (now < it->second.expires_at) return it->second;
      tokens_->verified.erase(it);
    }
  }
  auto claims = keys_.verify(token, settings_.service, settings_.issuer, now);
  if (!claims) return claims;
  std::lock_guard lock(tokens_->mutex);
  if (tokens_->verified.size() >= kMaxCachedTokens) tokens_->verified.clear();
  tokens_->verified.emplace(token, *claims);
  return claims;
}

Decision Authenticator::identify(const http::Request& request) {
  Decision decision;
  auto header = request.headers.get("Authorization");
  if (!header) return decision;
  const http::Authorization authorization = http::split_authorization(*header);
  if (http::has_scheme(authorization, "Basic")) {
    auto credentials = http::decode_basic_credentials(authorization.credentials);
    if (!credentials) {
      decision.refusal = challenge(request, Need{}, "malformed basic credentials", false);
      return decision;
    }
    auto principal = iam_.authenticate(credentials->user(), credentials->password(), request.remote_address);
    if (!principal) {
      if (principal.error().code == iam::Error::Code::too_many_requests) {
        decision.refusal = oci_error(ErrorCode::too_many_requests, principal.error().message);
      } else {
        decision.refusal = challenge(request, Need{}, principal.error().message, false);
      }
      return decision;
    }
    decision.principal = std::move(*principal);
    return decision;
  }
  if (http::has_scheme(authorization, "Bearer")) {
    auto claims = verify(std::string(authorization.credentials));
    if (!claims) {
      BERTH_LOG_DEBUG("refused bearer token from {}: {}", request.remote_address, claims.error().message);
      decision.refusal = challenge(request, Need{}, "invalid token: " + claims.error().message, true);
      return decision;
    }
    if (!claims->subject.empty()) {
      auto principal = iam_.principal_by_name(claims->subject);
      if (!principal) {
        decision.refusal = challenge(request, Need{}, principal.error().message, true);
        return decision;
      }
      decision.principal = std::move(*principal);
    }
    decision.principal.token_access = std::move(claims->access);
    return decision;
  }
  decision.refusal = challenge(request, Need{}, "unsupported authorization scheme", false);
  return decision;
}

Decision Authenticator::authorize_now(const http::Request& request, const Need& need) {
  Decision decision = identify(request);
  if (decision.refusal) return decision;
  // With cache_only false, check() always answers.
  return *check(request, need, std::move(decision.principal), false);
}

std::optional<Decision> Authenticator::authorize_cached(const http::Request& request, const Need& need) {
  iam::Principal principal;
  if (auto header = request.headers.get("Authorization")) {
    const http::Authorization authorization = http::split_authorization(*header);
    if (http::has_scheme(authorization, "Basic")) {
      // Credentials verified recently: no password check, no hop to the blocking pool.
      auto basic = http::decode_basic_credentials(authorization.credentials);
      if (!basic) return std::nullopt;
      auto cached = iam_.cached_authentication(basic->user(), basic->password(), request.remote_address);
      if (!cached) return std::nullopt;
      return check(request, need, std::move(*cached), true);
    }
    if (!http::has_scheme(authorization, "Bearer")) return std::nullopt;
    std::string token(authorization.credentials);
    std::optional<iam::TokenClaims> claims;
    {
      std::lock_guard lock(tokens_->mutex);
      auto it = tokens_->verified.find(token);
      if (it == tokens_->verified.end() || unix_now() >= it->second.expires_at) return std::nullopt;
      claims = it->second;
    }
    if (!claims->subject.empty()) {
      auto cached = iam_.cached_principal(claims->subject);
      if (!cached) return std::nullopt;
      principal = std::move(*cached);
    }
    principal.token_access = std::move(claims->access);
  }
  return check(request, need, std::move(principal), true);
}

std::optional<Decision> Authenticator::check(const http::Request& request, const Need& need,
                                             iam::Principal principal, bool cache_only) {
  Decision decision;
  decision.principal = std::move(principal);
  const iam::Principal& who = decision.principal;
  if (need.kind == Need::Kind::base) {
    // Knowing the API is there needs credentials (or a token, even an anonymous one), as
    // distribution with token auth answers: that is how clients discover the realm.
    if (who.anonymous() && !who.token_access)
      decision.refusal = challenge(request, need, "authentication required", false);
    return decision;
  }
  if (need.kind == Need::Kind::catalog) {
    bool allowed = who.sysadmin && (!who.token_access || token_covers(*who.token_access, need));
    if (allowed) return decision;
    if (who.anonymous() || who.token_access)
      decision.refusal = challenge(request, need, "authentication required", false);
    else
      decision.refusal = oci_error(ErrorCode::denied, "the catalog is for system administrators");
    return decision;
  }

  std::string_view project = project_of(need.repository);
  if (project.empty()) {
    decision.refusal =
        oci_error(ErrorCode::name_invalid, "a repository name must start with its project: <project>/<name>");
    return decision;
  }
  bool exists = false;
  if (cache_only) {
    if (!iam_.visit_cached_project(project, [&](const meta::Project* p) { exists = p != nullptr; }))
      return std::nullopt;
  } else {
    exists = iam_.project(project).has_value();
  }
  if (!exists) {
    // Nothing can be pushed to or pulled from a project that does not exist, not even by
    // an administrator. Anonymous callers are not told which projects exist.
    if (who.anonymous())
      decision.refusal = challenge(request, need, "authentication required", false);
    else
      decision.refusal = oci_error(ErrorCode::name_unknown, "project " + std::string(project) + " not found");
    return decision;
  }
  std::optional<bool> held =
      cache_only ? iam_.allowed_if_cached(who, project, iam::resource::repository, need.action)
                 : iam_.allowed(who, project, iam::resource::repository, need.action);
  if (!held) return std::nullopt;
  if (*held && (!who.token_access || token_covers(*who.token_access, need))) {
    if (need.mount_from.empty() || !who.token_access || token_covers(*who.token_access, mount_source(need)))
      return decision;
    // The token covers the upload but not the pull of the mount's source. When the principal
    // may pull there, a new token would let the blob be mounted: challenge for both scopes
    // (as distribution does). Otherwise the mount is simply not done (an ordinary upload).
    std::string_view source_project = project_of(need.mount_from);
    if (source_project.empty()) return decision;
    std::optional<bool> may_pull =
        cache_only ? iam_.allowed_if_cached(who, source_project, iam::resource::repository, "pull")
                   : iam_.allowed(who, source_project, iam::resource::repository, "pull");
    if (!may_pull) return std::nullopt;
    if (*may_pull)
      decision.refusal = challenge(request, need, "the token does not cover the mount's source", false);
    return decision;
  }
  if (who.anonymous()) {
    decision.refusal = challenge(request, need, "authentication required", false);
    return decision;
  }
  if (*held) {
    // The principal may, but the token was not issued for it: ask for a new one.
    decision.refusal = challenge(request, need, "the token does not cover this request", false);
    return decision;
  }
  decision.refusal = oci_error(ErrorCode::denied, "requested access to the resource is denied");
  return decision;
}

bool Authenticator::permits(const iam::Principal& principal, const Need& need) {
  if (need.kind != Need::Kind::repository) return false;
  std::string_view project = project_of(need.repository);
  if (project.empty() || !iam_.project(project)) return false;
  if (principal.token_access && !token_covers(*principal.token_access, need)) return false;
  return iam_.allowed(principal, project, iam::resource::repository, need.action);
}

boost::asio::awaitable<Decision> Authenticator::authorize(http::Exchange& exchange, const Need& need) {
  // Most requests carry a token already verified and concern principals and projects in
  // memory: those are decided here, on the io thread, without a hop to the blocking pool.
  if (auto decided = authorize_cached(exchange.request(), need)) co_return std::move(*decided);
  Decision decision;
  co_await exchange.run_blocking([&] { decision = authorize_now(exchange.request(), need); });
  co_return decision;
}

std::string Authenticator::issue_token(const iam::Principal& principal,
                                       const std::vector<iam::Access>& requested) {
  iam::TokenClaims claims;
  claims.issuer = settings_.issuer;
  claims.subject = principal.anonymous() ? std::string() : principal.name;
  claims.audience = settings_.service;
  claims.issued_at = unix_now();
  claims.not_before = claims.issued_at;
  claims.expires_at = claims.issued_at + settings_.token_lifetime.count();
  claims.id = base::random_hex(16);
  for (const auto& want : requested) {
    iam::Access granted{want.type, want.name, {}};
    if (want.type == "repository") {
      granted.actions = iam_.grantable_repository_actions(principal, want.name, want.actions);
    } else if (want.type == "registry" && want.name == "catalog" && principal.sysadmin) {
      granted.actions = {"*"};
    }
    if (!granted.actions.empty()) claims.access.push_back(std::move(granted));
  }
  std::string token = keys_.sign(claims);
  json::object body;
  body["token"] = token;
  body["access_token"] = token;
  body["expires_in"] = settings_.token_lifetime.count();
  body["issued_at"] = rfc3339(claims.issued_at);
  return json::serialize(body);
}

}  // namespace berth::api::auth
