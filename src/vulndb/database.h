// The vulnerability database as the scanner uses it: imports stored as one source each,
// lookups decoded into the model. Thread-safe (the storage is).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "meta/vuln_database.h"
#include "vulndb/model.h"

namespace berth::vulndb {

class Database {
 public:
  explicit Database(std::unique_ptr<meta::VulnDatabase> storage) : storage_(std::move(storage)) {}

  // Opens (creating if needed) the database file at `path`.
  static base::Result<std::unique_ptr<Database>> open(const std::string& path);

  // Makes `advisories` everything the source `name` says (rows it no longer has go away).
  base::Result<meta::VulnChange> import(const std::string& name, const std::string& location,
                                        const Advisories& advisories);

  // Every source's statements about one package.
  base::Result<std::vector<Affected>> affected(std::string_view ecosystem, std::string_view package);

  // One vulnerability's details merged over the sources that describe it (the first text,
  // the highest CVSS-derived or stated severity); nothing when no source describes it.
  base::Result<std::optional<Vulnerability>> vulnerability(std::string_view id);

  base::Result<meta::VulnDbInfo> info();

 private:
  std::unique_ptr<meta::VulnDatabase> storage_;
};

}  // namespace berth::vulndb
