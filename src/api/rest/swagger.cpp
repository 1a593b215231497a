// GET /api/v2.0/swagger.json: the OpenAPI document of the management API, for anyone
// (as Harbor serves it), so that Harbor's client generators and tools can read it.
#include "api/rest/swagger.h"

#include <string>

#include "api/rest/rest.h"

namespace berth::api::rest {
namespace {

Awaitable get_document(Call&) {
  http::Response response;
  response.status = 200;
  response.headers.set("Content-Type", "application/json");
  response.body = std::string(swagger_document());
  co_return response;
}

}  // namespace

std::vector<Route> document_routes() {
  return {{http::Method::get, "/swagger.json", get_document, true}};
}

}  // namespace berth::api::rest
