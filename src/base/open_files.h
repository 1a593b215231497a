// The process's limit on open file descriptors. Every connection, upload in progress and
// blob being read holds one, and services often start with a soft limit of 1024.
#pragma once

#include <cstdint>

#include "base/result.h"

namespace berth::base {

// Raises the soft RLIMIT_NOFILE to the hard limit (to fs.nr_open when the hard limit is
// unlimited). Returns the soft limit in force afterwards. Errors: io_error when the limit
// cannot be read; a raise the kernel refuses leaves the old limit and returns it.
Result<std::uint64_t> raise_open_file_limit();

}  // namespace berth::base
