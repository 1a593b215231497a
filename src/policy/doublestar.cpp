#include "policy/doublestar.h"

#include <string>
#include <vector>

namespace berth::policy {
namespace {

// The alternatives of the first {...} group expanded, recursively: "a{b,c}d" -> "abd", "acd".
// Returns false for unbalanced braces.
bool expand(std::string_view pattern, std::vector<std::string>& out, int depth = 0) {
  if (depth > 16 || out.size() > 1024) return false;
  std::size_t open = std::string_view::npos;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      ++i;
      continue;
    }
    if (pattern[i] == '{') {
      open = i;
      break;
    }
    if (pattern[i] == '}') return false;
  }
  if (open == std::string_view::npos) {
    out.emplace_back(pattern);
    return true;
  }
  int level = 0;
  std::vector<std::string_view> parts;
  std::size_t start = open + 1;
  std::size_t close = std::string_view::npos;
  for (std::size_t i = open + 1; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (c == '{') ++level;
    if (c == '}') {
      if (level == 0) {
        parts.push_back(pattern.substr(start, i - start));
        close = i;
        break;
      }
      --level;
    }
    if (c == ',' && level == 0) {
      parts.push_back(pattern.substr(start, i - start));
      start = i + 1;
    }
  }
  if (close == std::string_view::npos) return false;
  const std::string_view prefix = pattern.substr(0, open);
  const std::string_view suffix = pattern.substr(close + 1);
  for (auto part : parts) {
    std::string joined(prefix);
    joined += part;
    joined += suffix;
    if (!expand(joined, out, depth + 1)) return false;
  }
  return true;
}

// A character class at pattern[i] == '['; sets `matched` and returns the index after ']'.
// Returns npos when malformed.
std::size_t match_class(std::string_view pattern, std::size_t i, char c, bool& matched) {
  ++i;
  bool negate = false;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
    negate = true;
    ++i;
  }
  bool any = false;
  bool first = true;
  while (i < pattern.size() && (pattern[i] != ']' || first)) {
    first = false;
    char low = pattern[i];
    if (low == '\\' && i + 1 < pattern.size()) low = pattern[++i];
    char high = low;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      high = pattern[i + 2];
      if (high == '\\' && i + 3 < pattern.size()) {
        high = pattern[i + 3];
        ++i;
      }
      i += 2;
    }
    if (c >= low && c <= high) any = true;
    ++i;
  }
  if (i >= pattern.size()) return std::string_view::npos;
  matched = any != negate;
  return i + 1;
}

// One path component against one pattern component (no '/', no '**').
bool match_component(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0;
  std::size_t star = std::string_view::npos, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      const char c = pattern[p];
      if (c == '*') {
        star = ++p;
        star_text = t;
        continue;
      }
      if (c == '?') {
        ++p;
        ++t;
        continue;
      }
      if (c == '[') {
        bool matched = false;
        const std::size_t next = match_class(pattern, p, text[t], matched);
        if (next == std::string_view::npos) return false;
        if (matched) {
          p = next;
          ++t;
          continue;
        }
      } else {
        char literal = c;
        std::size_t width = 1;
        if (c == '\\' && p + 1 < pattern.size()) {
          literal = pattern[p + 1];
          width = 2;
        }
        if (literal == text[t]) {
          p += width;
          ++t;
          continue;
        }
      }
    }
    if (star == std::string_view::npos) return false;
    p = star;
    t = ++star_text;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '/') {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

bool match_parts(const std::vector<std::string_view>& pattern, std::size_t p,
                 const std::vector<std::string_view>& text, std::size_t t) {
  while (p < pattern.size()) {
    if (pattern[p] == "**") {
      if (p + 1 == pattern.size()) return true;  // the rest, whatever it is
      for (std::size_t k = t; k <= text.size(); ++k)
        if (match_parts(pattern, p + 1, text, k)) return true;
      return false;
    }
    if (t >= text.size() || !match_component(pattern[p], text[t])) return false;
    ++p;
    ++t;
  }
  return t == text.size();
}

}  // namespace

bool valid_doublestar(std::string_view pattern) {
  std::vector<std::string> alternatives;
  if (!expand(pattern, alternatives)) return false;
  for (const auto& alternative : alternatives) {
    int depth = 0;
    for (std::size_t i = 0; i < alternative.size(); ++i) {
      if (alternative[i] == '\\')
        ++i;
      else if (alternative[i] == '[')
        ++depth;
      else if (alternative[i] == ']' && depth > 0)
        --depth;
    }
    if (depth != 0) return false;
  }
  return true;
}

bool doublestar_match(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return true;
  std::vector<std::string> alternatives;
  if (!expand(pattern, alternatives)) return false;
  const auto text_parts = split(text);
  for (const auto& alternative : alternatives) {
    // "a**" is "a*": ** is special only as a whole component.
    if (match_parts(split(alternative), 0, text_parts, 0)) return true;
  }
  return false;
}

}  // namespace berth::policy
