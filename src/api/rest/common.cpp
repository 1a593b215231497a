// The helpers every management-API handler uses: Harbor's error body, paging (page,
// page_size, X-Total-Count, Link), Harbor's `q` query syntax, JSON bodies and times.
#include <time.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <limits>

#include "api/rest/query_syntax.h"
#include "api/rest/rest.h"
#include "base/log.h"
#include "base/time.h"
#include "http/body.h"

namespace berth::api::rest {
namespace {

constexpr std::size_t kMaxJsonBody = 1024 * 1024;
constexpr std::size_t kMaxPageSize = 100;

std::string_view error_code(int status) {
  switch (status) {
    case 400:
      return "BAD_REQUEST";
    case 401:
      return "UNAUTHORIZED";
    case 403:
      return "FORBIDDEN";
    case 404:
      return "NOT_FOUND";
    case 405:
      return "METHOD_NOT_ALLOWED";
    case 409:
      return "CONFLICT";
    case 412:
      return "PRECONDITION";
    case 413:
      return "REQUEST_ENTITY_TOO_LARGE";
    case 415:
      return "UNSUPPORTED_MEDIA_TYPE";
    case 429:
      return "TOO_MANY_REQUESTS";
    case 503:
      return "SERVICE_UNAVAILABLE";
    default:
      return status >= 500 ? "UNKNOWN" : "BAD_REQUEST";
  }
}

int status_of(iam::Error::Code code) {
  switch (code) {
    case iam::Error::Code::bad_request:
      return 400;
    case iam::Error::Code::unauthorized:
      return 401;
    case iam::Error::Code::forbidden:
      return 403;
    case iam::Error::Code::not_found:
      return 404;
    case iam::Error::Code::conflict:
      return 409;
    case iam::Error::Code::precondition:
      return 412;
    case iam::Error::Code::too_many_requests:
      return 429;
    case iam::Error::Code::internal:
      break;
  }
  return 500;
}

http::Response bad_request(std::string message) {
  return error_response(400, std::move(message));
}

// A decimal number without sign or spaces; nullopt otherwise (also on overflow).
template <class Integer>
std::optional<Integer> parse_number(std::string_view text) {
  Integer value{};
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// True if the raw query string has a parameter named `name` (in any encoding state).
bool has_raw_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.substr(0, pair.find('=')) == name) return true;
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return false;
}

// The request's query string without `page` and `page_size`, as received (still encoded).
std::string query_without_paging(std::string_view query) {
  std::string out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::string_view name = pair.substr(0, pair.find('='));
    if (pair.empty() || name == "page" || name == "page_size") continue;
    if (!out.empty()) out.push_back('&');
    out.append(pair);
  }
  return out;
}

std::string page_link(const http::Request& request, const std::string& other_params, std::size_t page,
                      std::size_t page_size, std::string_view rel) {
  std::string url = "<" + request.path + "?";
  if (!other_params.empty()) url += other_params + "&";
  url += "page=" + std::to_string(page) + "&page_size=" + std::to_string(page_size) + ">; rel=\"";
  url.append(rel);
  url += "\"";
  return url;
}

}  // namespace

