// The web portal over HTTP: GET and HEAD of the embedded assets (portal/assets.h). Hashed files
// under /assets/ are cached for a year; any other path that is not an asset gets index.html,
// never cached, so that the portal's own routes (/projects, ...) load the application; paths
// in the APIs' namespaces (/api/, /c/, /service/, /v2/, /operator/) that reach it get 404.
#pragma once

#include "http/exchange.h"

namespace berth::api::portal {

http::Handler make_handler();

}  // namespace berth::api::portal
