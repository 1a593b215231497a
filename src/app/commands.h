// The `berth` subcommands. Each returns the process exit code.
#pragma once

#include <string>

#include "app/config.h"

namespace berth::app {

// Serves the registry until SIGTERM/SIGINT.
int serve(const Config& config);

// Checks that blobs on disk and metadata rows agree and that the metadata is intact.
// Completes interrupted commits first, exactly as a start does. Prints every problem.
// Exit code 0 when clean, 1 when problems were found, 2 when the check could not run.
int fsck(const Config& config);

// Deletes blobs that no repository references. Needs the server stopped.
int garbage_collect(const Config& config);

// `berth admin ...`: recovery on the data directory with the server stopped.
struct AdminRequest {
  enum class Action { reset_password, create_user, create_project, rotate_token_key };
  Action action = Action::reset_password;
  std::string username;         // reset-password, user create
  std::string email;            // user create
  bool sysadmin = false;        // user create
  bool password_stdin = false;  // read the password from the first line of stdin, else generate
  std::string project;          // project create
  bool public_project = false;
};
int admin(const Config& config, const AdminRequest& request);

}  // namespace berth::app
