// The management API's OpenAPI 2.0 document (src/api/rest/swagger.json), compiled into
// the binary. It documents exactly the routes of the route tables, with Harbor's paths,
// parameters and model names.
#pragma once

#include <string_view>

namespace berth::api::rest {

// The document's JSON text, as written in swagger.json. Valid for the program's lifetime.
std::string_view swagger_document();

}  // namespace berth::api::rest
