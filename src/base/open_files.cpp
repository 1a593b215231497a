#include "base/open_files.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace berth::base {

Result<std::uint64_t> raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return make_error(Errc::io_error,
                      std::string("cannot read the open file limit: ") + std::strerror(errno));
  rlim_t wanted = limit.rlim_max;
  if (wanted == RLIM_INFINITY) {
    // The kernel refuses more than fs.nr_open descriptors whatever the hard limit says.
    std::ifstream nr_open("/proc/sys/fs/nr_open");
    std::uint64_t most = 0;
    wanted = (nr_open >> most) && most > 0 ? static_cast<rlim_t>(most) : limit.rlim_cur;
  }
  if (wanted > limit.rlim_cur) {
    rlimit raised = limit;
    raised.rlim_cur = wanted;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

}  // namespace berth::base
