#include "app/identity.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/log.h"

namespace berth::app {

iam::Options iam_options(const Config& config) {
  iam::Options options;
  options.max_failed_logins = static_cast<int>(config.max_failed_logins);
  options.lockout = config.login_lockout;
  options.only_admins_create_projects = config.project_creation == "adminonly";
  return options;
}

bool bootstrap_identity(iam::Service& iam, const Config& config) {
  std::optional<std::string> password;
  if (!config.admin_password_file.empty()) {
    std::ifstream file(config.admin_password_file);
    if (!file) {
      BERTH_LOG_ERROR("cannot read auth.admin_password_file {}", config.admin_password_file);
      return false;
    }
    std::string text;
    std::getline(file, text);
    while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
    password = std::move(text);
  } else if (const char* env = std::getenv("BERTH_ADMIN_PASSWORD"); env != nullptr && *env != '\0') {
    password = std::string(env);
  }
  auto result = iam.bootstrap(password);
  if (!result) {
    BERTH_LOG_ERROR("cannot create the first admin: {}", result.error().message);
    return false;
  }
  if (result->created_admin) {
    if (!result->generated_password.empty()) {
      // Printed once, at the first start, because nobody else knows it; it is never
      // logged again. Change it after the first login.
      BERTH_LOG_WARN("created user 'admin' with the generated password: {}", result->generated_password);
    } else {
      BERTH_LOG_INFO("created user 'admin' with the configured password");
    }
  }
  if (result->created_library) BERTH_LOG_INFO("created the public project 'library'");
  return true;
}

}  // namespace berth::app
