// npm: package-lock.json (lockfile v1, v2, v3) and node_modules/<name>/package.json.
//
// Like Trivy (which drops dev dependencies unless asked with --include-dev-deps), packages that
// are only development dependencies ("dev": true) are left out; a package met both as a dev and
// as a non-dev dependency is kept. The project itself (the "" root entry) and workspace links
// ("link": true) are not packages; a workspace directory a link points to is.
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <string>
#include <utility>

#include "inventory/analyzers.h"

namespace berth::inventory::detail {
namespace {

namespace json = boost::json;

constexpr std::string_view kNodeModules = "node_modules/";

base::Result<json::value> parse_json(std::string_view text, std::string_view path) {
  json::parse_options options;
  options.max_depth = 1024;  // lockfile v1 nests a level per node_modules level
  std::error_code ec;
  json::value value = json::parse(text, ec, {}, options);
  if (ec) {
    return base::make_error(base::Errc::corrupt, std::string(path) + ": invalid JSON: " + ec.message());
  }
  if (!value.is_object()) {
    return base::make_error(base::Errc::corrupt, std::string(path) + ": not a JSON object");
  }
  return value;
}

std::string string_field(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->get_string());
}

bool bool_field(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_bool() && value->get_bool();
}

// "license": "MIT" | {"type": "MIT"}; the legacy "licenses": [{"type": "MIT"}, "ISC"].
std::string license_of(const json::object& object) {
  auto one = [](const json::value& value) -> std::string {
    if (value.is_string()) return std::string(value.get_string());
    if (value.is_object()) return string_field(value.get_object(), "type");
    return {};
  };
  if (const json::value* license = object.if_contains("license")) {
    if (std::string text = one(*license); !text.empty()) return text;
  }
  std::string joined;
  if (const json::value* licenses = object.if_contains("licenses");
      licenses != nullptr && licenses->is_array()) {
    for (const json::value& item : licenses->get_array()) {
      std::string text = one(item);
      if (text.empty()) continue;
      if (!joined.empty()) joined += ", ";
      joined += text;
    }
  }
  return joined;
}

// Packages keyed by (name, version); `dev` stays true only if every occurrence is dev-only.
struct Collected {
  Package package;
  bool dev = true;
};
using Collection = std::map<std::pair<std::string, std::string>, Collected>;

void add(Collection& out, std::string name, std::string version, std::string licenses, bool dev) {
  if (name.empty()) return;
  auto key = std::make_pair(name, version);
  auto [it, inserted] = out.try_emplace(std::move(key));
  Collected& entry = it->second;
  if (inserted) {
    entry.package.type = PackageType::npm;
    entry.package.name = std::move(name);
    entry.package.version = std::move(version);
  }
  if (entry.package.licenses.empty()) entry.package.licenses = std::move(licenses);
  entry.dev = entry.dev && dev;
}

// Lockfile v1: "dependencies": {name: {version, dev, dependencies: {...}}}, nested.
void collect_v1(const json::object& dependencies, Collection& out) {
  for (const auto& [key, value] : dependencies) {
    if (!value.is_object()) continue;
    const json::object& dep = value.get_object();
    add(out, std::string(key), string_field(dep, "version"), license_of(dep), bool_field(dep, "dev"));
    if (const json::value* nested = dep.if_contains("dependencies");
        nested != nullptr && nested->is_object()) {
      collect_v1(nested->get_object(), out);
    }
  }
}

// Lockfile v2/v3: "packages": {"node_modules/a/node_modules/@s/b": {version, dev, link, ...}}.
void collect_v2(const json::object& packages, Collection& out) {
  // Workspace directories ("packages/a") are packages only when a link names them.
  std::map<std::string, std::string, std::less<>> linked;  // link target -> link key
  for (const auto& [key, value] : packages) {
    if (!value.is_object() || !bool_field(value.get_object(), "link")) continue;
    std::string resolved = string_field(value.get_object(), "resolved");
    if (!resolved.empty()) linked.emplace(std::move(resolved), std::string(key));
  }
  for (const auto& [key, value] : packages) {
    if (key.empty() || !value.is_object()) continue;  // "" is the project itself
    const json::object& entry = value.get_object();
    if (bool_field(entry, "link")) continue;
    std::string_view path = key;
    std::string name = string_field(entry, "name");  // set when it differs from the folder (aliases)
    auto at = path.rfind(kNodeModules);
    if (at != std::string_view::npos && (at == 0 || path[at - 1] == '/')) {
      if (name.empty()) name = std::string(path.substr(at + kNodeModules.size()));
    } else if (auto link = linked.find(path); link != linked.end()) {
      if (name.empty()) {
        std::string_view link_path = link->second;
        auto link_at = link_path.rfind(kNodeModules);
        name = std::string(
            link_at == std::string_view::npos ? link_path : link_path.substr(link_at + kNodeModules.size()));
      }
    } else {
      continue;  // a directory of the project that nothing installs
    }
    add(out, std::move(name), string_field(entry, "version"), license_of(entry), bool_field(entry, "dev"));
  }
}

}  // namespace

base::Result<std::vector<Package>> parse_package_lock(std::string_view text, std::string_view path) {
  auto document = parse_json(text, path);
  if (!document) return std::move(document).error();
  const json::object& root = document->get_object();
  Collection collected;
  const json::value* packages = root.if_contains("packages");
  const json::value* dependencies = root.if_contains("dependencies");
  if (packages != nullptr && packages->is_object()) {
    collect_v2(packages->get_object(), collected);
  } else if (dependencies != nullptr && dependencies->is_object()) {
    collect_v1(dependencies->get_object(), collected);
  }
  std::vector<Package> out;
  for (auto& [key, entry] : collected) {
    if (!entry.dev) out.push_back(std::move(entry.package));
  }
  return out;
}

base::Result<std::vector<Package>> parse_package_json(std::string_view text, std::string_view path) {
  auto document = parse_json(text, path);
  if (!document) return std::move(document).error();
  const json::object& root = document->get_object();
  std::vector<Package> out;
  Package package;
  package.type = PackageType::npm;
  package.name = string_field(root, "name");
  package.version = string_field(root, "version");
  if (package.name.empty() || package.version.empty()) return out;
  package.licenses = license_of(root);
  out.push_back(std::move(package));
  return out;
}

}  // namespace berth::inventory::detail
