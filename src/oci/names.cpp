#include "oci/names.h"

#include <cstddef>

namespace berth::oci {
namespace {

// Names are matched by hand: these checks run on every request, and the grammar is
// small enough that a scanner is clearer than a regular expression.

constexpr std::size_t kMaxRepositoryName = 255;
constexpr std::size_t kMaxTag = 128;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

// One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool valid_component(std::string_view component) {
  std::size_t i = 0;
  const std::size_t n = component.size();
  while (true) {
    const std::size_t run_start = i;
    while (i < n && is_lower_alnum(component[i])) ++i;
    if (i == run_start) return false;  // a separator must sit between alphanumeric runs
    if (i == n) return true;
    switch (component[i]) {
      case '.':
        ++i;
        break;
      case '_':
        ++i;
        if (i < n && component[i] == '_') ++i;
        break;
      case '-':
        while (i < n && component[i] == '-') ++i;
        break;
      default:
        return false;
    }
  }
}

}  // namespace

bool valid_repository_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxRepositoryName) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = name.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? name.size() : slash;
    if (!valid_component(name.substr(start, end - start))) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTag) return false;
  if (!is_alnum(tag[0]) && tag[0] != '_') return false;
  for (char c : tag.substr(1)) {
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

bool looks_like_digest(std::string_view reference) {
  // A tag can never contain ':', so a colon marks a digest reference.
  return reference.find(':') != std::string_view::npos;
}

}  // namespace berth::oci
