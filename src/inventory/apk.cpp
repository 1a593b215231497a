// Alpine's apk database: lib/apk/db/installed, one stanza of "X:value" lines per package.
#include <string>
#include <string_view>
#include <vector>

#include "inventory/analyzers.h"

namespace berth::inventory::detail {

namespace {

using base::Errc;

bool blank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

base::Error corrupt(std::string_view path, std::size_t line, std::string_view what) {
  std::string message(path);
  if (line > 0) message += ":" + std::to_string(line);
  message += ": ";
  message += what;
  return base::make_error(Errc::corrupt, std::move(message));
}

struct Stanza {
  std::string_view name, version, arch, origin, license;
};

}  // namespace

base::Result<std::vector<Package>> parse_apk_installed(std::string_view text, std::string_view path) {
  if (text.find('\0') != std::string_view::npos) {
    return corrupt(path, 0, "binary data, not an apk database");
  }
  std::vector<Package> packages;
  bool seen_package = false;
  bool seen_text = false;
  Stanza stanza;

  auto finish = [&](std::size_t line) -> base::Status {
    if (stanza.name.empty()) {
      stanza = Stanza{};
      return base::ok_status();
    }
    seen_package = true;
    if (stanza.version.empty()) {
      return corrupt(path, line, "package " + std::string(stanza.name) + " has no version (V:)");
    }
    Package p;
    p.type = PackageType::apk;
    p.name = std::string(stanza.name);
    p.version = std::string(stanza.version);
    p.arch = std::string(stanza.arch);
    p.source_name = stanza.origin.empty() ? p.name : std::string(stanza.origin);
    p.source_version = p.version;
    p.licenses = std::string(stanza.license);
    p.path = std::string(path);
    packages.push_back(std::move(p));
    stanza = Stanza{};
    return base::ok_status();
  };

  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (blank(line)) {
      if (auto s = finish(line_no); !s) return std::move(s).error();
      continue;
    }
    seen_text = true;
    if (line.size() < 2 || line[1] != ':' || static_cast<unsigned char>(line[0]) <= ' ' ||
        static_cast<unsigned char>(line[0]) >= 0x7f) {
      return corrupt(path, line_no, "expected 'X:value'");
    }
    const std::string_view value = line.substr(2);
    switch (line[0]) {
      case 'P':
        if (!stanza.name.empty()) {
          // A new package without the blank line that should separate them.
          if (auto s = finish(line_no); !s) return std::move(s).error();
        }
        stanza.name = value;
        break;
      case 'V':
        stanza.version = value;
        break;
      case 'A':
        stanza.arch = value;
        break;
      case 'o':
        stanza.origin = value;
        break;
      case 'L':
        stanza.license = value;
        break;
      default:
        break;
    }
  }
  if (auto s = finish(line_no); !s) return std::move(s).error();
  if (seen_text && !seen_package) return corrupt(path, 0, "no package stanza (no P: line)");
  return packages;
}

}  // namespace berth::inventory::detail
