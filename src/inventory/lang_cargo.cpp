// Rust: Cargo.lock, read as the TOML subset Cargo writes: `[[package]]` tables whose
// `name = "..."` and `version = "..."` keys name a crate. Other keys, arrays and tables are
// skipped. Every crate in the lock is listed, the workspace's own crates included (as Trivy does).
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

// A TOML basic ("...") or literal ('...') string at the start of `text`; nullopt when it is
// not a string or not terminated on the line.
std::optional<std::string> toml_string(std::string_view text) {
  if (text.empty() || (text.front() != '"' && text.front() != '\'')) return std::nullopt;
  char quote = text.front();
  std::string out;
  for (std::size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == quote) return out;
    if (c == '\\' && quote == '"' && i + 1 < text.size()) {
      char e = text[++i];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        default:
          out += e;  // \" \\ and the rest kept literally
      }
      continue;
    }
    out += c;
  }
  return std::nullopt;
}

}  // namespace

base::Result<std::vector<Package>> parse_cargo_lock(std::string_view text, std::string_view path) {
  std::vector<Package> out;
  bool in_package = false;
  std::optional<Package> current;
  std::size_t line_number = 0;
  auto flush = [&] {
    if (current && !current->name.empty() && !current->version.empty()) out.push_back(std::move(*current));
    current.reset();
  };
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      flush();
      in_package = line.starts_with("[[") && trim(line.substr(2, line.find("]]") - 2)) == "package";
      if (in_package) {
        current.emplace();
        current->type = PackageType::cargo;
      }
      continue;
    }
    if (!in_package) continue;
    auto equals = line.find('=');
    if (equals == std::string_view::npos) continue;  // inside a multi-line array
    std::string_view key = trim(line.substr(0, equals));
    if (key != "name" && key != "version") continue;
    auto value = toml_string(trim(line.substr(equals + 1)));
    if (!value) {
      return base::make_error(base::Errc::corrupt, std::string(path) + ":" + std::to_string(line_number) +
                                                       ": " + std::string(key) + " is not a string");
    }
    (key == "name" ? current->name : current->version) = std::move(*value);
  }
  flush();
  return out;
}

}  // namespace berth::inventory::detail
