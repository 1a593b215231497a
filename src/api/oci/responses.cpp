#include "api/oci/responses.h"

#include <charconv>

namespace berth::api::oci {

http::Response error_response(const berth::oci::Error& error) {
  return json_response(berth::oci::http_status(error.code), berth::oci::error_body(error));
}

http::Response error_response(berth::oci::ErrorCode code, std::string message, std::string detail) {
  return error_response(berth::oci::make_error(code, std::move(message), std::move(detail)));
}

http::Response method_not_allowed(std::string message) {
  http::Response response = error_response(berth::oci::ErrorCode::unsupported, std::move(message));
  response.status = 405;
  return response;
}

http::Response empty_response(int status) {
  http::Response response;
  response.status = status;
  return response;
}

http::Response json_response(int status, std::string body, std::string_view content_type) {
  http::Response response;
  response.status = status;
  response.headers.set("Content-Type", std::string(content_type));
  response.body = std::move(body);
  return response;
}

PageSize parse_page_size(const http::Request& request) {
  PageSize result;
  auto text = request.query_param("n");
  if (!text) return result;
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) {
    result.error = error_response(berth::oci::ErrorCode::size_invalid, "invalid page size n", *text);
    return result;
  }
  result.n = value;
  return result;
}

}  // namespace berth::api::oci
