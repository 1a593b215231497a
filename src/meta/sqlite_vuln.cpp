// The SQLite implementation of meta::VulnDatabase: its own file, its own schema.
#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_map>

#include "meta/sqlite_core.h"
#include "meta/vuln_database.h"

namespace berth::meta {
namespace {

using base::Result;
using sqlite::Connection;
using sqlite::Core;

constexpr const char* kVulnSchemaV1 = R"sql(
CREATE TABLE affected (
  source    TEXT NOT NULL,
  ecosystem TEXT NOT NULL,
  package   TEXT NOT NULL,
  vuln_id   TEXT NOT NULL,
  spec      TEXT NOT NULL,
  hash      INTEGER NOT NULL,
  PRIMARY KEY (source, ecosystem, package, vuln_id)
) WITHOUT ROWID;
CREATE INDEX affected_by_package ON affected (ecosystem, package);
CREATE TABLE detail (
  vuln_id TEXT NOT NULL,
  source  TEXT NOT NULL,
  doc     TEXT NOT NULL,
  hash    INTEGER NOT NULL,
  PRIMARY KEY (vuln_id, source)
) WITHOUT ROWID;
CREATE INDEX detail_by_source ON detail (source);
CREATE TABLE source (
  name            TEXT PRIMARY KEY,
  location        TEXT NOT NULL,
  affected_rows   INTEGER NOT NULL,
  vulnerabilities INTEGER NOT NULL,
  imported_at     INTEGER NOT NULL
);
CREATE TABLE state (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO state (key, value) VALUES ('version', 0), ('updated_at', 0);
)sql";

constexpr const char* const kVulnMigrations[] = {kVulnSchemaV1};

// FNV-1a: a stable 64-bit fingerprint of a row's text, to tell changed rows from equal ones
// without reading the stored text back.
std::int64_t fingerprint(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<std::int64_t>(h);
}

std::string row_key(std::string_view ecosystem, std::string_view package, std::string_view id) {
  std::string key;
  key.reserve(ecosystem.size() + package.size() + id.size() + 2);
  key.append(ecosystem).push_back('\0');
  key.append(package).push_back('\0');
  key.append(id);
  return key;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SqliteVulnDatabase final : public VulnDatabase {
 public:
  explicit SqliteVulnDatabase(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  Result<VulnChange> replace_source(const VulnSource& source, std::vector<VulnAffectedRow> rows,
                                    std::vector<VulnDetailRow> details) override {
    return core_->write(
        "vulndb.replace_source",
        [&](Connection& c) -> Result<VulnChange> {
          VulnChange change;
          std::set<std::pair<std::string, std::string>> touched;
          if (auto s = sync_rows(c, source.name, rows, change, touched); !s) return std::move(s).error();
          if (auto s = sync_details(c, source.name, details, change); !s) return std::move(s).error();
          change.packages.assign(touched.begin(), touched.end());

          std::set<std::string> ids;
          for (const auto& d : details) ids.insert(d.vuln_id);
          for (const auto& r : rows) ids.insert(r.vuln_id);
          if (auto s = c.run(
                  "INSERT INTO source (name, location, affected_rows, vulnerabilities, imported_at) "
                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET location = excluded.location, "
                  "affected_rows = excluded.affected_rows, vulnerabilities = excluded.vulnerabilities, "
                  "imported_at = excluded.imported_at",
                  source.name, source.location, static_cast<std::int64_t>(rows.size()),
                  static_cast<std::int64_t>(ids.size()), now_ms());
              !s) {
            return std::move(s).error();
          }
          const bool changed = change.added + change.changed + change.removed + change.details_changed > 0;
          if (changed) {
            if (auto s = c.run("UPDATE state SET value = value + 1 WHERE key = 'version'"); !s)
              return std::move(s).error();
            if (auto s = c.run("UPDATE state SET value = ? WHERE key = 'updated_at'", now_ms()); !s)
              return std::move(s).error();
          }
          auto version = read_state(c, "version");
          if (!version) return std::move(version).error();
          change.version = *version;
          return change;
        },
        Core::Sync::relaxed);
  }

  Result<std::vector<VulnAffectedRow>> affected(std::string_view ecosystem,
                                                std::string_view package) override {
    return core_->read("vulndb.affected", [&](Connection& c) -> Result<std::vector<VulnAffectedRow>> {
      auto stmt = c.prepare(
          "SELECT vuln_id, spec FROM affected WHERE ecosystem = ? AND package = ? ORDER BY vuln_id, source");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(ecosystem, package);
      std::vector<VulnAffectedRow> out;
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::move(row).error();
        if (!*row) return out;
        out.push_back({std::string(ecosystem), std::string(package), stmt->text(0), stmt->text(1)});
      }
    });
  }

  Result<std::vector<VulnDetailRow>> details(std::string_view vuln_id) override {
    return core_->read("vulndb.details", [&](Connection& c) -> Result<std::vector<VulnDetailRow>> {
      auto stmt = c.prepare("SELECT source, doc FROM detail WHERE vuln_id = ? ORDER BY source");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(vuln_id);
      std::vector<VulnDetailRow> out;
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::move(row).error();
        if (!*row) return out;
        out.push_back({std::string(vuln_id), stmt->text(0), stmt->text(1)});
      }
    });
  }

  Result<VulnDbInfo> info() override {
    return core_->read("vulndb.info", [&](Connection& c) -> Result<VulnDbInfo> {
      VulnDbInfo info;
      auto version = read_state(c, "version");
      if (!version) return std::move(version).error();
      info.version = *version;
      auto updated = read_state(c, "updated_at");
      if (!updated) return std::move(updated).error();
      info.updated_at_ms = *updated;
      auto stmt = c.prepare(
          "SELECT name, location, affected_rows, vulnerabilities, imported_at FROM source ORDER BY name");
      if (!stmt) return std::move(stmt).error();
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::move(row).error();
        if (!*row) return info;
        info.sources.push_back(
            {stmt->text(0), stmt->text(1), stmt->int64(2), stmt->int64(3), stmt->int64(4)});
      }
    });
  }

