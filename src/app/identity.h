// Identity set-up shared by `berth serve` and `berth admin`: the iam::Options a config
// asks for, and the first-start bootstrap (first admin, "library" project).
#pragma once

#include "app/config.h"
#include "iam/service.h"

namespace berth::app {

iam::Options iam_options(const Config& config);

// Creates the first admin and the library project when the data directory has no users.
// The admin password comes from the file `auth.admin_password_file`, else the
// BERTH_ADMIN_PASSWORD variable, else it is generated and printed once to the log.
// Returns false (after logging why) when that fails.
bool bootstrap_identity(iam::Service& iam, const Config& config);

}  // namespace berth::app
