#include "scan/formats.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdio>

#include "base/random.h"
#include "base/time.h"

namespace berth::scan {
namespace json = boost::json;
using vulndb::Severity;

namespace {

std::string now_seconds() {
  return base::format_rfc3339(std::chrono::system_clock::now());
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() > width) return s.substr(0, width - 1) + "~";
  s.resize(width, ' ');
  return s;
}

const char* kSeverityOrder[] = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"};

json::array strings(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& s : items) out.emplace_back(s);
  return out;
}

std::string os_label(const inventory::OperatingSystem& os) {
  if (!os.found()) return "unknown";
  std::string label = os.family + " " + os.version;
  if (!os.codename.empty()) label += " (" + os.codename + ")";
  return label;
}

// A declared license as an SPDX expression when it plainly is one, else NOASSERTION.
std::string spdx_license(std::string_view declared) {
  if (declared.empty() || declared.size() > 200) return "NOASSERTION";
  for (char c : declared) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' ||
                    c == ' ' || c == '(' || c == ')';
    if (!ok) return "NOASSERTION";
  }
  return std::string(declared);
}

std::string spdx_id(std::string_view prefix, std::size_t n) {
  return std::string(prefix) + "-" + std::to_string(n);
}

}  // namespace

std::string_view harbor_severity(Severity severity) {
  switch (severity) {
    case Severity::critical:
      return "Critical";
    case Severity::high:
      return "High";
    case Severity::medium:
      return "Medium";
    case Severity::low:
      return "Low";
    case Severity::unknown:
      return "Unknown";
  }
  return "Unknown";
}

std::string format_table(const Report& report, const Subject& subject) {
  std::string out;
  out += subject.name + " (" + os_label(report.inventory.os) + ")\n";
  out += "packages: " + std::to_string(report.inventory.packages.size()) +
         "   vulnerability database version: " + std::to_string(report.db_version) + "\n";
  for (const auto& w : report.inventory.warnings) out += "warning: " + w + "\n";
  out += "\n";
  out += pad("PACKAGE", 24) + " " + pad("VULNERABILITY", 20) + " " + pad("SEVERITY", 9) + " " +
         pad("STATUS", 13) + " " + pad("INSTALLED", 26) + " " + pad("FIXED", 26) + "\n";
  for (const auto& f : report.findings) {
    out += pad(f.package.name, 24) + " " + pad(f.vuln_id, 20) + " " +
           pad(std::string(vulndb::severity_name(f.severity)), 9) + " " +
           pad(std::string(vulndb::status_name(f.status)), 13) + " " + pad(f.package.version, 26) + " " +
           pad(f.fixed_version, 26) + "\n";
  }
  const auto counts = count_by_severity(report);
  out += "\nTotal: " + std::to_string(report.findings.size()) + " (";
  bool first = true;
  for (const char* name : kSeverityOrder) {
    const auto it = counts.find(vulndb::severity_from_name(name));
    out += std::string(first ? "" : ", ") + name + ": " + std::to_string(it == counts.end() ? 0 : it->second);
    first = false;
  }
  out += ")\n";
  return out;
}

std::string harbor_report(const Report& report, const Subject& subject, const Tool& tool) {
  json::object root;
  root["generated_at"] = report.generated_at.empty() ? now_seconds() : report.generated_at;
  root["artifact"] = {
      {"repository", subject.name}, {"digest", subject.digest}, {"mime_type", subject.media_type}};
  root["scanner"] = {{"name", tool.name}, {"vendor", tool.vendor}, {"version", tool.version}};
  const auto highest = highest_severity(report);
  root["severity"] = highest ? harbor_severity(*highest) : "None";
  json::array items;
  for (const auto& f : report.findings) {
    json::object item;
    item["id"] = f.vuln_id;
    item["package"] = f.package.name;
    item["version"] = f.package.version;
    item["fix_version"] = f.fixed_version;
    item["severity"] = harbor_severity(f.severity);
    const auto d = report.details.find(f.vuln_id);
    const vulndb::Vulnerability* v = d == report.details.end() ? nullptr : &d->second;
    item["description"] = v != nullptr ? (v->description.empty() ? v->title : v->description) : "";
    item["links"] = v != nullptr ? strings(v->references) : json::array();
    json::object cvss;
    if (v != nullptr && !v->cvss_v3_vector.empty()) {
      cvss["score_v3"] = v->cvss_v3_score;
      cvss["vector_v3"] = v->cvss_v3_vector;
    }
    item["preferred_cvss"] = std::move(cvss);
    item["cwe_ids"] = json::array();
    json::object vendor;
    vendor["status"] = vulndb::status_name(f.status);
    vendor["package_type"] = inventory::type_name(f.package.type);
    vendor["package_path"] = f.package.path;
    vendor["purl"] = f.package.purl;
    if (!f.package.source_name.empty()) {
      vendor["source_package"] = f.package.source_name;
      vendor["source_version"] = f.package.source_version;
    }
    if (!f.severity_source.empty()) vendor["severity_source"] = f.severity_source;
    if (!f.vendor_ids.empty()) vendor["vendor_ids"] = strings(f.vendor_ids);
    if (v != nullptr && !v->title.empty()) vendor["title"] = v->title;
    if (v != nullptr && !v->aliases.empty()) vendor["aliases"] = strings(v->aliases);
    if (v != nullptr && !v->cvss_v4_vector.empty()) {
      vendor["cvss_v4"] = {{"score", v->cvss_v4_score}, {"vector", v->cvss_v4_vector}};
    }
    item["vendor_attributes"] = std::move(vendor);
    items.push_back(std::move(item));
  }
  root["vulnerabilities"] = std::move(items);
  return json::serialize(root);
}

