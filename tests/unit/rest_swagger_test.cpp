// The management API's OpenAPI document against its route tables: every route is
// documented and every documented operation is a route (with the same path parameters),
// so swagger.json stays true. (The integration test api_swagger_test checks that each
// documented operation answers on a running Berth.)
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <set>
#include <string>
#include <utility>

#include "api/rest/rest.h"
#include "api/rest/swagger.h"

namespace berth::api::rest {
namespace {

namespace json = boost::json;

using Operation = std::pair<std::string, std::string>;  // lower-case method, path

std::string lower_method(http::Method method) {
  std::string name(http::method_name(method));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

std::set<Operation> route_operations() {
  std::set<Operation> out;
  for (const auto& route : all_routes()) out.emplace(lower_method(route.method), route.pattern);
  return out;
}

json::value document() {
  boost::system::error_code ec;
  json::value value = json::parse(swagger_document(), ec);
  EXPECT_FALSE(ec) << "swagger.json is not JSON: " << ec.message();
  return value;
}

std::set<Operation> documented_operations(const json::value& doc) {
  std::set<Operation> out;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      if (method != "parameters") out.emplace(std::string(method), std::string(path));
    }
  }
  return out;
}

TEST(SwaggerDocument, IsOpenApi2ForHarborsBasePath) {
  json::value doc = document();
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc.at("swagger"), "2.0");
  EXPECT_EQ(doc.at("basePath"), "/api/v2.0");
  EXPECT_TRUE(doc.as_object().contains("definitions"));
}

TEST(SwaggerDocument, DocumentsExactlyTheRoutes) {
  json::value doc = document();
  ASSERT_TRUE(doc.is_object());
  const std::set<Operation> routes = route_operations();
  const std::set<Operation> documented = documented_operations(doc);
  for (const auto& [method, path] : routes) {
    EXPECT_TRUE(documented.contains({method, path})) << "route not documented: " << method << " " << path;
  }
  for (const auto& [method, path] : documented) {
    EXPECT_TRUE(routes.contains({method, path})) << "documented but not a route: " << method << " " << path;
  }
}

// Every {parameter} of a documented path is declared as an "in: path" parameter of the
// operation (directly or through a $ref into #/parameters).
TEST(SwaggerDocument, DeclaresEveryPathParameter) {
  json::value doc = document();
  ASSERT_TRUE(doc.is_object());
  const json::object& shared = doc.at("parameters").as_object();
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    std::set<std::string> in_path;
    std::string_view rest = path;
    while (true) {
      const auto open = rest.find('{');
      if (open == std::string_view::npos) break;
      const auto close = rest.find('}', open);
      in_path.emplace(rest.substr(open + 1, close - open - 1));
      rest = rest.substr(close + 1);
    }
    for (const auto& [method, operation] : item.as_object()) {
      std::set<std::string> declared;
      const json::value* parameters = operation.as_object().if_contains("parameters");
      for (const json::value& parameter : parameters ? parameters->as_array() : json::array{}) {
        const json::object* p = &parameter.as_object();
        if (const json::value* ref = p->if_contains("$ref")) {
          const std::string target(ref->as_string());
          const std::string prefix = "#/parameters/";
          ASSERT_TRUE(target.starts_with(prefix)) << target;
          ASSERT_TRUE(shared.contains(target.substr(prefix.size()))) << "dangling " << target;
          p = &shared.at(target.substr(prefix.size())).as_object();
        }
        if (p->at("in") == "path") declared.emplace(p->at("name").as_string());
      }
      EXPECT_EQ(declared, in_path) << method << " " << path;
    }
  }
}

}  // namespace
}  // namespace berth::api::rest
