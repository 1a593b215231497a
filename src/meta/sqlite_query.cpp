#include "meta/sqlite_query.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>

namespace berth::meta::sqlite {

using base::Errc;
using base::Result;

namespace {

base::Error invalid(std::string message) {
  return base::make_error(Errc::invalid_argument, std::move(message));
}

base::Error bad_value(const QueryField& field, std::string_view value) {
  return invalid("invalid value for query field " + field.name + ": \"" + std::string(value) + "\"");
}

std::string_view kind_name(Filter::Kind kind) {
  switch (kind) {
    case Filter::Kind::exact:
      return "exact";
    case Filter::Kind::fuzzy:
      return "fuzzy";
    case Filter::Kind::range:
      return "range";
    case Filter::Kind::any_of:
      return "any-of";
    case Filter::Kind::all_of:
      return "all-of";
  }
  return "unknown";
}

unsigned kind_bit(Filter::Kind kind) {
  switch (kind) {
    case Filter::Kind::exact:
      return kExact;
    case Filter::Kind::fuzzy:
      return kFuzzy;
    case Filter::Kind::range:
      return kRange;
    case Filter::Kind::any_of:
      return kAnyOf;
    case Filter::Kind::all_of:
      return kAllOf;
  }
  return 0;
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

// Parses exactly `digits` decimal digits at `pos`.
std::optional<int> fixed_digits(std::string_view text, std::size_t pos, std::size_t digits) {
  if (pos + digits > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1000 - 1;

// A field's value as what is bound: the value itself for text, a number otherwise.
// Time fields give the first millisecond of the second they name.
Result<SqlValue> typed_value(const QueryField& field, std::string_view value) {
  switch (field.type) {
    case FieldType::text:
      return SqlValue(std::string(value));
    case FieldType::integer: {
      auto n = parse_int64(value);
      if (!n) return bad_value(field, value);
      return SqlValue(*n);
    }
    case FieldType::time_millis: {
      auto seconds = parse_query_time(value);
      if (!seconds) return bad_value(field, value);
      return SqlValue(*seconds * 1000);
    }
    case FieldType::boolean:
      if (value == "true" || value == "1") return SqlValue(std::int64_t{1});
      if (value == "false" || value == "0") return SqlValue(std::int64_t{0});
      return bad_value(field, value);
  }
  return bad_value(field, value);
}

// The last millisecond of the second a time value names (inclusive upper bound).
SqlValue end_of_second(const SqlValue& start) {
  return SqlValue(std::get<std::int64_t>(start) + 999);
}

Result<SqlFragment> condition_for(const QueryField& field, const Filter& filter) {
  if (field.condition) return field.condition(filter);
  const std::string& e = field.expression;
  const bool time = field.type == FieldType::time_millis;
  SqlFragment out;
  switch (filter.kind) {
    case Filter::Kind::exact: {
      auto v = typed_value(field, filter.value);
      if (!v) return std::move(v).error();
      if (time) {
        out.sql = e + " BETWEEN ? AND ?";
        out.params = {*v, end_of_second(*v)};
      } else {
        out.sql = e + " = ?";
        out.params = {std::move(*v)};
      }
      return out;
    }
    case Filter::Kind::fuzzy:
      if (field.type != FieldType::text) return bad_value(field, filter.value);
      out.sql = e + " LIKE ? ESCAPE '\\'";
      out.params = {SqlValue(like_substring(filter.value))};
      return out;
    case Filter::Kind::range: {
      std::vector<std::string> parts;
      if (filter.low) {
        auto v = typed_value(field, *filter.low);
        if (!v) return std::move(v).error();
        parts.push_back(e + " >= ?");
        out.params.push_back(std::move(*v));
      }
      if (filter.high) {
        auto v = typed_value(field, *filter.high);
        if (!v) return std::move(v).error();
        parts.push_back(e + " <= ?");
        out.params.push_back(time ? end_of_second(*v) : std::move(*v));
      }
      if (parts.empty()) {
        out.sql = "1";
      } else {
        out.sql = parts.size() == 1 ? parts[0] : parts[0] + " AND " + parts[1];
      }
      return out;
    }
    case Filter::Kind::any_of: {
      if (filter.values.empty()) {
        out.sql = "0";  // in no set: nothing matches
        return out;
      }
      if (time) return bad_value(field, filter.values.front());
      std::string placeholders;
      for (const auto& value : filter.values) {
        auto v = typed_value(field, value);
        if (!v) return std::move(v).error();
        placeholders += placeholders.empty() ? "?" : ", ?";
        out.params.push_back(std::move(*v));
      }
      out.sql = e + " IN (" + placeholders + ")";
      return out;
    }
    case Filter::Kind::all_of:
      break;
  }
  return invalid("unknown filter kind for query field " + field.name);
}

const QueryField* find_field(const QuerySchema& schema, std::string_view name) {
  auto it = std::find_if(schema.fields.begin(), schema.fields.end(),
                         [&](const QueryField& f) { return f.name == name; });
  return it == schema.fields.end() ? nullptr : &*it;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// "a,-b" -> "A ASC, B DESC, <tie_break> DESC".
Result<std::string> order_for(std::string_view sort, const QuerySchema& schema) {
  if (trim(sort).empty()) return schema.default_order;
  std::string order;
  bool descending = false;
  for (bool more = true; more;) {
    auto comma = sort.find(',');
    std::string_view key = trim(sort.substr(0, comma));
    more = comma != std::string_view::npos;
    if (more) sort.remove_prefix(comma + 1);
    descending = !key.empty() && key.front() == '-';
    if (descending) key.remove_prefix(1);
    auto it = std::find_if(schema.sorts.begin(), schema.sorts.end(),
                           [&](const SortField& s) { return s.name == key; });
    if (it == schema.sorts.end()) return invalid("unknown query field " + std::string(key));
    if (!order.empty()) order += ", ";
    order += it->expression + (descending ? " DESC" : " ASC");
  }
  if (!schema.tie_break.empty()) order += ", " + schema.tie_break + (descending ? " DESC" : " ASC");
  return order;
}

std::int64_t clamp_to_int64(std::size_t n) {
  return static_cast<std::int64_t>(
      std::min<std::size_t>(n, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
}

}  // namespace

Result<std::int64_t> parse_query_time(std::string_view value) {
  if (auto seconds = parse_int64(value)) {
    if (*seconds < -kMaxSeconds || *seconds > kMaxSeconds) return invalid("time out of range");
    return *seconds;
  }
  // "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DDTHH:MM:SSZ"
  const bool iso = value.size() == 20 && value[10] == 'T' && value[19] == 'Z';
  const bool plain = value.size() == 19 && value[10] == ' ';
  auto bad = [&] { return invalid("invalid time \"" + std::string(value) + "\""); };
  if (!iso && !plain) return bad();
  if (value[4] != '-' || value[7] != '-' || value[13] != ':' || value[16] != ':') return bad();
  auto year = fixed_digits(value, 0, 4);
  auto month = fixed_digits(value, 5, 2);
  auto day = fixed_digits(value, 8, 2);
  auto hour = fixed_digits(value, 11, 2);
  auto minute = fixed_digits(value, 14, 2);
  auto second = fixed_digits(value, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return bad();
  if (*hour > 23 || *minute > 59 || *second > 59) return bad();
  std::chrono::year_month_day date{std::chrono::year(*year),
                                   std::chrono::month(static_cast<unsigned>(*month)),
                                   std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return bad();
  std::int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  return days * 86400 + *hour * 3600 + *minute * 60 + *second;
}

std::string like_substring(std::string_view text) {
  std::string out = "%";
  for (char ch : text) {
    if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
    out += ch;
  }
  out += '%';
  return out;
}

Result<CompiledQuery> compile_query(const ListQuery& query, const QuerySchema& schema) {
  CompiledQuery out;
  for (const auto& filter : query.filters) {
    const QueryField* field = find_field(schema, filter.field);
    if (field == nullptr) return invalid("unknown query field " + filter.field);
    if ((field->kinds & kind_bit(filter.kind)) == 0) {
      return invalid("query field " + field->name + " does not accept a " +
                     std::string(kind_name(filter.kind)) + " match");
    }
    auto condition = condition_for(*field, filter);
    if (!condition) return std::move(condition).error();
    if (!out.where.sql.empty()) out.where.sql += " AND ";
    out.where.sql += "(" + condition->sql + ")";
    out.where.params.insert(out.where.params.end(), std::make_move_iterator(condition->params.begin()),
                            std::make_move_iterator(condition->params.end()));
  }
  if (out.where.sql.empty()) out.where.sql = "1";
  auto order = order_for(query.sort, schema);
  if (!order) return std::move(order).error();
  out.order_by = std::move(*order);
  out.limit = query.limit == 0 ? -1 : clamp_to_int64(query.limit);
  out.offset = clamp_to_int64(query.offset);
  return out;
}

}  // namespace berth::meta::sqlite
