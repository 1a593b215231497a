// SQLite implementation of meta::ScanDatabase over the shared sqlite::Core.
#include <algorithm>
#include <set>

#include "meta/scan_database.h"
#include "meta/sqlite_core.h"

namespace berth::meta::sqlite {
namespace {

using base::Result;
using base::Status;

constexpr const char* kOverviewColumns =
    "digest, repository, status, db_version, severity, summary, error, sbom_digest, started_at, finished_at";

ScanRecord read_overview(const Statement& s) {
  ScanRecord r;
  r.digest = s.text(0);
  r.repository = s.text(1);
  r.status = s.text(2);
  r.db_version = s.int64(3);
  r.severity = s.text(4);
  r.summary = s.text(5);
  r.error = s.text(6);
  r.sbom_digest = s.text(7);
  r.started = from_millis(s.int64(8));
  r.finished = from_millis(s.int64(9));
  return r;
}

std::string join_lines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back('\n');
    out += item;
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

class SqliteScanDatabase final : public ScanDatabase {
 public:
  explicit SqliteScanDatabase(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  Status put_scan(const ScanRecord& r,
                  const std::vector<std::pair<std::string, std::string>>& packages) override {
    return core_->write("put_scan", [&](Connection& c) -> Status {
      if (auto s = c.run(
              "INSERT INTO scan_reports (digest, repository, status, db_version, severity, summary, report, "
              "inventory, vulnerabilities, error, sbom_digest, started_at, finished_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO UPDATE SET "
              "repository = excluded.repository, status = excluded.status, db_version = excluded.db_version, "
              "severity = excluded.severity, summary = excluded.summary, report = excluded.report, "
              "inventory = CASE WHEN excluded.inventory = '' THEN scan_reports.inventory ELSE "
              "excluded.inventory END, "
              "vulnerabilities = excluded.vulnerabilities, error = excluded.error, "
              "sbom_digest = CASE WHEN excluded.sbom_digest = '' THEN scan_reports.sbom_digest "
              "ELSE excluded.sbom_digest END, started_at = excluded.started_at, finished_at = "
              "excluded.finished_at",
              r.digest, r.repository, r.status, r.db_version, r.severity, r.summary, r.report, r.inventory,
              r.vulnerabilities, r.error, r.sbom_digest, to_millis(r.started), to_millis(r.finished));
          !s) {
        return s;
      }
      if (packages.empty()) return base::ok_status();
      if (auto s = c.run("DELETE FROM scan_packages WHERE digest = ?", r.digest); !s) return s;
      std::set<std::pair<std::string, std::string>> unique(packages.begin(), packages.end());
      for (const auto& [ecosystem, package] : unique) {
        if (auto s = c.run("INSERT INTO scan_packages (ecosystem, package, digest) VALUES (?, ?, ?)",
                           ecosystem, package, r.digest);
            !s) {
          return s;
        }
      }
      return base::ok_status();
    });
  }

  Status set_scan_status(const std::string& digest, const std::string& repository, const std::string& status,
                         const std::string& error) override {
    return core_->write("set_scan_status", [&](Connection& c) -> Status {
      const std::int64_t now = now_millis();
      const bool done = status == "Success" || status == "Error";
      return c.run(
          "INSERT INTO scan_reports (digest, repository, status, error, started_at, finished_at) "
          "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO UPDATE SET status = excluded.status, "
          "error = excluded.error, repository = excluded.repository, "
          "started_at = CASE WHEN excluded.status = 'Running' THEN excluded.started_at ELSE "
          "scan_reports.started_at END, "
          "finished_at = excluded.finished_at",
          digest, repository, status, error, now, done ? now : std::int64_t{0});
    });
  }

  Status set_sbom(const std::string& digest, const std::string& sbom_digest) override {
    return core_->write("set_sbom", [&](Connection& c) {
      return c.run("UPDATE scan_reports SET sbom_digest = ? WHERE digest = ?", sbom_digest, digest);
    });
  }

  Result<std::optional<ScanRecord>> get_scan(const std::string& digest, ScanDetail detail) override {
    return core_->read("get_scan", [&](Connection& c) -> Result<std::optional<ScanRecord>> {
      // The overview leaves out the two large columns.
      const std::string sql = std::string("SELECT ") + kOverviewColumns +
                              (detail == ScanDetail::full ? ", report, inventory" : ", '', ''") +
                              ", vulnerabilities FROM scan_reports WHERE digest = ?";
      auto stmt = c.prepare(sql);
      if (!stmt) return std::move(stmt).error();
      stmt->bind(digest);
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) return std::optional<ScanRecord>{};
      ScanRecord r = read_overview(*stmt);
      r.report = stmt->text(10);
      r.inventory = stmt->text(11);
      r.vulnerabilities = stmt->text(12);
      return std::optional<ScanRecord>(std::move(r));
    });
  }

