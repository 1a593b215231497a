#include "operator_berth.h"

#include <fstream>

namespace berth::integration {

std::unique_ptr<OperatorBerth> OperatorBerth::spawn(std::map<std::string, std::string> settings,
                                                    std::string* error) {
  std::unique_ptr<OperatorBerth> berth(new OperatorBerth());
  berth->registry_ = RegistryInstance::prepare_berth(error);
  if (!berth->registry_) return nullptr;
  berth->operator_port_ = free_port();
  const auto token_file = berth->registry_->scratch_dir() / "operator-token";
  std::ofstream(token_file) << kOperatorToken << "\n";
  settings.emplace("BERTH_OPERATOR_LISTEN", "127.0.0.1:" + std::to_string(berth->operator_port_));
  settings.emplace("BERTH_OPERATOR_TOKEN_FILE", token_file.string());
  for (auto& [name, value] : settings) berth->registry_->options().environment[name] = value;
  if (auto started = berth->registry_->start(); !started) {
    *error = started.message();
    return nullptr;
  }
  berth->client_ = std::make_unique<HttpClient>(berth->registry_->url());
  berth->client_->set_basic_auth("admin", kAdminPassword);
  berth->operator_ = std::make_unique<HttpClient>(berth->operator_url());
  return berth;
}

Response OperatorBerth::call(const std::string& method, const std::string& path, std::string body) {
  HeaderList headers{{"Authorization", std::string("Bearer ") + kOperatorToken}};
  if (method == "PUT" || method == "POST") headers.push_back({"Content-Type", "application/json"});
  if (method == "PUT") return operator_->put(path, std::move(body), headers);
  if (method == "POST") return operator_->post(path, std::move(body), headers);
  return operator_->get(path, headers);
}

}  // namespace berth::integration
