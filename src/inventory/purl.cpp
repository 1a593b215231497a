// Package URLs (https://github.com/package-url/purl-spec):
//   pkg:<type>/<namespace>/<name>@<version>?<qualifiers sorted by key>
// Components are percent-encoded (UTF-8) except for the letters, digits, ".-_~" and the colon,
// which the specification says is never encoded ("1:2.4.47-2+b1" -> "1:2.4.47-2%2Bb1").
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inventory/analyzers.h"

namespace berth::inventory::detail {

namespace {

std::string encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~' || c == ':') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A namespace of one or more '/'-separated segments, each encoded; empty segments dropped.
std::string encode_namespace(std::string_view ns) {
  std::string out;
  while (!ns.empty()) {
    const auto slash = ns.find('/');
    const std::string_view segment = ns.substr(0, slash);
    ns = slash == std::string_view::npos ? std::string_view{} : ns.substr(slash + 1);
    if (segment.empty()) continue;
    if (!out.empty()) out += '/';
    out += encode(segment);
  }
  return out;
}

struct Purl {
  std::string type;
  std::string ns;  // not yet encoded; may hold '/'
  std::string name;
  std::string version;
  std::vector<std::pair<std::string, std::string>> qualifiers;  // keys in order; empty values dropped

  std::string str() const {
    std::string out = "pkg:" + type + "/";
    if (const std::string n = encode_namespace(ns); !n.empty()) out += n + "/";
    out += encode(name);
    if (!version.empty()) out += "@" + encode(version);
    char sep = '?';
    for (const auto& [key, value] : qualifiers) {
      if (value.empty()) continue;
      out += sep;
      out += key + "=" + encode(value);
      sep = '&';
    }
    return out;
  }
};

// "distro=debian-12", "distro=alpine-3.18.4", "distro=almalinux-9.3".
std::string distro(const OperatingSystem& os) {
  if (!os.found() || os.version.empty()) return {};
  return os.family + "-" + os.version;
}

// PyPI treats '-' and '_' alike and ignores case (purl-spec pypi type).
std::string pypi_name(std::string_view name) {
  std::string out = lowercase(name);
  for (char& c : out) {
    if (c == '_') c = '-';
  }
  return out;
}

// The last '/' splits a path-like name into namespace and name ("github.com/x/y" -> "github.com/x", "y").
std::pair<std::string, std::string> split_last(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return {std::string{}, std::string(path)};
  return {std::string(path.substr(0, slash)), std::string(path.substr(slash + 1))};
}

}  // namespace

std::string make_purl(const Package& package, const OperatingSystem& os) {
  Purl p;
  p.version = package.version;
  switch (package.type) {
    case PackageType::dpkg:
      p.type = "deb";
      p.ns = os.found() ? os.family : "debian";
      p.name = lowercase(package.name);
      p.qualifiers = {{"arch", package.arch}, {"distro", distro(os)}};
      break;
    case PackageType::apk:
      p.type = "apk";
      p.ns = os.found() ? os.family : "alpine";
      p.name = lowercase(package.name);
      p.qualifiers = {{"arch", package.arch}, {"distro", distro(os)}};
      break;
    case PackageType::rpm:
      p.type = "rpm";
      p.ns = os.family;  // optional: none when the OS is unknown
      p.name = package.name;
      p.qualifiers = {{"arch", package.arch}, {"distro", distro(os)}, {"epoch", package.epoch}};
      break;
    case PackageType::npm: {
      p.type = "npm";
      // "@scope/name": the scope is the namespace ("%40scope").
      auto [scope, name] = split_last(package.name);
      p.ns = lowercase(scope);
      p.name = lowercase(name);
      break;
    }
    case PackageType::python:
      p.type = "pypi";
      p.name = pypi_name(package.name);
      break;
    case PackageType::gomod:
    case PackageType::gobinary: {
      p.type = "golang";
      auto [ns, name] = split_last(lowercase(package.name));
      p.ns = std::move(ns);
      p.name = std::move(name);
      break;
    }
    case PackageType::maven: {
      p.type = "maven";
      const auto colon = package.name.find(':');
      if (colon == std::string::npos) {
        p.name = package.name;
      } else {
        p.ns = package.name.substr(0, colon);
        p.name = package.name.substr(colon + 1);
      }
      break;
    }
    case PackageType::cargo:
      p.type = "cargo";
      p.name = package.name;
      break;
    case PackageType::gem:
      p.type = "gem";
      p.name = package.name;
      break;
  }
  return p.str();
}

}  // namespace berth::inventory::detail
