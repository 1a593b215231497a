#include "jobs/cron.h"

#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace berth::jobs {
namespace {

using namespace std::chrono;

struct FieldRange {
  const char* name;
  int min;
  int max;
  const char* const* names;  // names[i] is the value names_first + i; nullptr if none
  int names_first;           // the value of names[0]
  int names_count;
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

constexpr FieldRange kSecond{"second", 0, 59, nullptr, 0, 0};
constexpr FieldRange kMinute{"minute", 0, 59, nullptr, 0, 0};
constexpr FieldRange kHour{"hour", 0, 23, nullptr, 0, 0};
constexpr FieldRange kDay{"day of month", 1, 31, nullptr, 0, 0};
constexpr FieldRange kMonth{"month", 1, 12, kMonthNames, 1, 12};
// Day of week accepts 7 as Sunday; it is folded into 0 after parsing.
constexpr FieldRange kWeekday{"day of week", 0, 7, kDayNames, 0, 7};

base::Error invalid(std::string_view spec, std::string what) {
  return base::make_error(base::Errc::invalid_argument,
                          "invalid cron spec \"" + std::string(spec) + "\": " + std::move(what));
}

// A number or a name of the field. nullopt if it is neither.
std::optional<int> parse_value(std::string_view text, const FieldRange& range) {
  if (text.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(text.front()))) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
  }
  for (int i = 0; i < range.names_count; ++i) {
    const std::string_view name = range.names[i];
    if (name.size() != text.size()) continue;
    bool same = true;
    for (std::size_t k = 0; k < name.size(); ++k) {
      if (std::toupper(static_cast<unsigned char>(text[k])) != name[k]) same = false;
    }
    if (same) return range.names_first + i;
  }
  return std::nullopt;
}

struct ParsedField {
  std::vector<bool> bits;  // indexed by value, min..max
  bool any = false;        // "*" or "?" without a step above 1
};

// One field of the spec. Errors: the message of what is wrong.
base::Result<ParsedField, std::string> parse_field(std::string_view field, const FieldRange& range) {
  ParsedField out;
  out.bits.assign(static_cast<std::size_t>(range.max) + 1, false);
  const std::string label = std::string(range.name) + " \"" + std::string(field) + "\"";
  if (field.empty()) return "empty " + std::string(range.name);
  std::size_t start = 0;
  while (start <= field.size()) {
    const auto comma = field.find(',', start);
    const std::string_view part =
        field.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    start = comma == std::string_view::npos ? field.size() + 1 : comma + 1;
    if (part.empty()) return "empty list item in " + label;

    std::string_view span = part;
    int step = 1;
    bool has_step = false;
    if (const auto slash = part.find('/'); slash != std::string_view::npos) {
      span = part.substr(0, slash);
      const std::string_view step_text = part.substr(slash + 1);
      auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || ec != std::errc() || end != step_text.data() + step_text.size() || step < 1)
        return "invalid step in " + label;
      has_step = true;
    }
    // The last value "*" and "a/n" reach: day of week stops at Saturday (7 is Sunday again).
    const int top = &range == &kWeekday ? 6 : range.max;
    int low = 0;
    int high = 0;
    if (span == "*" || span == "?") {
      low = range.min;
      high = top;
      if (step == 1 && part.size() == field.size()) out.any = true;
    } else if (const auto dash = span.find('-'); dash != std::string_view::npos) {
      auto a = parse_value(span.substr(0, dash), range);
      auto b = parse_value(span.substr(dash + 1), range);
      if (!a || !b) return "invalid range in " + label;
      low = *a;
      high = *b;
      if (&range == &kWeekday && high == 0 && low > 0) high = 7;  // "FRI-SUN": Sunday as 7
      if (low > high) return "range goes backwards in " + label;
    } else {
      auto a = parse_value(span, range);
      if (!a) return "invalid value in " + label;
      low = *a;
      high = has_step ? top : *a;  // "a/n": from a to the end
    }
    if (low < range.min || high > range.max)
      return "value out of range " + std::to_string(range.min) + "-" + std::to_string(range.max) + " in " +
             label;
    for (int v = low; v <= high; v += step) out.bits[static_cast<std::size_t>(v)] = true;
  }
  return out;
}

template <std::size_t N>
std::bitset<N> to_bits(const ParsedField& field, int offset_max) {
  std::bitset<N> bits;
  for (int v = 0; v <= offset_max && static_cast<std::size_t>(v) < N; ++v) {
    if (static_cast<std::size_t>(v) < field.bits.size() && field.bits[static_cast<std::size_t>(v)])
      bits.set(static_cast<std::size_t>(v));
  }
  return bits;
}

std::string_view expand_descriptor(std::string_view text) {
  if (text == "@yearly" || text == "@annually") return "0 0 0 1 1 *";
  if (text == "@monthly") return "0 0 0 1 * *";
  if (text == "@weekly") return "0 0 0 * * 0";
  if (text == "@daily" || text == "@midnight") return "0 0 0 * * *";
  if (text == "@hourly") return "0 0 * * * *";
  return {};
}

}  // namespace

