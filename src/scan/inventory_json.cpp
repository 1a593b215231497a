#include "scan/inventory_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace berth::scan {
namespace json = boost::json;
using inventory::PackageType;

namespace {

constexpr PackageType kTypes[] = {
    PackageType::dpkg,  PackageType::apk,      PackageType::rpm,   PackageType::npm,   PackageType::python,
    PackageType::gomod, PackageType::gobinary, PackageType::maven, PackageType::cargo, PackageType::gem};

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

std::string encode_inventory(const inventory::Inventory& inv) {
  json::object root;
  root["os"] = {{"family", inv.os.family},
                {"version", inv.os.version},
                {"codename", inv.os.codename},
                {"pretty_name", inv.os.pretty_name}};
  json::array packages;
  packages.reserve(inv.packages.size());
  for (const auto& p : inv.packages) {
    json::object o{{"type", inventory::type_name(p.type)}, {"name", p.name}, {"version", p.version}};
    auto put = [&](std::string_view key, const std::string& value) {
      if (!value.empty()) o[key] = value;
    };
    put("epoch", p.epoch);
    put("arch", p.arch);
    put("source_name", p.source_name);
    put("source_version", p.source_version);
    put("licenses", p.licenses);
    put("path", p.path);
    put("purl", p.purl);
    packages.push_back(std::move(o));
  }
  root["packages"] = std::move(packages);
  json::array warnings;
  for (const auto& w : inv.warnings) warnings.emplace_back(w);
  root["warnings"] = std::move(warnings);
  return json::serialize(root);
}

base::Result<inventory::Inventory> decode_inventory(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return base::make_error(base::Errc::corrupt, "stored inventory is not JSON");
  const auto& root = v.get_object();
  inventory::Inventory inv;
  if (const auto* os = root.if_contains("os"); os != nullptr && os->is_object()) {
    const auto& o = os->get_object();
    inv.os = {str(o, "family"), str(o, "version"), str(o, "codename"), str(o, "pretty_name")};
  }
  if (const auto* packages = root.if_contains("packages"); packages != nullptr && packages->is_array()) {
    for (const auto& pv : packages->get_array()) {
      if (!pv.is_object()) continue;
      const auto& o = pv.get_object();
      inventory::Package p;
      const std::string type = str(o, "type");
      bool known = false;
      for (PackageType t : kTypes) {
        if (inventory::type_name(t) == type) {
          p.type = t;
          known = true;
        }
      }
      if (!known)
        return base::make_error(base::Errc::corrupt, "stored inventory has unknown package type " + type);
      p.name = str(o, "name");
      p.version = str(o, "version");
      p.epoch = str(o, "epoch");
      p.arch = str(o, "arch");
      p.source_name = str(o, "source_name");
      p.source_version = str(o, "source_version");
      p.licenses = str(o, "licenses");
      p.path = str(o, "path");
      p.purl = str(o, "purl");
      inv.packages.push_back(std::move(p));
    }
  }
  if (const auto* warnings = root.if_contains("warnings"); warnings != nullptr && warnings->is_array()) {
    for (const auto& w : warnings->get_array()) {
      if (w.is_string()) inv.warnings.emplace_back(w.get_string());
    }
  }
  return inv;
}

}  // namespace berth::scan
