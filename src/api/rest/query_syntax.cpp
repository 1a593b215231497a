#include "api/rest/query_syntax.h"

#include <algorithm>

#include "http/message.h"

namespace berth::api::rest {
namespace {

// A value of a range or list: surrounding spaces and quotes (" or ') are not part of it,
// as in Harbor.
std::string unquote(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  while (!value.empty() && (value.front() == '"' || value.front() == '\'')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '"' || value.back() == '\'')) value.remove_suffix(1);
  return std::string(value);
}

bool valid_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// One "k=<pattern>" term of q. Errors: the message for a 400.
base::Result<meta::Filter, std::string> parse_term(std::string_view term) {
  const auto eq = term.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == term.size())
    return std::string(R"(the query string must contain "=" and the key/value cannot be empty)");
  meta::Filter filter;
  filter.field = std::string(term.substr(0, eq));
  if (!valid_field_name(filter.field)) return "invalid query key: " + filter.field;
  const std::string_view value = term.substr(eq + 1);
  const std::string invalid = "invalid query string value: " + std::string(value);
  switch (value.front()) {
    case '~':
      if (value.size() < 2) return invalid;
      filter.kind = meta::Filter::Kind::fuzzy;
      filter.value = std::string(value.substr(1));
      return filter;
    case '[': {
      if (value.size() < 2 || value.back() != ']' || std::count(value.begin(), value.end(), '~') != 1)
        return invalid;
      const std::string_view body = value.substr(1, value.size() - 2);
      const auto tilde = body.find('~');
      std::string low = unquote(body.substr(0, tilde));
      std::string high = unquote(body.substr(tilde + 1));
      if (low.empty() && high.empty()) return invalid;
      filter.kind = meta::Filter::Kind::range;
      if (!low.empty()) filter.low = std::move(low);
      if (!high.empty()) filter.high = std::move(high);
      return filter;
    }
    case '{':
    case '(': {
      const char close = value.front() == '{' ? '}' : ')';
      if (value.back() != close || value.size() < 2) return invalid;
      std::string_view body = value.substr(1, value.size() - 2);
      filter.kind = value.front() == '{' ? meta::Filter::Kind::any_of : meta::Filter::Kind::all_of;
      while (!body.empty()) {
        const auto space = body.find(' ');
        std::string item = unquote(body.substr(0, space));
        if (!item.empty()) filter.values.push_back(std::move(item));
        body = space == std::string_view::npos ? std::string_view() : body.substr(space + 1);
      }
      if (filter.values.empty()) return invalid;
      return filter;
    }
    default:
      break;
  }
  filter.kind = meta::Filter::Kind::exact;
  if (value.front() == '\\') {
    filter.value = std::string(value.substr(1));
  } else if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
             value.back() == value.front()) {
    filter.value = std::string(value.substr(1, value.size() - 2));
  } else {
    filter.value = std::string(value);
  }
  return filter;
}

}  // namespace

base::Result<std::vector<meta::Filter>, std::string> parse_q(std::string_view q) {
  std::vector<meta::Filter> filters;
  if (q.empty()) return filters;
  std::string decoded;
  if (q.find('%') != std::string_view::npos) {
    if (auto again = http::percent_decode(q)) {
      decoded = std::move(*again);
      q = decoded;
    }
  }
  while (true) {
    const auto comma = q.find(',');
    auto filter = parse_term(q.substr(0, comma));
    if (!filter) return std::move(filter).error();
    filters.push_back(std::move(*filter));
    if (comma == std::string_view::npos) break;
    q = q.substr(comma + 1);
  }
  return filters;
}

std::optional<std::string> parse_sort(std::string_view sort) {
  std::string_view first = sort.substr(0, sort.find(','));
  std::string_view field = first.starts_with('-') ? first.substr(1) : first;
  if (!valid_field_name(field)) return std::nullopt;
  return std::string(first);
}

}  // namespace berth::api::rest
