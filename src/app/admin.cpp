// `berth admin`: user, password, project and key recovery with the server stopped. The
// data directory's lock keeps it from running beside a server.
#include <filesystem>
#include <iostream>
#include <string>

#include "app/commands.h"
#include "app/identity.h"
#include "app/storage.h"
#include "events/activity.h"
#include "iam/password.h"
#include "iam/service.h"
#include "iam/token.h"

namespace berth::app {
namespace {

// The password from stdin (first line) or a generated one, which is then printed.
std::string obtain_password(const AdminRequest& request, bool& generated) {
  generated = !request.password_stdin;
  if (generated) return iam::generate_secret(20);
  std::string line;
  std::getline(std::cin, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

}  // namespace

int admin(const Config& config, const AdminRequest& request) {
  auto storage = open_storage(config.data_dir);
  if (!storage) {
    std::cerr << "admin: " << storage.error().message << "\n";
    return 2;
  }
  if (request.action == AdminRequest::Action::rotate_token_key) {
    auto keys = iam::KeyRing::open(std::filesystem::path(config.data_dir) / "keys");
    if (!keys) {
      std::cerr << "admin: " << keys.error().message << "\n";
      return 2;
    }
    auto kid = (*keys)->rotate();
    if (!kid) {
      std::cerr << "admin: " << kid.error().message << "\n";
      return 2;
    }
    std::cout << "new token signing key " << *kid
              << " (tokens signed by the previous key stay valid until they expire)\n";
    return 0;
  }

  events::Activity activity(*storage->iam, *storage->metadata);
  iam::Service iam(*storage->iam, *storage->metadata, activity, iam_options(config));
  if (!bootstrap_identity(iam, config)) return 2;
  bool generated = false;
  switch (request.action) {
    case AdminRequest::Action::reset_password: {
      std::string password = obtain_password(request, generated);
      if (auto reset = iam.reset_password_offline(request.username, password); !reset) {
        std::cerr << "admin: " << reset.error().message << "\n";
        return 1;
      }
      std::cout << "password of " << request.username << " changed";
      if (generated) std::cout << "; the new password: " << password;
      std::cout << "\n";
      return 0;
    }
    case AdminRequest::Action::create_user: {
      iam::NewUser user;
      user.username = request.username;
      user.email = request.email;
      user.sysadmin = request.sysadmin;
      user.password = obtain_password(request, generated);
      auto created = iam.create_user_offline(user);
      if (!created) {
        std::cerr << "admin: " << created.error().message << "\n";
        return 1;
      }
      std::cout << "user " << created->username << " created (id " << created->id << ")";
      if (generated) std::cout << " with the password: " << user.password;
      std::cout << "\n";
      return 0;
    }
    case AdminRequest::Action::create_project: {
      iam::NewProject project;
      project.name = request.project;
      project.metadata["public"] = request.public_project ? "true" : "false";
      auto created = iam.create_project_offline(project);
      if (!created) {
        std::cerr << "admin: " << created.error().message << "\n";
        return 1;
      }
      std::cout << "project " << created->name << " created (id " << created->id << ", "
                << (request.public_project ? "public" : "private") << ")\n";
      return 0;
    }
    case AdminRequest::Action::rotate_token_key:
      break;
  }
  return 2;
}

}  // namespace berth::app
