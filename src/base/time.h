// Timestamps as text.
#pragma once

#include <chrono>
#include <string>

namespace berth::base {

// RFC 3339 in UTC with milliseconds: "2026-11-28T04:05:41.123Z".
std::string format_rfc3339_millis(std::chrono::system_clock::time_point time);
// RFC 3339 in UTC to the second: "2026-11-28T04:05:41Z".
std::string format_rfc3339(std::chrono::system_clock::time_point time);

}  // namespace berth::base
