// Reading a request head the way the server does: Beast's HTTP/1.1 parser under the server's
// header limit, then the Request handlers see (method, target split into path and query,
// fields in arrival order, Content-Length). The server reads heads from its sockets through
// the same code (http/beast_head.h); parse_request_head() takes bytes, for tests and fuzzing.
#pragma once

#include <cstddef>
#include <string_view>

#include "base/result.h"
#include "http/message.h"

namespace berth::http {

// Parses the one request head that `bytes` must hold whole (request line, fields, blank
// line; any body bytes after it are left unread). Errors: too_large past `max_header_bytes`
// (the server answers 431), invalid_argument for a malformed head (400), io_error when the
// bytes end before the head does.
base::Result<Request> parse_request_head(std::string_view bytes, std::size_t max_header_bytes);

}  // namespace berth::http
