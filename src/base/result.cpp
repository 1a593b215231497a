#include "base/result.h"

namespace berth::base {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::not_found:
      return "not found";
    case Errc::invalid_argument:
      return "invalid argument";
    case Errc::already_exists:
      return "already exists";
    case Errc::conflict:
      return "conflict";
    case Errc::out_of_range:
      return "out of range";
    case Errc::too_large:
      return "too large";
    case Errc::limit_exceeded:
      return "limit exceeded";
    case Errc::unsupported:
      return "unsupported";
    case Errc::corrupt:
      return "corrupt";
    case Errc::io_error:
      return "i/o error";
    case Errc::unavailable:
      return "unavailable";
    case Errc::cancelled:
      return "cancelled";
    case Errc::internal:
      return "internal error";
  }
  return "unknown";
}

}  // namespace berth::base
