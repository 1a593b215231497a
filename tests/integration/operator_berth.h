// A spawned Berth with its operator API on a free port of its own, for the tests of what the
// provider asks of it (/operator/v1). The bearer token lives in the instance's scratch directory.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "http_client.h"
#include "registry_fixture.h"

namespace berth::integration {

inline constexpr const char* kOperatorToken = "operator-token-0123456789";

class OperatorBerth {
 public:
  // Starts a Berth with these BERTH_* settings and the operator API. On failure returns nullptr
  // and says why in *error.
  static std::unique_ptr<OperatorBerth> spawn(std::map<std::string, std::string> settings,
                                              std::string* error);

  RegistryInstance& registry() { return *registry_; }
  // The registry's API as the admin (basic auth).
  HttpClient& client() { return *client_; }
  int operator_port() const { return operator_port_; }
  std::string operator_url() const { return "http://127.0.0.1:" + std::to_string(operator_port_); }
  // A request to the operator API with the token (`body` as JSON for PUT and POST).
  Response call(const std::string& method, const std::string& path, std::string body = {});

 private:
  OperatorBerth() = default;
  std::unique_ptr<RegistryInstance> registry_;
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<HttpClient> operator_;
  int operator_port_ = 0;
};

}  // namespace berth::integration
