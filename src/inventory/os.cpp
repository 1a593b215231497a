// The operating system of an image: os-release, with alpine-release and debian_version as fallbacks.
#include <cctype>
#include <map>
#include <string>
#include <string_view>

#include "inventory/analyzers.h"

namespace berth::inventory::detail {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool valid_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// The value of an os-release assignment, read as the shell would: double quotes (with \" \\ \$ \`
// escapes), single quotes (literal), backslash escapes outside quotes; unquoted whitespace ends it
// (a trailing comment may follow).
std::string shell_value(std::string_view v) {
  std::string out;
  std::size_t i = 0;
  while (i < v.size()) {
    const char c = v[i];
    if (c == '"') {
      ++i;
      while (i < v.size() && v[i] != '"') {
        if (v[i] == '\\' && i + 1 < v.size()) {
          const char next = v[i + 1];
          if (next == '"' || next == '\\' || next == '$' || next == '`') {
            out += next;
            i += 2;
            continue;
          }
        }
        out += v[i++];
      }
      if (i < v.size()) ++i;  // closing quote; an unterminated one takes the rest of the line
    } else if (c == '\'') {
      ++i;
      while (i < v.size() && v[i] != '\'') out += v[i++];
      if (i < v.size()) ++i;
    } else if (c == '\\') {
      if (i + 1 < v.size()) out += v[i + 1];
      i += 2;
    } else if (is_space(c)) {
      break;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

// The first line of a small file such as etc/alpine-release, trimmed.
std::string first_line(std::string_view text) {
  const auto end = text.find('\n');
  return std::string(trim(text.substr(0, end)));
}

// "12 (bookworm)" -> "bookworm": Debian releases before 9 have no VERSION_CODENAME.
std::string codename_from_version(std::string_view version) {
  const auto open = version.find('(');
  const auto close = version.find(')', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos) return {};
  std::string_view inner = trim(version.substr(open + 1, close - open - 1));
  for (char c : inner) {
    if (!std::islower(static_cast<unsigned char>(c))) return {};
  }
  return std::string(inner);
}

const image::Kept* find(const image::Snapshot& snapshot, std::string_view path) {
  const auto it = snapshot.find(path);
  return it == snapshot.end() ? nullptr : &it->second;
}

}  // namespace

OperatingSystem parse_os_release(std::string_view text) {
  std::map<std::string, std::string, std::less<>> fields;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ")) line = trim(line.substr(7));
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, eq);
    if (!valid_key(key)) continue;
    fields[std::string(key)] = shell_value(line.substr(eq + 1));
  }
  auto get = [&](std::string_view key) -> std::string {
    const auto it = fields.find(key);
    return it == fields.end() ? std::string{} : it->second;
  };
  OperatingSystem os;
  os.family = lowercase(trim(get("ID")));
  os.version = std::string(trim(get("VERSION_ID")));
  os.codename = std::string(trim(get("VERSION_CODENAME")));
  if (os.codename.empty()) os.codename = std::string(trim(get("UBUNTU_CODENAME")));
  if (os.codename.empty() && os.family == "debian") os.codename = codename_from_version(get("VERSION"));
  os.pretty_name = get("PRETTY_NAME");
  return os;
}

OperatingSystem detect_os(const image::Snapshot& snapshot) {
  OperatingSystem os;
  for (std::string_view path : {"etc/os-release", "usr/lib/os-release"}) {
    if (const auto* kept = find(snapshot, path)) {
      os = parse_os_release(kept->data);
      if (os.found()) break;
    }
  }
  if (!os.found()) {
    if (const auto* kept = find(snapshot, "etc/alpine-release")) {
      std::string version = first_line(kept->data);
      if (!version.empty()) {
        os.family = "alpine";
        os.version = std::move(version);
        os.pretty_name = "Alpine Linux v" + os.version;
        return os;
      }
    }
  }
  // Debian testing and sid have an os-release without VERSION_ID; debian_version then says
  // "trixie/sid". Without os-release at all, debian_version says which Debian this is.
  if (!os.found() || (os.family == "debian" && os.version.empty())) {
    if (const auto* kept = find(snapshot, "etc/debian_version")) {
      std::string version = first_line(kept->data);
      if (!version.empty()) {
        if (!os.found()) {
          os.family = "debian";
          os.pretty_name = "Debian GNU/Linux " + version;
        }
        os.version = std::move(version);
      }
    }
  }
  return os;
}

}  // namespace berth::inventory::detail
