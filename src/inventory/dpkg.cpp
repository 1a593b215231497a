// dpkg's database: var/lib/dpkg/status, and the one-stanza files of var/lib/dpkg/status.d/ that
// distroless images carry instead.
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/analyzers.h"

namespace berth::inventory::detail {

namespace {

using base::Errc;

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The fields of one stanza this parser needs (dpkg field names are case-insensitive).
struct Stanza {
  std::string_view package, status, version, architecture, source;
  bool has_status = false;
};

// "install ok installed" and "hold ok installed": the package's files are on disk.
// "deinstall ok installed" (marked for removal), "purge", "config-files", "half-installed"... are not
// counted.
bool installed(std::string_view status) {
  std::string_view words[3];
  std::size_t n = 0;
  while (!status.empty()) {
    status = trim(status);
    if (status.empty()) break;
    const auto end = status.find_first_of(" \t");
    if (n == 3) return false;
    words[n++] = status.substr(0, end);
    status = end == std::string_view::npos ? std::string_view{} : status.substr(end);
  }
  return n == 3 && (words[0] == "install" || words[0] == "hold") && words[1] == "ok" &&
         words[2] == "installed";
}

base::Error corrupt(std::string_view path, std::size_t line, std::string_view what) {
  std::string message(path);
  if (line > 0) message += ":" + std::to_string(line);
  message += ": ";
  message += what;
  return base::make_error(Errc::corrupt, std::move(message));
}

}  // namespace

base::Result<std::vector<Package>> parse_dpkg_status(std::string_view text, std::string_view path) {
  if (text.find('\0') != std::string_view::npos) {
    return corrupt(path, 0, "binary data, not a dpkg status file");
  }
  // In status.d/ a file describes one installed package and has no Status field.
  const bool status_d = path.find("status.d/") != std::string_view::npos;

  std::vector<Package> packages;
  bool seen_package = false;
  bool seen_text = false;
  Stanza stanza;
  bool in_field = false;  // a continuation line needs a field before it

  auto finish = [&](std::size_t line) -> base::Status {
    if (stanza.package.empty()) {
      stanza = Stanza{};
      return base::ok_status();
    }
    seen_package = true;
    const bool keep = stanza.has_status ? installed(stanza.status) : status_d;
    if (keep) {
      if (stanza.version.empty()) {
        return corrupt(path, line, "package " + std::string(stanza.package) + " has no Version");
      }
      Package p;
      p.type = PackageType::dpkg;
      p.name = std::string(stanza.package);
      p.version = std::string(stanza.version);
      p.arch = std::string(stanza.architecture);
      p.source_name = p.name;
      p.source_version = p.version;
      if (!stanza.source.empty()) {
        std::string_view source = stanza.source;
        const auto open = source.find('(');
        if (open != std::string_view::npos) {
          const auto close = source.find(')', open);
          if (close == std::string_view::npos) {
            return corrupt(path, line, "package " + p.name + ": malformed Source field");
          }
          const std::string_view version = trim(source.substr(open + 1, close - open - 1));
          if (!version.empty()) p.source_version = std::string(version);
          source = trim(source.substr(0, open));
        }
        if (!source.empty()) p.source_name = std::string(source);
      }
      p.path = std::string(path);
      packages.push_back(std::move(p));
    }
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

    if (trim(line).empty()) {
      if (auto s = finish(line_no); !s) return std::move(s).error();
      in_field = false;
      continue;
    }
    seen_text = true;
    if (line.front() == ' ' || line.front() == '\t') {
      // Continuation of the previous field (Description, Conffiles, ...). None of the fields read
      // here are multi-line, so the text itself is not needed.
      if (!in_field) return corrupt(path, line_no, "continuation line outside a field");
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return corrupt(path, line_no, "expected 'Field: value'");
    }
    const std::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f) {
        return corrupt(path, line_no, "invalid field name");
      }
    }
    const std::string_view value = trim(line.substr(colon + 1));
    in_field = true;
    std::string_view* current = nullptr;
    if (iequals(name, "Package")) {
      current = &stanza.package;
    } else if (iequals(name, "Status")) {
      current = &stanza.status;
      stanza.has_status = true;
    } else if (iequals(name, "Version")) {
      current = &stanza.version;
    } else if (iequals(name, "Architecture")) {
      current = &stanza.architecture;
    } else if (iequals(name, "Source")) {
      current = &stanza.source;
    }
    if (current != nullptr) *current = value;
  }
  if (auto s = finish(line_no); !s) return std::move(s).error();

  if (seen_text && !seen_package) return corrupt(path, 0, "no package stanza (no Package field)");
  return packages;
}

}  // namespace berth::inventory::detail
