// The error codes of the OCI distribution spec, declared once, with the HTTP status each
// one answers with and the JSON error body of the spec.
#pragma once

#include <string>
#include <string_view>

namespace berth::oci {

enum class ErrorCode {
  blob_unknown,           // 404
  blob_upload_invalid,    // 400
  blob_upload_unknown,    // 404
  digest_invalid,         // 400
  manifest_blob_unknown,  // 400 (refused manifest push)
  manifest_invalid,       // 400
  manifest_unknown,       // 404
  name_invalid,           // 400
  name_unknown,           // 404
  size_invalid,           // 400
  unauthorized,           // 401
  denied,                 // 403
  unsupported,            // 400 (405 where it means a method is not allowed)
  too_many_requests,      // 429
  range_invalid,          // 416 (Berth's name for an out-of-order chunk or a bad Range)
  tag_invalid,            // 400 (Docker's TAG_INVALID)
  precondition,           // 412 (Harbor's PRECONDITION: an immutable tag)
  unavailable,            // 503
  internal,               // 500
};

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  std::string detail;  // optional; put verbatim into "detail" as a JSON string when not empty
};

inline Error make_error(ErrorCode code, std::string message, std::string detail = {}) {
  return Error{code, std::move(message), std::move(detail)};
}

// The spec's code string, e.g. "BLOB_UNKNOWN".
std::string_view code_name(ErrorCode code);
// The HTTP status the code is answered with.
int http_status(ErrorCode code);
// {"errors":[{"code":"...","message":"...","detail":...}]}
std::string error_body(const Error& error);
// The same for a code outside the spec's list (Harbor's PROJECTPOLICYVIOLATION, ...).
std::string error_body(std::string_view code, std::string_view message, std::string_view detail = {});

}  // namespace berth::oci
