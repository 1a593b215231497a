#include "base/time.h"

#include <cstdio>
#include <ctime>

namespace berth::base {
namespace {

std::string format(std::chrono::system_clock::time_point time, bool millis) {
  const auto ms_time = std::chrono::floor<std::chrono::milliseconds>(time);
  const auto seconds = std::chrono::floor<std::chrono::seconds>(ms_time);
  const std::time_t t = std::chrono::system_clock::to_time_t(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[96];
  if (millis) {
    const auto ms = static_cast<int>((ms_time - seconds).count());
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  } else {
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  }
  return buffer;
}

}  // namespace

std::string format_rfc3339_millis(std::chrono::system_clock::time_point time) {
  return format(time, true);
}

std::string format_rfc3339(std::chrono::system_clock::time_point time) {
  return format(time, false);
}

}  // namespace berth::base
