// Internal to api/oci: building responses the way the distribution spec shapes them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/body.h"
#include "http/exchange.h"
#include "http/message.h"
#include "oci/errors.h"

namespace berth::api::oci {

// The spec's JSON error body with the status of the code.
http::Response error_response(const berth::oci::Error& error);
http::Response error_response(berth::oci::ErrorCode code, std::string message, std::string detail = {});

// 405 with the spec's UNSUPPORTED code, as distribution answers a method a route lacks.
http::Response method_not_allowed(std::string message);

// A response with no body and the given status.
http::Response empty_response(int status);

// A JSON body with Content-Type application/json (or `content_type`).
http::Response json_response(int status, std::string body,
                             std::string_view content_type = "application/json");

// Parses the `n` query parameter: nullopt if absent; an error response if malformed.
struct PageSize {
  std::optional<std::size_t> n;
  std::optional<http::Response> error;
};
PageSize parse_page_size(const http::Request& request);

}  // namespace berth::api::oci
