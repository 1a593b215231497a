// Python: the core metadata of an installed distribution (*.dist-info/METADATA,
// *.egg-info/PKG-INFO or an .egg-info file): RFC 822 style headers up to the first blank line,
// after which the long description starts.
#include <string>

#include "base/text.h"
#include "inventory/analyzers.h"

namespace berth::inventory::detail {
namespace {

using base::iequals;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

}  // namespace

base::Result<std::vector<Package>> parse_python_metadata(std::string_view text, std::string_view /*path*/) {
  std::string name;
  std::string version;
  std::string license_expression;
  std::string license;
  std::string classifier_license;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;                                    // end of the headers
    if (line.front() == ' ' || line.front() == '\t') continue;  // a folded continuation: first lines suffice
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (iequals(key, "Name")) {
      name = value;
    } else if (iequals(key, "Version")) {
      version = value;
    } else if (iequals(key, "License-Expression")) {
      license_expression = value;
    } else if (iequals(key, "License")) {
      if (value != "UNKNOWN") license = value;
    } else if (iequals(key, "Classifier") && classifier_license.empty() && value.starts_with("License :: ")) {
      // "License :: OSI Approved :: MIT License" -> "MIT License"
      auto last = value.rfind(" :: ");
      classifier_license = value.substr(last + 4);
    }
  }
  std::vector<Package> out;
  if (name.empty() || version.empty()) return out;
  Package package;
  package.type = PackageType::python;
  package.name = std::move(name);
  package.version = std::move(version);
  // License-Expression (PEP 639) supersedes License, which supersedes the classifiers.
  package.licenses = !license_expression.empty() ? std::move(license_expression)
                     : !license.empty()          ? std::move(license)
                                                 : std::move(classifier_license);
  out.push_back(std::move(package));
  return out;
}

}  // namespace berth::inventory::detail
