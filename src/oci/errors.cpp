#include "oci/errors.h"

#include <boost/json.hpp>

namespace berth::oci {
namespace {

// The spec's own wording, used when a caller gives no message of its own.
std::string_view default_message(ErrorCode code) {
  switch (code) {
    case ErrorCode::blob_unknown:
      return "blob unknown to registry";
    case ErrorCode::blob_upload_invalid:
      return "blob upload invalid";
    case ErrorCode::blob_upload_unknown:
      return "blob upload unknown to registry";
    case ErrorCode::digest_invalid:
      return "provided digest did not match uploaded content";
    case ErrorCode::manifest_blob_unknown:
      return "manifest references a manifest or blob unknown to registry";
    case ErrorCode::manifest_invalid:
      return "manifest invalid";
    case ErrorCode::manifest_unknown:
      return "manifest unknown to registry";
    case ErrorCode::name_invalid:
      return "invalid repository name";
    case ErrorCode::name_unknown:
      return "repository name not known to registry";
    case ErrorCode::size_invalid:
      return "provided length did not match content length";
    case ErrorCode::unauthorized:
      return "authentication required";
    case ErrorCode::denied:
      return "requested access to the resource is denied";
    case ErrorCode::unsupported:
      return "the operation is unsupported";
    case ErrorCode::too_many_requests:
      return "too many requests";
    case ErrorCode::range_invalid:
      return "invalid content range";
    case ErrorCode::tag_invalid:
      return "invalid tag";
    case ErrorCode::precondition:
      return "precondition failed";
    case ErrorCode::unavailable:
      return "service unavailable";
    case ErrorCode::internal:
      return "unknown error";
  }
  return "unknown error";
}

}  // namespace

std::string_view code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::blob_unknown:
      return "BLOB_UNKNOWN";
    case ErrorCode::blob_upload_invalid:
      return "BLOB_UPLOAD_INVALID";
    case ErrorCode::blob_upload_unknown:
      return "BLOB_UPLOAD_UNKNOWN";
    case ErrorCode::digest_invalid:
      return "DIGEST_INVALID";
    case ErrorCode::manifest_blob_unknown:
      return "MANIFEST_BLOB_UNKNOWN";
    case ErrorCode::manifest_invalid:
      return "MANIFEST_INVALID";
    case ErrorCode::manifest_unknown:
      return "MANIFEST_UNKNOWN";
    case ErrorCode::name_invalid:
      return "NAME_INVALID";
    case ErrorCode::name_unknown:
      return "NAME_UNKNOWN";
    case ErrorCode::size_invalid:
      return "SIZE_INVALID";
    case ErrorCode::unauthorized:
      return "UNAUTHORIZED";
    case ErrorCode::denied:
      return "DENIED";
    case ErrorCode::unsupported:
      return "UNSUPPORTED";
    case ErrorCode::too_many_requests:
      return "TOOMANYREQUESTS";
    case ErrorCode::range_invalid:
      return "RANGE_INVALID";
    case ErrorCode::tag_invalid:
      return "TAG_INVALID";
    case ErrorCode::precondition:
      return "PRECONDITION";
    case ErrorCode::unavailable:
      return "UNAVAILABLE";
    // CNCF distribution answers unexpected failures with UNKNOWN; clients know that code.
    case ErrorCode::internal:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::blob_unknown:
      return 404;
    case ErrorCode::blob_upload_invalid:
      return 400;
    case ErrorCode::blob_upload_unknown:
      return 404;
    case ErrorCode::digest_invalid:
      return 400;
    case ErrorCode::manifest_blob_unknown:
      return 400;  // only reported when a pushed manifest is refused
    case ErrorCode::manifest_invalid:
      return 400;
    case ErrorCode::manifest_unknown:
      return 404;
    case ErrorCode::name_invalid:
      return 400;
    case ErrorCode::name_unknown:
      return 404;
    case ErrorCode::size_invalid:
      return 400;
    case ErrorCode::unauthorized:
      return 401;
    case ErrorCode::denied:
      return 403;
    case ErrorCode::unsupported:
      return 400;  // e.g. a digest algorithm Berth does not implement
    case ErrorCode::too_many_requests:
      return 429;
    case ErrorCode::range_invalid:
      return 416;
    case ErrorCode::tag_invalid:
      return 400;
    case ErrorCode::precondition:
      return 412;
    case ErrorCode::unavailable:
      return 503;
    case ErrorCode::internal:
      return 500;
  }
  return 500;
}

std::string error_body(const Error& error) {
  return error_body(code_name(error.code),
                    error.message.empty() ? default_message(error.code) : std::string_view(error.message),
                    error.detail);
}

std::string error_body(std::string_view code, std::string_view message, std::string_view detail) {
  boost::json::object entry;
  entry["code"] = code;
  entry["message"] = message;
  if (!detail.empty()) entry["detail"] = detail;
  boost::json::array errors;
  errors.emplace_back(std::move(entry));
  boost::json::object body;
  body["errors"] = std::move(errors);
  return boost::json::serialize(body);
}

}  // namespace berth::oci
