// The request head as the server reads it (http/request_head.h: Beast's parser under the
// server's 16 KiB limit, then the Request handlers see), and what handlers read from it first:
// query parameters, percent-decoded paths, the Authorization and range headers, /v2 paths.
// Input: the bytes a client sends.
// Checks: path and query are the target split at its first '?'; a refusal is one of the three
// kinds the server answers (431, 400, or waiting for more).
#include "api/oci/paths.h"
#include "api/rest/query_syntax.h"
#include "fuzz_support.h"
#include "http/authorization.h"
#include "http/ranges.h"
#include "http/request_head.h"

namespace {

using namespace berth;

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;  // http::ServerOptions' default

constexpr std::string_view kQueryNames[] = {"n",    "last",      "digest", "mount", "from",   "q",
                                            "sort", "page_size", "page",   "scope", "service"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto request = http::parse_request_head(fuzz::as_text(data, size), kMaxHeaderBytes);
  if (!request) {
    const auto code = request.error().code;
    FUZZ_CHECK(code == base::Errc::too_large || code == base::Errc::invalid_argument ||
               code == base::Errc::io_error);
    return 0;
  }
  const std::string& target = request->target;
  const auto question = target.find('?');
  FUZZ_CHECK(request->path == target.substr(0, question));
  FUZZ_CHECK(request->query == (question == std::string::npos ? "" : target.substr(question + 1)));

  for (std::string_view name : kQueryNames) (void)request->query_param(name);
  if (auto q = request->query_param("q")) (void)api::rest::parse_q(*q);
  if (auto sort = request->query_param("sort")) (void)api::rest::parse_sort(*sort);
  if (auto decoded = http::percent_decode(request->path)) FUZZ_CHECK(decoded->size() <= request->path.size());
  (void)api::oci::parse_path(request->path);

  if (auto value = request->headers.get("Authorization")) {
    const auto authorization = http::split_authorization(*value);
    if (http::has_scheme(authorization, "Basic"))
      (void)http::decode_basic_credentials(authorization.credentials);
  }
  if (auto value = request->headers.get("Range")) {
    if (auto range = http::parse_range(*value, request->content_length.value_or(1 << 20))) {
      FUZZ_CHECK(range->first <= range->last);
    }
  }
  if (auto value = request->headers.get("Content-Range")) {
    if (auto range = http::parse_content_range(*value)) FUZZ_CHECK(range->first <= range->last);
  }
  return 0;
}