 private:
  static Result<std::int64_t> read_state(Connection& c, const char* key) {
    auto stmt = c.prepare("SELECT value FROM state WHERE key = ?");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(key);
    auto value = sqlite::optional_int64(*stmt);
    if (!value) return std::move(value).error();
    return value->value_or(0);
  }

  static base::Status sync_rows(Connection& c, const std::string& source,
                                const std::vector<VulnAffectedRow>& rows, VulnChange& change,
                                std::set<std::pair<std::string, std::string>>& touched) {
    // What the source said before: key -> fingerprint.
    std::unordered_map<std::string, std::int64_t> before;
    {
      auto stmt = c.prepare("SELECT ecosystem, package, vuln_id, hash FROM affected WHERE source = ?");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(source);
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        before.emplace(row_key(stmt->text(0), stmt->text(1), stmt->text(2)), stmt->int64(3));
      }
    }
    std::unordered_map<std::string, bool> seen;
    seen.reserve(rows.size());
    for (const auto& r : rows) {
      std::string key = row_key(r.ecosystem, r.package, r.vuln_id);
      const std::int64_t hash = fingerprint(r.spec);
      auto it = before.find(key);
      if (it != before.end() && it->second == hash) {
        seen[key] = true;
        continue;
      }
      if (it == before.end() && seen.count(key) == 0) {
        ++change.added;
      } else {
        ++change.changed;
      }
      seen[key] = true;
      if (it != before.end()) it->second = hash;
      touched.emplace(r.ecosystem, r.package);
      if (auto s =
              c.run("INSERT INTO affected (source, ecosystem, package, vuln_id, spec, hash) VALUES (?, ?, ?, "
                    "?, ?, ?) "
                    "ON CONFLICT (source, ecosystem, package, vuln_id) DO UPDATE SET spec = excluded.spec, "
                    "hash = excluded.hash",
                    source, r.ecosystem, r.package, r.vuln_id, r.spec, hash);
          !s) {
        return s;
      }
    }
    for (const auto& [key, hash] : before) {
      if (seen.count(key) != 0) continue;
      const auto first = key.find('\0');
      const auto second = key.find('\0', first + 1);
      std::string ecosystem = key.substr(0, first);
      std::string package = key.substr(first + 1, second - first - 1);
      std::string id = key.substr(second + 1);
      if (auto s =
              c.run("DELETE FROM affected WHERE source = ? AND ecosystem = ? AND package = ? AND vuln_id = ?",
                    source, ecosystem, package, id);
          !s) {
        return s;
      }
      ++change.removed;
      touched.emplace(std::move(ecosystem), std::move(package));
    }
    return base::ok_status();
  }

  static base::Status sync_details(Connection& c, const std::string& source,
                                   const std::vector<VulnDetailRow>& details, VulnChange& change) {
    std::unordered_map<std::string, std::int64_t> before;
    {
      auto stmt = c.prepare("SELECT vuln_id, hash FROM detail WHERE source = ?");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(source);
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        before.emplace(stmt->text(0), stmt->int64(1));
      }
    }
    std::unordered_map<std::string, bool> seen;
    for (const auto& d : details) {
      const std::int64_t hash = fingerprint(d.doc);
      auto it = before.find(d.vuln_id);
      seen[d.vuln_id] = true;
      if (it != before.end() && it->second == hash) continue;
      if (it != before.end()) it->second = hash;
      ++change.details_changed;
      if (auto s =
              c.run("INSERT INTO detail (vuln_id, source, doc, hash) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (vuln_id, source) DO UPDATE SET doc = excluded.doc, hash = excluded.hash",
                    d.vuln_id, source, d.doc, hash);
          !s) {
        return s;
      }
    }
    for (const auto& [id, hash] : before) {
      if (seen.count(id) != 0) continue;
      if (auto s = c.run("DELETE FROM detail WHERE vuln_id = ? AND source = ?", id, source); !s) return s;
      ++change.details_changed;
    }
    return base::ok_status();
  }

  std::shared_ptr<Core> core_;
};

}  // namespace

Result<std::unique_ptr<VulnDatabase>> open_sqlite_vulndb(const std::string& path) {
  auto core = Core::open(path, kVulnMigrations);
  if (!core) return std::move(core).error();
  return std::unique_ptr<VulnDatabase>(std::make_unique<SqliteVulnDatabase>(std::move(*core)));
}

}  // namespace berth::meta
