// The portal's session endpoints: POST /c/login (form fields principal and password; a
// user only, never a robot) sets the "sid" cookie; POST /c/logout ends the session and
// clears it.
#include <algorithm>
#include <cctype>
#include <map>

#include "api/rest/rest.h"
#include "http/body.h"

namespace berth::api::rest {
namespace {

constexpr std::size_t kMaxFormBody = 64 * 1024;
constexpr std::string_view kBadCredentials = "invalid user name or password";

std::optional<std::string> decode_form_component(std::string_view text) {
  std::string spaced(text);
  std::replace(spaced.begin(), spaced.end(), '+', ' ');
  return http::percent_decode(spaced);
}

// application/x-www-form-urlencoded fields (the first value of each name). nullopt on a
// malformed escape.
std::optional<std::map<std::string, std::string>> parse_form(std::string_view body) {
  std::map<std::string, std::string> fields;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = decode_form_component(pair.substr(0, eq));
    auto value =
        decode_form_component(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    fields.emplace(std::move(*name), std::move(*value));
  }
  return fields;
}

bool is_form(const http::Request& request) {
  auto type = request.headers.get("Content-Type");
  if (!type) return false;
  std::string lower(type->substr(0, type->find(';')));
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!lower.empty() && lower.back() == ' ') lower.pop_back();
  return lower == "application/x-www-form-urlencoded";
}

std::string cookie_attributes(const Context& context) {
  return context.tls ? "; Path=/; HttpOnly; SameSite=Lax; Secure" : "; Path=/; HttpOnly; SameSite=Lax";
}

boost::asio::awaitable<http::Response> login(Context& context, http::Exchange& exchange) {
  const http::Request& request = exchange.request();
  if (!is_form(request))
    co_return error_response(415, "login expects an application/x-www-form-urlencoded body");
  http::BodyText body = co_await http::read_small_body(exchange, kMaxFormBody);
  if (body.too_large) co_return error_response(413, "the login form is too large");
  if (!body.text) co_return error_response(400, "failed to read the login form");
  auto form = parse_form(*body.text);
  if (!form) co_return error_response(400, "malformed login form");
  const std::string& name = (*form)["principal"];
  const std::string& password = (*form)["password"];
  if (name.empty() || password.empty()) co_return error_response(400, "principal and password are required");
  // Robot accounts sign in to the registry and the API with their secret, never to the
  // portal.
  if (name.starts_with(context.iam.options().robot_prefix))
    co_return error_response(401, std::string(kBadCredentials));

  std::optional<iam::Result<iam::PortalSession>> session;
  co_await exchange.run_blocking([&] {
    auto principal = context.iam.authenticate(name, password, request.remote_address);
    if (!principal) {
      session.emplace(std::move(principal).error());
    } else if (principal->kind != iam::Principal::Kind::user) {
      session.emplace(iam::Error{iam::Error::Code::unauthorized, std::string(kBadCredentials)});
    } else {
      session.emplace(context.iam.create_session(*principal, context.session_lifetime));
    }
  });
  if (!*session) co_return error_response(session->error());
  http::Response response = empty_response(200);
  response.headers.set("Set-Cookie", "sid=" + (*session)->cookie + cookie_attributes(context));
  response.headers.set("X-Harbor-CSRF-Token", (*session)->csrf_token);
  response.headers.set("Cache-Control", "no-store");
  co_return response;
}

boost::asio::awaitable<http::Response> logout(Context& context, http::Exchange& exchange) {
  const http::Request& request = exchange.request();
  std::optional<iam::Status> ended;
  if (auto cookie = request_cookie(request, "sid"); cookie && !cookie->empty()) {
    co_await exchange.run_blocking([&] {
      auto session = context.iam.session_principal(*cookie);
      ended.emplace(context.iam.end_session(*cookie));
      if (session && *ended) {
        context.iam.audit(iam::Caller{session->principal, request.remote_address}, "logout", "user",
                          session->principal.name, "", true);
      }
    });
  }
  if (ended && !*ended) co_return error_response(ended->error());
  http::Response response = empty_response(200);
  response.headers.set("Set-Cookie", "sid=" + cookie_attributes(context) + "; Max-Age=0");
  response.headers.set("Cache-Control", "no-store");
  co_return response;
}

boost::asio::awaitable<http::Response> handle(Context& context, http::Exchange& exchange) {
  const http::Request& request = exchange.request();
  const bool is_login = request.path == "/c/login";
  if (!is_login && request.path != "/c/logout")
    co_return error_response(404, "no such endpoint: " + request.path);
  if (request.method != http::Method::post) {
    http::Response response = error_response(405, "method not allowed");
    response.headers.set("Allow", "POST");
    co_return response;
  }
  if (is_login) co_return co_await login(context, exchange);
  co_return co_await logout(context, exchange);
}

}  // namespace

http::Handler make_session_handler(Context& context) {
  return [&context](http::Exchange& exchange) { return handle(context, exchange); };
}

}  // namespace berth::api::rest
