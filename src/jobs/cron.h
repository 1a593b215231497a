// Cron specifications, in UTC: the classic 5 fields (minute hour day-of-month month
// day-of-week) and Harbor's 6 (second first: "0 0 0 * * *" is every day at midnight).
//
// A field is "*" (or "?"), a value, a range "a-b", a step "*/n", "a-b/n" or "a/n" (a to
// the end), or a comma-separated list of those. Months take JAN..DEC, days of the week
// SUN..SAT (case-insensitive); Sunday is 0 or 7 (so "FRI-SUN" works). Also @yearly
// (@annually), @monthly, @weekly, @daily (@midnight) and @hourly.
//
// Day of month and day of week: when both are restricted (neither is "*" or "?"), a day
// matches if either matches (as cron and Harbor's robfig/cron do); otherwise both must.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::jobs {

using TimePoint = std::chrono::system_clock::time_point;

class CronSpec {
 public:
  // Errors: invalid_argument, with what is wrong (including a spec that never matches,
  // such as "0 0 30 2 *").
  static base::Result<CronSpec> parse(std::string_view text);

  // The first whole second strictly after `after` that the spec matches; nullopt when
  // none is within the next ten years.
  std::optional<TimePoint> next(TimePoint after) const;

  // True when `time` (to the second) matches.
  bool matches(TimePoint time) const;

  const std::string& text() const { return text_; }

 private:
  CronSpec() = default;

  std::string text_;
  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool days_any_ = true;
  bool weekdays_any_ = true;

  bool day_matches(std::chrono::year_month_day date) const;
};

}  // namespace berth::jobs
