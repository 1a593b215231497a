// Internal to api/rest: the pieces every management-API handler uses. A handler file
// (users.cpp, projects.cpp, ...) exposes its routes as a table; routes.cpp matches a
// request to a route, authenticates the caller (basic auth or a portal session with its
// CSRF token) and runs the handler. Handlers translate HTTP and JSON to iam::Service or
// registry calls and back; the rules live in the services.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/rest/routes.h"
#include "http/exchange.h"
#include "iam/service.h"
#include "meta/label_database.h"
#include "meta/limits_database.h"
#include "meta/query.h"

namespace berth::api::rest {

using Awaitable = boost::asio::awaitable<http::Response>;

// One management-API request after routing and authentication.
struct Call {
  Context& context;
  http::Exchange& exchange;
  iam::Caller caller;
  // Path parameters by the names in the route pattern, percent-decoded (a repository name
  // is decoded twice when needed, as Harbor's clients encode "a/b" as "a%252Fb").
  std::map<std::string, std::string, std::less<>> params;

  const http::Request& request() const { return exchange.request(); }
  const std::string& param(std::string_view name) const;
};

using RouteHandler = std::function<Awaitable(Call&)>;

struct Route {
  http::Method method;
  // Relative to /api/v2.0, with {name} for a path parameter that matches one segment:
  // "/projects/{project_name_or_id}/members/{mid}". A parameter named {repository_name}
  // matches one segment too (clients encode slashes in it).
  std::string pattern;
  RouteHandler handler;
  // When false, an anonymous caller gets 401 before the handler runs.
  bool allow_anonymous = false;
};

// Route tables, one per resource file.
std::vector<Route> user_routes();          // users.cpp: /users, /users/current, /users/search ...
std::vector<Route> project_routes();       // projects.cpp: /projects, summary, metadata
std::vector<Route> member_routes();        // members.cpp: /projects/{p}/members
std::vector<Route> robot_routes();         // robots.cpp: /robots, /projects/{p}/robots
std::vector<Route> repository_routes();    // repositories.cpp: /projects/{p}/repositories, /repositories
std::vector<Route> artifact_routes();      // artifacts.cpp: artifacts, tags, copies, accessories, additions
std::vector<Route> label_routes();         // labels.cpp: /labels, artifact labels
std::vector<Route> audit_routes();         // audit.cpp: /audit-logs, /projects/{p}/logs
std::vector<Route> system_routes();        // system.cpp: /systeminfo, /health, /ping, /statistics, /search
std::vector<Route> jobservice_routes();    // jobservice.cpp: /jobservice/queues, /jobservice/jobs
std::vector<Route> scan_routes();          // scans.cpp: scan, report, SBOM, CVE allowlist, scan all, vulndb
std::vector<Route> document_routes();      // swagger.cpp: /swagger.json
std::vector<Route> quota_routes();         // quotas.cpp: /quotas
std::vector<Route> gc_routes();            // gc.cpp: /system/gc, its schedule, history and logs
std::vector<Route> immutability_routes();  // immutability.cpp: /projects/{p}/immutabletagrules
std::vector<Route> retention_routes();     // retentions.cpp: /retentions, executions, tasks, logs
std::vector<Route> replication_routes();   // replication.cpp: /registries, /replication/...
std::vector<Route> webhook_routes();       // webhooks.cpp: /projects/{p}/webhook/...
// Every table above, concatenated (routes.cpp): what the API serves and swagger.json documents.
std::vector<Route> all_routes();

// --- responses ------------------------------------------------------------------------
// `value` serialized, Content-Type application/json.
http::Response json_response(int status, const boost::json::value& value);
// Harbor's error body {"errors":[{"code":..., "message":...}]} with `status`; codes as
// Harbor spells them (BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT,
// PRECONDITION, TOO_MANY_REQUESTS, METHOD_NOT_ALLOWED; a 500 is UNKNOWN with a generic
// message, as Harbor never shows the detail of an internal error).
http::Response error_response(int status, std::string message);
http::Response error_response(const iam::Error& error);
// A storage failure: 500 with a generic message (the detail goes to the log only).
http::Response internal_error(std::string_view what, const base::Error& error);
// A service's error as Harbor answers it: invalid_argument, out_of_range and already_exists
// 400, conflict 409, not_found 404, anything else internal_error(what, error).
http::Response service_error(std::string_view what, const base::Error& error);
// An empty body with `status` (200, 201, 204 ...).
http::Response empty_response(int status);
// 201 with Location: /api/v2.0<path>.
http::Response created_response(std::string_view path);

// --- paging and queries ------------------------------------------------------------------
struct PageParams {
  std::size_t page = 1;
  std::size_t page_size = 10;  // at most 100, as Harbor
};
// Parses page and page_size. Errors: a 400 response.
base::Result<PageParams, http::Response> parse_page(const http::Request& request);
// Parses `q` (Harbor: "k=v,k2=~v,k3=[a~b],k4={a b}", values percent-decoded; "k=v" with
// a value in quotes is exact) and `sort` ("a,-b": the first is used), with the page as
// offset/limit. Errors: a 400 response.
base::Result<meta::ListQuery, http::Response> parse_list_query(const http::Request& request,
                                                               const PageParams& page);
// X-Total-Count and Link (rel="prev"/"next", with the request's other query parameters).
void set_paging_headers(http::Response& response, const http::Request& request, const PageParams& page,
                        std::int64_t total);

// --- bodies and values ------------------------------------------------------------------
// The value of cookie `name` in the request's Cookie header(s), if present.
std::optional<std::string> request_cookie(const http::Request& request, std::string_view name);
// Reads and parses a JSON request body (at most 1 MiB). Errors: a 400 (bad JSON) or 413
// response.
boost::asio::awaitable<base::Result<boost::json::value, http::Response>> read_json(Call& call);
// read_json, and the body must be a JSON object. Errors: as read_json, or a 400 response.
boost::asio::awaitable<base::Result<boost::json::object, http::Response>> read_json_object(Call& call);
// An optional member of a request object; absent and null are nullopt. Errors: a 400
// response naming the member when it has another type (or an integer out of range).
base::Result<std::optional<std::string>, http::Response> string_member(const boost::json::object& object,
                                                                       std::string_view name);
base::Result<std::optional<std::int64_t>, http::Response> int_member(const boost::json::object& object,
                                                                     std::string_view name);
base::Result<std::optional<bool>, http::Response> bool_member(const boost::json::object& object,
                                                              std::string_view name);
// Harbor's schedule request {"schedule": {"type": "Manual"|"None"|"Hourly"|"Daily"|"Weekly"|
// "Custom", "cron": "0 0 * * * *"}}: the type and the cron it stands for (Harbor's 6-field crons
// for Hourly, Daily and Weekly; "" for Manual and None). Errors: a 400 response.
struct ScheduleRequest {
  std::string type;
  std::string cron;
};
base::Result<ScheduleRequest, http::Response> parse_schedule(const boost::json::object& body);
// RFC 3339 UTC with milliseconds, as Harbor writes times ("2026-11-27T10:00:00.000Z").
std::string format_time(std::chrono::system_clock::time_point time);
// Parses a path parameter that must be a positive integer id. Errors: a 400 response.
base::Result<std::int64_t, http::Response> parse_id(const Call& call, std::string_view name);

// The {project_name_or_id} path parameter as iam::Service takes it: with the header
// "X-Is-Resource-Name: true" a numeric value is a name (Harbor's rule), so it is looked up
// and passed on as the project's id. Errors: a 404 response (no such name).
boost::asio::awaitable<base::Result<std::string, http::Response>> project_name_or_id(Call& call);

// --- shapes shared by several resources ---------------------------------------------------
// Harbor's Project JSON (project_id, name, owner_id, owner_name, creation_time, update_time,
// repo_count, chart_count, metadata, cve_allowlist, current_user_role_id(s)); `role` is the
// caller's own role in it. Defined in projects.cpp.
boost::json::object project_json(const meta::Project& project, std::optional<meta::Role> role);
// Harbor's Label JSON (id, name, description, color, scope, project_id, creation_time,
// update_time). Defined in labels.cpp.
boost::json::object label_json(const meta::Label& label);

// Runs `work` (which may block: database, argon2) on the blocking pool and returns its
// result.
template <class Work>
auto blocking(Call& call, Work work) -> boost::asio::awaitable<decltype(work())> {
  std::optional<decltype(work())> result;
  co_await call.exchange.run_blocking([&] { result.emplace(work()); });
  co_return std::move(*result);
}

}  // namespace berth::api::rest