base::Result<CronSpec> CronSpec::parse(std::string_view text) {
  std::string_view spec = text;
  while (!spec.empty() && std::isspace(static_cast<unsigned char>(spec.front()))) spec.remove_prefix(1);
  while (!spec.empty() && std::isspace(static_cast<unsigned char>(spec.back()))) spec.remove_suffix(1);
  if (spec.starts_with('@')) {
    const std::string_view expanded = expand_descriptor(spec);
    if (expanded.empty()) return invalid(text, "unknown descriptor");
    spec = expanded;
  }
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < spec.size()) {
    while (i < spec.size() && std::isspace(static_cast<unsigned char>(spec[i]))) ++i;
    const std::size_t begin = i;
    while (i < spec.size() && !std::isspace(static_cast<unsigned char>(spec[i]))) ++i;
    if (i > begin) fields.push_back(spec.substr(begin, i - begin));
  }
  if (fields.size() != 5 && fields.size() != 6)
    return invalid(text, "expected 5 fields (minute hour day month weekday) or 6 (with seconds first), got " +
                             std::to_string(fields.size()));
  const bool with_seconds = fields.size() == 6;
  const std::array<const FieldRange*, 6> ranges = {&kSecond, &kMinute, &kHour, &kDay, &kMonth, &kWeekday};

  std::array<ParsedField, 6> parsed;
  if (!with_seconds) {
    parsed[0].bits.assign(60, false);
    parsed[0].bits[0] = true;  // at second 0
  }
  for (std::size_t f = with_seconds ? 0 : 1; f < 6; ++f) {
    auto field = parse_field(fields[with_seconds ? f : f - 1], *ranges[f]);
    if (!field) return invalid(text, field.error());
    parsed[f] = std::move(*field);
  }
  if (parsed[5].bits[7]) parsed[5].bits[0] = true;  // 7 = Sunday

  CronSpec out;
  out.text_ = std::string(text);
  out.seconds_ = to_bits<60>(parsed[0], 59);
  out.minutes_ = to_bits<60>(parsed[1], 59);
  out.hours_ = to_bits<24>(parsed[2], 23);
  out.days_ = to_bits<32>(parsed[3], 31);
  out.months_ = to_bits<13>(parsed[4], 12);
  out.weekdays_ = to_bits<7>(parsed[5], 6);
  out.days_any_ = parsed[3].any;
  out.weekdays_any_ = parsed[5].any;

  // The calendar repeats; ten years from a leap year see every possible day.
  const TimePoint reference = sys_days(year{2000} / January / 1);
  if (!out.next(reference)) return invalid(text, "it never matches a date");
  return out;
}

bool CronSpec::day_matches(year_month_day date) const {
  const bool day_ok = days_.test(static_cast<unsigned>(date.day()));
  const bool weekday_ok = weekdays_.test(weekday(sys_days(date)).c_encoding());
  if (days_any_ || weekdays_any_) return day_ok && weekday_ok;
  return day_ok || weekday_ok;
}

bool CronSpec::matches(TimePoint time) const {
  const auto t = floor<seconds>(time);
  const auto day_start = floor<days>(t);
  const year_month_day date(day_start);
  const hh_mm_ss clock(t - day_start);
  return months_.test(static_cast<unsigned>(date.month())) && day_matches(date) &&
         hours_.test(static_cast<std::size_t>(clock.hours().count())) &&
         minutes_.test(static_cast<std::size_t>(clock.minutes().count())) &&
         seconds_.test(static_cast<std::size_t>(clock.seconds().count()));
}

std::optional<TimePoint> CronSpec::next(TimePoint after) const {
  auto t = floor<seconds>(after) + seconds(1);
  const auto limit = t + years(10);
  while (t < limit) {
    const auto day_start = floor<days>(t);
    const year_month_day date(day_start);
    if (!months_.test(static_cast<unsigned>(date.month()))) {
      const year_month next_month = date.year() / date.month() + months(1);
      t = sys_days(next_month / 1);
      continue;
    }
    if (!day_matches(date)) {
      t = day_start + days(1);
      continue;
    }
    const hh_mm_ss clock(t - day_start);
    const auto h = static_cast<std::size_t>(clock.hours().count());
    if (!hours_.test(h)) {
      t = day_start + hours(h + 1);
      continue;
    }
    const auto m = static_cast<std::size_t>(clock.minutes().count());
    if (!minutes_.test(m)) {
      t = day_start + hours(h) + minutes(m + 1);
      continue;
    }
    const auto s = static_cast<std::size_t>(clock.seconds().count());
    if (!seconds_.test(s)) {
      t += seconds(1);
      continue;
    }
    return TimePoint(t);
  }
  return std::nullopt;
}

}  // namespace berth::jobs