const std::string& Call::param(std::string_view name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

std::optional<std::string> request_cookie(const http::Request& request, std::string_view name) {
  for (const auto& [field, value] : request.headers.fields()) {
    if (field.size() != 6 ||
        !std::equal(field.begin(), field.end(), std::string_view("cookie").begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
      continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto semicolon = rest.find(';');
      std::string_view pair = rest.substr(0, semicolon);
      rest = semicolon == std::string_view::npos ? std::string_view() : rest.substr(semicolon + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

http::Response json_response(int status, const boost::json::value& value) {
  http::Response response;
  response.status = status;
  response.headers.set("Content-Type", "application/json");
  response.body = boost::json::serialize(value);
  return response;
}

http::Response error_response(int status, std::string message) {
  boost::json::object error;
  error["code"] = error_code(status);
  error["message"] = std::move(message);
  boost::json::array errors;
  errors.push_back(std::move(error));
  http::Response response = json_response(status, boost::json::object{{"errors", std::move(errors)}});
  response.headers.set("Content-Type", "application/json; charset=utf-8");
  return response;
}

http::Response error_response(const iam::Error& error) {
  const int status = status_of(error.code);
  if (status >= 500) {
    BERTH_LOG_ERROR("management API: {}", error.message);
    return error_response(500, "internal server error");
  }
  return error_response(status, error.message);
}

http::Response service_error(std::string_view what, const base::Error& error) {
  switch (error.code) {
    case base::Errc::invalid_argument:
    case base::Errc::out_of_range:
    case base::Errc::already_exists:
      return error_response(400, error.message);
    case base::Errc::conflict:
      return error_response(409, error.message);
    case base::Errc::not_found:
      return error_response(404, error.message);
    default:
      return internal_error(what, error);
  }
}

http::Response internal_error(std::string_view what, const base::Error& error) {
  BERTH_LOG_ERROR("management API: {}: {} ({})", what, error.message, base::errc_name(error.code));
  return error_response(500, "internal server error");
}

http::Response empty_response(int status) {
  http::Response response;
  response.status = status;
  return response;
}

http::Response created_response(std::string_view path) {
  http::Response response = empty_response(201);
  response.headers.set("Location", "/api/v2.0" + std::string(path));
  return response;
}

base::Result<PageParams, http::Response> parse_page(const http::Request& request) {
  PageParams page;
  if (auto text = request.query_param("page"); text && !text->empty()) {
    auto value = parse_number<std::size_t>(*text);
    // The offset (page - 1) * page_size must stay representable.
    if (!value || *value < 1 || *value > std::numeric_limits<std::size_t>::max() / kMaxPageSize / 2)
      return bad_request("page must be a positive integer");
    page.page = *value;
  }
  if (auto text = request.query_param("page_size"); text && !text->empty()) {
    auto value = parse_number<std::size_t>(*text);
    if (!value || *value < 1 || *value > kMaxPageSize)
      return bad_request("page_size must be between 1 and 100");
    page.page_size = *value;
  }
  return page;
}

base::Result<meta::ListQuery, http::Response> parse_list_query(const http::Request& request,
                                                               const PageParams& page) {
  meta::ListQuery query;
  query.offset = (page.page - 1) * page.page_size;
  query.limit = page.page_size;
  std::optional<std::string> q = request.query_param("q");
  // query_param answers nullopt for a malformed escape as well as for absence.
  if (!q && has_raw_param(request.query, "q"))
    return bad_request("invalid query string: bad percent-encoding");
  if (q) {
    auto filters = parse_q(*q);
    if (!filters) return bad_request(filters.error());
    query.filters = std::move(*filters);
  }
  if (auto sort = request.query_param("sort"); sort && !sort->empty()) {
    auto key = parse_sort(*sort);
    if (!key) return bad_request("invalid sort: " + *sort);
    query.sort = std::move(*key);
  }
  return query;
}

void set_paging_headers(http::Response& response, const http::Request& request, const PageParams& page,
                        std::int64_t total) {
  response.headers.set("X-Total-Count", std::to_string(total));
  const auto count = static_cast<std::size_t>(std::max<std::int64_t>(total, 0));
  const std::string others = query_without_paging(request.query);
  std::string links;
  if (page.page > 1 && (page.page - 1) * page.page_size < count)
    links = page_link(request, others, page.page - 1, page.page_size, "prev");
  if (page.page * page.page_size < count) {
    if (!links.empty()) links += " , ";
    links += page_link(request, others, page.page + 1, page.page_size, "next");
  }
  if (!links.empty()) response.headers.set("Link", std::move(links));
}

boost::asio::awaitable<base::Result<boost::json::value, http::Response>> read_json(Call& call) {
  http::BodyText body = co_await http::read_small_body(call.exchange, kMaxJsonBody);
  if (body.too_large) co_return error_response(413, "the request body is larger than 1 MiB");
  if (!body.text) co_return bad_request("failed to read the request body");
  if (body.text->empty()) co_return bad_request("a JSON request body is required");
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(*body.text, ec);
  if (ec) co_return bad_request("invalid JSON in the request body: " + ec.message());
  co_return value;
}

boost::asio::awaitable<base::Result<boost::json::object, http::Response>> read_json_object(Call& call) {
  auto value = co_await read_json(call);
  if (!value) co_return std::move(value).error();
  if (!value->is_object()) co_return bad_request("the request body must be a JSON object");
  co_return std::move(value->get_object());
}

base::Result<std::optional<std::string>, http::Response> string_member(const boost::json::object& object,
                                                                       std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<std::string>();
  if (!value->is_string()) return bad_request(std::string(name) + " must be a string");
  return std::optional<std::string>(std::string(value->get_string()));
}

base::Result<std::optional<std::int64_t>, http::Response> int_member(const boost::json::object& object,
                                                                     std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<std::int64_t>();
  if (value->is_int64()) return std::optional<std::int64_t>(value->get_int64());
  if (value->is_uint64() &&
      value->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return std::optional<std::int64_t>(static_cast<std::int64_t>(value->get_uint64()));
  return bad_request(std::string(name) + " must be an integer");
}

base::Result<std::optional<bool>, http::Response> bool_member(const boost::json::object& object,
                                                              std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<bool>();
  if (!value->is_bool()) return bad_request(std::string(name) + " must be a boolean");
  return std::optional<bool>(value->get_bool());
}

std::string format_time(std::chrono::system_clock::time_point time) {
  return base::format_rfc3339_millis(time);
}

base::Result<std::int64_t, http::Response> parse_id(const Call& call, std::string_view name) {
  auto value = parse_number<std::int64_t>(call.param(name));
  if (!value || *value <= 0)
    return bad_request("invalid " + std::string(name) + ": must be a positive integer");
  return *value;
}

boost::asio::awaitable<base::Result<std::string, http::Response>> project_name_or_id(Call& call) {
  const std::string& value = call.param("project_name_or_id");
  const auto header = call.request().headers.get("X-Is-Resource-Name");
  const bool force_name = header && (*header == "true" || *header == "True" || *header == "TRUE" ||
                                     *header == "t" || *header == "T" || *header == "1");
  if (!force_name || !parse_number<std::int64_t>(value)) co_return value;
  auto project = co_await blocking(call, [&] { return call.context.iam.project(value); });
  if (!project) co_return error_response(404, "project " + value + " not found");
  co_return std::to_string(project->id);
}

base::Result<ScheduleRequest, http::Response> parse_schedule(const boost::json::object& body) {
  const auto* schedule = body.if_contains("schedule");
  if (schedule == nullptr || !schedule->is_object()) return error_response(400, "schedule is required");
  auto type = string_member(schedule->get_object(), "type");
  if (!type) return std::move(type).error();
  auto cron = string_member(schedule->get_object(), "cron");
  if (!cron) return std::move(cron).error();
  ScheduleRequest out{type->value_or(""), ""};
  if (out.type == "Hourly") out.cron = "0 0 * * * *";
  if (out.type == "Daily") out.cron = "0 0 0 * * *";
  if (out.type == "Weekly") out.cron = "0 0 0 * * 0";
  if (out.type == "Custom" || out.type == "Schedule") out.cron = cron->value_or("");
  if (out.type != "Manual" && out.type != "None" && out.cron.empty())
    return error_response(400,
                          "schedule type must be Manual, None, Hourly, Daily, Weekly or Custom (with cron)");
  return out;
}

}  // namespace berth::api::rest