std::string cyclonedx(const inventory::Inventory& inventory, const Subject& subject, const Tool& tool) {
  json::object bom;
  bom["bomFormat"] = "CycloneDX";
  bom["specVersion"] = "1.5";
  bom["serialNumber"] = "urn:uuid:" + base::random_uuid();
  bom["version"] = 1;
  const std::string image_ref = subject.digest.empty() ? "image" : subject.digest;
  json::object image{{"bom-ref", image_ref}, {"type", "container"}, {"name", subject.name}};
  if (!subject.digest.empty()) image["version"] = subject.digest;
  bom["metadata"] = {
      {"timestamp", now_seconds()},
      {"tools",
       {{"components", json::array{json::object{
                           {"type", "application"}, {"name", tool.name}, {"version", tool.version}}}}}},
      {"component", std::move(image)}};
  json::array components;
  json::array depends;
  if (inventory.os.found()) {
    components.push_back(json::object{{"bom-ref", "os:" + inventory.os.family + "@" + inventory.os.version},
                                      {"type", "operating-system"},
                                      {"name", inventory.os.family},
                                      {"version", inventory.os.version}});
    depends.emplace_back("os:" + inventory.os.family + "@" + inventory.os.version);
  }
  std::size_t n = 0;
  for (const auto& p : inventory.packages) {
    ++n;
    // A purl can repeat (the same package found in two places); the bom-ref must not.
    const std::string ref = (p.purl.empty() ? p.name + "@" + p.version : p.purl) + "#" + std::to_string(n);
    json::object c{{"bom-ref", ref}, {"type", "library"}, {"name", p.name}, {"version", p.version}};
    if (!p.purl.empty()) c["purl"] = p.purl;
    if (!p.licenses.empty()) c["licenses"] = json::array{json::object{{"license", {{"name", p.licenses}}}}};
    json::array properties{
        json::object{{"name", "berth:package:type"}, {"value", inventory::type_name(p.type)}},
        json::object{{"name", "berth:package:path"}, {"value", p.path}}};
    if (!p.source_name.empty()) {
      properties.push_back(json::object{{"name", "berth:package:source_name"}, {"value", p.source_name}});
      properties.push_back(
          json::object{{"name", "berth:package:source_version"}, {"value", p.source_version}});
    }
    c["properties"] = std::move(properties);
    components.push_back(std::move(c));
    depends.emplace_back(ref);
  }
  bom["components"] = std::move(components);
  bom["dependencies"] = json::array{json::object{{"ref", image_ref}, {"dependsOn", std::move(depends)}}};
  return json::serialize(bom);
}

std::string spdx(const inventory::Inventory& inventory, const Subject& subject, const Tool& tool) {
  json::object doc;
  doc["spdxVersion"] = "SPDX-2.3";
  doc["dataLicense"] = "CC0-1.0";
  doc["SPDXID"] = "SPDXRef-DOCUMENT";
  doc["name"] = subject.name;
  doc["documentNamespace"] = "https://spdx.org/spdxdocs/berth/" + base::random_uuid();
  doc["creationInfo"] = {{"created", now_seconds()},
                         {"creators", json::array{"Tool: " + tool.name + "-" + tool.version}}};
  json::array packages;
  json::array relationships;
  json::object image{{"name", subject.name},
                     {"SPDXID", "SPDXRef-Image"},
                     {"downloadLocation", "NOASSERTION"},
                     {"filesAnalyzed", false},
                     {"primaryPackagePurpose", "CONTAINER"}};
  if (!subject.digest.empty()) image["versionInfo"] = subject.digest;
  packages.push_back(std::move(image));
  relationships.push_back(json::object{{"spdxElementId", "SPDXRef-DOCUMENT"},
                                       {"relationshipType", "DESCRIBES"},
                                       {"relatedSpdxElement", "SPDXRef-Image"}});
  if (inventory.os.found()) {
    packages.push_back(json::object{{"name", inventory.os.family},
                                    {"SPDXID", "SPDXRef-OperatingSystem"},
                                    {"versionInfo", inventory.os.version},
                                    {"downloadLocation", "NONE"},
                                    {"filesAnalyzed", false},
                                    {"primaryPackagePurpose", "OPERATING-SYSTEM"}});
    relationships.push_back(json::object{{"spdxElementId", "SPDXRef-Image"},
                                         {"relationshipType", "CONTAINS"},
                                         {"relatedSpdxElement", "SPDXRef-OperatingSystem"}});
  }
  std::size_t n = 0;
  for (const auto& p : inventory.packages) {
    const std::string id = spdx_id("SPDXRef-Package", ++n);
    json::object pkg{{"name", p.name},
                     {"SPDXID", id},
                     {"versionInfo", p.version},
                     {"downloadLocation", "NONE"},
                     {"filesAnalyzed", false},
                     {"licenseConcluded", "NOASSERTION"},
                     {"licenseDeclared", spdx_license(p.licenses)},
                     {"primaryPackagePurpose", "LIBRARY"}};
    if (!p.source_name.empty()) pkg["sourceInfo"] = "built from " + p.source_name + " " + p.source_version;
    if (!p.purl.empty()) {
      pkg["externalRefs"] = json::array{json::object{
          {"referenceCategory", "PACKAGE-MANAGER"}, {"referenceType", "purl"}, {"referenceLocator", p.purl}}};
    }
    packages.push_back(std::move(pkg));
    relationships.push_back(json::object{
        {"spdxElementId", "SPDXRef-Image"}, {"relationshipType", "CONTAINS"}, {"relatedSpdxElement", id}});
  }
  doc["packages"] = std::move(packages);
  doc["relationships"] = std::move(relationships);
  return json::serialize(doc);
}

}  // namespace berth::scan
