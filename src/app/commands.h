// The `berth` subcommands. Each returns the process exit code.
#pragma once

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

}  // namespace berth::app
