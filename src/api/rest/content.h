// Internal to api/rest's content routes (repositories.cpp, artifacts.cpp): the project a
// route names and the caller's permission in it, and the translation of registry and
// metadata errors into Harbor's error answers. Header-only.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "api/rest/rest.h"
#include "base/log.h"
#include "iam/permissions.h"
#include "oci/errors.h"

namespace berth::api::rest {

// The project named `name` if the caller holds at least one of `any_of` in it.
// Errors: 404 (no such project), 401 (anonymous caller), 403. Blocks on a cache miss
// (project and role look-ups): call it on the blocking pool.
inline base::Result<meta::Project, http::Response> authorize_project(
    Call& call, const std::string& name, std::initializer_list<iam::Permission> any_of) {
  auto project = call.context.iam.project(name);
  if (!project) return error_response(404, "project " + name + " not found");
  for (const auto& permission : any_of) {
    if (call.context.iam.allowed(call.caller.principal, project->name, permission.resource,
                                 permission.action))
      return std::move(*project);
  }
  if (call.caller.principal.anonymous()) return error_response(401, "authentication required");
  const iam::Permission& first = *any_of.begin();
  return error_response(403, "not allowed to " + std::string(first.action) + " " +
                                 std::string(first.resource) + " in project " + project->name);
}

// The full repository name of a route: "<project_name>/<repository_name>". Errors: 400
// for an empty repository name.
inline base::Result<std::string, http::Response> full_repository_name(const Call& call) {
  const std::string& repository = call.param("repository_name");
  if (repository.empty()) return error_response(400, "the repository name is empty");
  return call.param("project_name") + "/" + repository;
}

// A repository name as Harbor's clients put it into a path: "a/b" -> "a%252Fb".
inline std::string path_repository_name(std::string_view repository) {
  std::string out;
  for (char c : repository) {
    if (c == '/') {
      out += "%252F";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// A registry error as Harbor answers it: unknown names 404, invalid input 400.
inline http::Response registry_error(std::string_view what, const oci::Error& error) {
  switch (error.code) {
    case oci::ErrorCode::name_unknown:
    case oci::ErrorCode::manifest_unknown:
    case oci::ErrorCode::blob_unknown:
      return error_response(404, error.message);
    case oci::ErrorCode::name_invalid:
    case oci::ErrorCode::tag_invalid:
    case oci::ErrorCode::digest_invalid:
    case oci::ErrorCode::manifest_invalid:
    case oci::ErrorCode::unsupported:
      return error_response(400, error.message);
    case oci::ErrorCode::denied:
      return error_response(403, error.message);
    case oci::ErrorCode::too_many_requests:
      return error_response(429, error.message);
    case oci::ErrorCode::precondition:
      return error_response(412, error.message);
    default:
      break;
  }
  BERTH_LOG_ERROR("management API: {}: {} ({})", what, error.message, oci::code_name(error.code));
  return error_response(500, "internal server error");
}

// A metadata error: a bad filter or sort is 400, a missing row 404, anything else 500.
inline http::Response metadata_error(std::string_view what, const base::Error& error) {
  if (error.code == base::Errc::invalid_argument) return error_response(400, error.message);
  if (error.code == base::Errc::not_found) return error_response(404, error.message);
  return internal_error(what, error);
}

}  // namespace berth::api::rest
