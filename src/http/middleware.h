// Middleware: small wrappers around a Handler, each with one concern.
#pragma once

#include "http/exchange.h"

namespace berth::http {

// Gives every request an id (X-Request-Id from the client if sane, else a new one) and
// echoes it in the response.
Handler with_request_id(Handler next);

// Logs one line per request: method, path, status, bytes, duration, client address,
// request id. Query strings are logged without values of sensitive parameters.
Handler with_access_log(Handler next);

}  // namespace berth::http
