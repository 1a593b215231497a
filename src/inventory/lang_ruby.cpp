// Ruby: the gemspecs RubyGems writes for installed gems (specifications/<name>-<version>.gemspec),
// in their generated form:
//   s.name = "rack".freeze
//   s.version = "2.2.3"            (or "2.2.3".freeze)
//   s.licenses = ["MIT".freeze]    (or s.license = "MIT".freeze)
// Only these literal assignments are read; the file is never evaluated.
#include <optional>
#include <string>

#include "inventory/analyzers.h"

namespace berth::inventory::detail {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// A Ruby string literal ("..." or '...', optionally followed by .freeze) at the start of `text`;
// advances `text` past it.
std::optional<std::string> ruby_string(std::string_view& text) {
  text = trim(text);
  if (text.empty() || (text.front() != '"' && text.front() != '\'')) return std::nullopt;
  char quote = text.front();
  std::string out;
  std::size_t i = 1;
  for (; i < text.size() && text[i] != quote; ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out += text[i];
  }
  if (i >= text.size()) return std::nullopt;
  text.remove_prefix(i + 1);
  if (text.starts_with(".freeze")) text.remove_prefix(7);
  return out;
}

// "[\"MIT\".freeze, \"Ruby\".freeze]" -> "MIT, Ruby"
std::optional<std::string> ruby_string_array(std::string_view text) {
  text = trim(text);
  if (!text.starts_with('[')) return std::nullopt;
  text.remove_prefix(1);
  std::string joined;
  while (true) {
    text = trim(text);
    if (text.starts_with(']')) return joined;
    auto item = ruby_string(text);
    if (!item) return std::nullopt;
    if (!item->empty()) {
      if (!joined.empty()) joined += ", ";
      joined += *item;
    }
    text = trim(text);
    if (text.starts_with(',')) text.remove_prefix(1);
  }
}

}  // namespace

base::Result<std::vector<Package>> parse_gemspec(std::string_view text, std::string_view /*path*/) {
  std::optional<std::string> name;
  std::optional<std::string> version;
  std::optional<std::string> licenses;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    // <receiver>.<attribute> = <value>
    std::size_t i = 0;
    while (i < line.size() && ident_char(line[i])) ++i;
    if (i == 0 || i >= line.size() || line[i] != '.') continue;
    std::size_t attribute_start = ++i;
    while (i < line.size() && ident_char(line[i])) ++i;
    std::string_view attribute = line.substr(attribute_start, i - attribute_start);
    std::string_view rest = trim(line.substr(i));
    if (!rest.starts_with('=') || rest.starts_with("==")) continue;
    rest.remove_prefix(1);
    if (attribute == "name" && !name) {
      name = ruby_string(rest);
    } else if (attribute == "version" && !version) {
      version = ruby_string(rest);
    } else if (attribute == "license" && !licenses) {
      licenses = ruby_string(rest);
    } else if (attribute == "licenses" && !licenses) {
      licenses = ruby_string_array(rest);
    }
  }
  std::vector<Package> out;
  if (!name || !version || name->empty() || version->empty()) return out;
  Package package;
  package.type = PackageType::gem;
  package.name = std::move(*name);
  package.version = std::move(*version);
  package.licenses = licenses.value_or("");
  out.push_back(std::move(package));
  return out;
}

}  // namespace berth::inventory::detail