  Result<std::vector<ScanRecord>> scan_overviews(const std::vector<std::string>& digests) override {
    return core_->read("scan_overviews", [&](Connection& c) -> Result<std::vector<ScanRecord>> {
      std::vector<ScanRecord> out;
      for (const auto& digest : digests) {
        auto s = c.prepare(std::string("SELECT ") + kOverviewColumns + " FROM scan_reports WHERE digest = ?");
        if (!s) return std::move(s).error();
        s->bind(digest);
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (*row) out.push_back(read_overview(*s));
      }
      return out;
    });
  }

  Result<std::vector<std::string>> scans_with_packages(
      const std::vector<std::pair<std::string, std::string>>& packages) override {
    return core_->read("scans_with_packages", [&](Connection& c) -> Result<std::vector<std::string>> {
      std::set<std::string> digests;
      for (const auto& [ecosystem, package] : packages) {
        auto stmt = c.prepare("SELECT digest FROM scan_packages WHERE ecosystem = ? AND package = ?");
        if (!stmt) return std::move(stmt).error();
        stmt->bind(ecosystem, package);
        auto found = collect_strings(*stmt);
        if (!found) return std::move(found).error();
        digests.insert(found->begin(), found->end());
      }
      return std::vector<std::string>(digests.begin(), digests.end());
    });
  }

  Result<std::vector<std::string>> scans_older_than(std::int64_t version) override {
    return core_->read("scans_older_than", [&](Connection& c) -> Result<std::vector<std::string>> {
      auto stmt = c.prepare(
          "SELECT digest FROM scan_reports WHERE status = 'Success' AND db_version < ? ORDER BY digest");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(version);
      return collect_strings(*stmt);
    });
  }

  Status delete_scan(const std::string& digest) override {
    return core_->write("delete_scan", [&](Connection& c) -> Status {
      if (auto s = c.run("DELETE FROM scan_packages WHERE digest = ?", digest); !s) return s;
      return c.run("DELETE FROM scan_reports WHERE digest = ?", digest);
    });
  }

  Result<std::map<std::string, std::int64_t>> count_by_status() override {
    return core_->read("count_scans", [&](Connection& c) -> Result<std::map<std::string, std::int64_t>> {
      auto stmt = c.prepare("SELECT status, COUNT(*) FROM scan_reports GROUP BY status");
      if (!stmt) return std::move(stmt).error();
      std::map<std::string, std::int64_t> out;
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::move(row).error();
        if (!*row) return out;
        out[stmt->text(0)] = stmt->int64(1);
      }
    });
  }

  Result<CveAllowlist> get_allowlist(std::int64_t project_id) override {
    return core_->read("get_allowlist", [&](Connection& c) -> Result<CveAllowlist> {
      auto stmt = c.prepare("SELECT expires_at, items, updated_at FROM cve_allowlists WHERE project_id = ?");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(project_id);
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      CveAllowlist list;
      list.project_id = project_id;
      if (!*row) return list;
      list.expires_at = stmt->int64(0);
      list.cve_ids = split_lines(stmt->text(1));
      list.updated = from_millis(stmt->int64(2));
      return list;
    });
  }

  Status put_allowlist(const CveAllowlist& list) override {
    return core_->write("put_allowlist", [&](Connection& c) {
      return c.run(
          "INSERT INTO cve_allowlists (project_id, expires_at, items, updated_at) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (project_id) DO UPDATE SET expires_at = excluded.expires_at, items = excluded.items, "
          "updated_at = excluded.updated_at",
          list.project_id, list.expires_at, join_lines(list.cve_ids), now_millis());
    });
  }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<ScanDatabase> make_scan_database(std::shared_ptr<Core> core) {
  return std::make_unique<SqliteScanDatabase>(std::move(core));
}

}  // namespace berth::meta::sqlite
