// SQLite implementation of meta::Database's storage lifecycle: the per-project usage that
// manifest writes and deletes keep (schema v6 says what counts), its check from scratch, and
// the reads and writes garbage collection is made of.

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "meta/sqlite_registry.h"

namespace berth::meta::sqlite {

using base::Errc;
using base::Result;
using base::Status;

namespace {

// The project of a repository name in SQL (as project_of does it).
#define BERTH_SQLITE_PROJECT_OF(name) \
  "CASE instr(" name ", '/') WHEN 0 THEN " name " ELSE substr(" name ", 1, instr(" name ", '/') - 1) END"

Status change_usage(Connection& c, const std::string& project, std::int64_t delta) {
  if (delta == 0) return base::ok_status();
  return c.run(
      "INSERT INTO project_usage(project, used_storage, updated_at) VALUES(?1, ?2, ?3) "
      "ON CONFLICT(project) DO UPDATE SET used_storage = used_storage + excluded.used_storage, "
      "updated_at = excluded.updated_at",
      project, delta, now_millis());
}

Result<std::int64_t> blob_row_size(Connection& c, const std::string& digest) {
  auto stmt = c.prepare("SELECT size FROM blobs WHERE digest = ?1");
  if (!stmt) return std::move(stmt).error();
  auto size = optional_int64(stmt->bind(digest));
  if (!size) return std::move(size).error();
  if (!*size) return base::make_error(Errc::internal, "blob " + digest + " has no row");
  return **size;
}

// Adds (+1) or removes (-1) one use of `digest` by `project`; returns the bytes the usage
// changes by (the blob's size when it is the first use or the last, else 0).
Result<std::int64_t> count_use(Connection& c, const std::string& project, const std::string& digest, int step,
                               std::optional<std::int64_t> known_size) {
  std::optional<std::int64_t> refs;
  if (step > 0) {
    auto stmt = c.prepare(
        "INSERT INTO project_blobs(project, digest, refs) VALUES(?1, ?2, 1) "
        "ON CONFLICT(project, digest) DO UPDATE SET refs = refs + 1 RETURNING refs");
    if (!stmt) return std::move(stmt).error();
    auto n = optional_int64(stmt->bind(project, digest));
    if (!n) return std::move(n).error();
    refs = *n;
  } else {
    auto stmt = c.prepare(
        "UPDATE project_blobs SET refs = refs - 1 WHERE project = ?1 AND digest = ?2 RETURNING refs");
    if (!stmt) return std::move(stmt).error();
    auto n = optional_int64(stmt->bind(project, digest));
    if (!n) return std::move(n).error();
    if (!*n) return std::int64_t{0};  // never counted (written before accounting existed, then lost)
    refs = *n;
    if (*refs == 0) {
      if (auto s = c.run("DELETE FROM project_blobs WHERE project = ?1 AND digest = ?2", project, digest); !s)
        return std::move(s).error();
    }
  }
  const bool boundary = step > 0 ? refs == 1 : refs == 0;
  if (!boundary) return std::int64_t{0};
  if (known_size) return step * *known_size;
  auto size = blob_row_size(c, digest);
  if (!size) return size;
  return step * *size;
}

}  // namespace

std::string_view project_of(std::string_view repository) {
  return repository.substr(0, repository.find('/'));
}

Result<std::int64_t> retain_uses(Connection& c, const std::string& project, const std::string& manifest,
                                 std::int64_t manifest_size, const std::vector<std::string>& blobs) {
  std::int64_t added = 0;
  auto own = count_use(c, project, manifest, +1, manifest_size);
  if (!own) return own;
  added += *own;
  std::unordered_set<std::string_view> seen{manifest};
  for (const auto& digest : blobs) {
    if (!seen.insert(digest).second) continue;
    auto grew = count_use(c, project, digest, +1, std::nullopt);
    if (!grew) return grew;
    added += *grew;
  }
  if (auto s = change_usage(c, project, added); !s) return std::move(s).error();
  return added;
}

Result<std::int64_t> release_uses(Connection& c, const std::string& project, std::int64_t repository_id,
                                  const std::string& manifest) {
  std::vector<std::string> uses{manifest};
  {
    auto stmt = c.prepare(
        "SELECT child_digest FROM manifest_references "
        "WHERE repository_id = ?1 AND manifest_digest = ?2 AND kind = 'blob' AND child_digest <> ?2");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(repository_id, manifest);
    auto children = collect_strings(*stmt);
    if (!children) return std::move(children).error();
    uses.insert(uses.end(), children->begin(), children->end());
  }
  std::int64_t freed = 0;
  for (const auto& digest : uses) {
    auto shrank = count_use(c, project, digest, -1, std::nullopt);
    if (!shrank) return shrank;
    freed -= *shrank;
  }
  if (auto s = change_usage(c, project, -freed); !s) return std::move(s).error();
  return freed;
}

// --- storage accounting -------------------------------------------------------------------

Result<StorageUsage> SqliteDatabase::project_storage(const std::string& project) {
  return core_->read("project_storage", [&](Connection& c) -> Result<StorageUsage> {
    StorageUsage usage;
    auto used = c.prepare("SELECT used_storage FROM project_usage WHERE project = ?1");
    if (!used) return std::move(used).error();
    auto n = optional_int64(used->bind(project));
    if (!n) return std::move(n).error();
    usage.used = n->value_or(0);
    auto hard = c.prepare(
        "SELECT q.hard_storage FROM quotas q JOIN projects p ON p.id = q.project_id WHERE p.name = ?1");
    if (!hard) return std::move(hard).error();
    auto h = optional_int64(hard->bind(project));
    if (!h) return std::move(h).error();
    usage.hard = h->value_or(-1);
    return usage;
  });
}

Result<std::int64_t> SqliteDatabase::registry_storage() {
  return core_->read("registry_storage", [&](Connection& c) -> Result<std::int64_t> {
    auto stmt = c.prepare("SELECT COALESCE(SUM(used_storage), 0) FROM project_usage");
    if (!stmt) return std::move(stmt).error();
    auto n = optional_int64(*stmt);
    if (!n) return std::move(n).error();
    return n->value_or(0);
  });
}

Result<RegistryCounts> SqliteDatabase::registry_counts() {
  return core_->read("registry_counts", [&](Connection& c) -> Result<RegistryCounts> {
    auto stmt = c.prepare(
        "SELECT (SELECT COUNT(*) FROM projects), (SELECT COUNT(*) FROM repositories), "
        "(SELECT COUNT(*) FROM manifests), (SELECT COALESCE(SUM(used_storage), 0) FROM project_usage), "
        "(SELECT COALESCE(SUM(size), 0) FROM blobs)");
    if (!stmt) return std::move(stmt).error();
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    return RegistryCounts{stmt->int64(0), stmt->int64(1), stmt->int64(2), stmt->int64(3), stmt->int64(4)};
  });
}

Result<bool> SqliteDatabase::project_uses(const std::string& project, const std::string& digest) {
  return core_->read("project_uses", [&](Connection& c) -> Result<bool> {
    auto stmt = c.prepare("SELECT 1 FROM project_blobs WHERE project = ?1 AND digest = ?2");
    if (!stmt) return std::move(stmt).error();
    return exists(stmt->bind(project, digest));
  });
}

Result<std::vector<std::string>> SqliteDatabase::verify_usage() {
  return core_->read("verify_usage", [&](Connection& c) -> Result<std::vector<std::string>> {
    std::vector<std::string> problems;
    // The uses, recomputed: (project, digest) -> manifests using it.
    std::map<std::pair<std::string, std::string>, std::int64_t> expected;
    {
      auto stmt = c.prepare(
          "SELECT " BERTH_SQLITE_PROJECT_OF("r.name") ", m.digest FROM manifests m "
          "JOIN repositories r ON r.id = m.repository_id "
          "UNION ALL SELECT " BERTH_SQLITE_PROJECT_OF("r.name") ", mr.child_digest FROM manifest_references mr "
          "JOIN repositories r ON r.id = mr.repository_id "
          "WHERE mr.kind = 'blob' AND mr.child_digest <> mr.manifest_digest");
      if (!stmt) return std::move(stmt).error();
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        ++expected[{stmt->text(0), stmt->text(1)}];
      }
    }
    std::map<std::pair<std::string, std::string>, std::int64_t> kept;
    {
      auto stmt = c.prepare("SELECT project, digest, refs FROM project_blobs");
      if (!stmt) return std::move(stmt).error();
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        kept[{stmt->text(0), stmt->text(1)}] = stmt->int64(2);
      }
    }
    for (const auto& [key, refs] : expected) {
      auto it = kept.find(key);
      const std::int64_t have = it == kept.end() ? 0 : it->second;
      if (have != refs)
        problems.push_back("project " + key.first + " uses " + key.second + " " + std::to_string(refs) +
                           " time(s), counted " + std::to_string(have));
    }
    for (const auto& [key, refs] : kept)
      if (!expected.contains(key))
        problems.push_back("project " + key.first + " is counted as using " + key.second + " (" +
                           std::to_string(refs) + " time(s)), which none of its manifests does");
    // The usage, recomputed from the uses and the blob sizes.
    std::map<std::string, std::int64_t> usage;
    for (const auto& [key, refs] : expected) {
      {
        auto size = c.prepare("SELECT size FROM blobs WHERE digest = ?1");
        if (!size) return std::move(size).error();
        auto n = optional_int64(size->bind(key.second));
        if (!n) return std::move(n).error();
        if (!*n)
          problems.push_back("project " + key.first + " uses " + key.second + ", which has no blob row");
        usage[key.first] += n->value_or(0);
      }
    }
    std::map<std::string, std::int64_t> recorded;
    {
      auto stmt = c.prepare("SELECT project, used_storage FROM project_usage");
      if (!stmt) return std::move(stmt).error();
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        recorded[stmt->text(0)] = stmt->int64(1);
      }
    }
    std::set<std::string> projects;
    for (const auto& [project, _] : usage) projects.insert(project);
    for (const auto& [project, _] : recorded) projects.insert(project);
    for (const auto& project : projects) {
      const std::int64_t want = usage.contains(project) ? usage[project] : 0;
      const std::int64_t have = recorded.contains(project) ? recorded[project] : 0;
      if (want != have)
        problems.push_back("project " + project + " uses " + std::to_string(want) + " bytes, recorded " +
                           std::to_string(have));
    }
    return problems;
  });
}

// --- garbage collection ---------------------------------------------------------------

// What makes a blob collectable, for the blob named b.digest: no manifest is stored under it
// or references it, no commit is pending for it, and neither its row nor any link is younger
// than the cutoff (?1).
#define BERTH_SQLITE_COLLECTABLE                                                            \
  "b.created_at < ?1 "                                                                      \
  "AND NOT EXISTS (SELECT 1 FROM manifest_references mr WHERE mr.child_digest = b.digest) " \
  "AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = b.digest) "                   \
  "AND NOT EXISTS (SELECT 1 FROM pending_blobs p WHERE p.digest = b.digest) "               \
  "AND NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.digest = b.digest AND rb.linked_at >= ?1) "

Result<std::vector<BlobCandidate>> SqliteDatabase::gc_candidates(TimePoint cutoff, const std::string& after,
                                                                 std::size_t limit) {
  return core_->read("gc_candidates", [&](Connection& c) -> Result<std::vector<BlobCandidate>> {
    auto stmt =
        c.prepare("SELECT b.digest, b.size FROM blobs b WHERE b.digest > ?2 AND " BERTH_SQLITE_COLLECTABLE
                  "ORDER BY b.digest LIMIT ?3");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(to_millis(cutoff), after, static_cast<std::int64_t>(limit));
    std::vector<BlobCandidate> out;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) return out;
      out.push_back(BlobCandidate{stmt->text(0), stmt->int64(1)});
    }
  });
}

// The digests as one JSON array: a batch is one statement each step (json_each), not one per blob.
std::string json_array(const std::vector<std::string>& digests) {
  std::string out = "[";
  for (const auto& digest : digests) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char ch : digest)
      if (ch != '"' && ch != '\\' && static_cast<unsigned char>(ch) >= 0x20)
        out += ch;  // digests are plain ASCII
    out += '"';
  }
  return out + "]";
}

Result<std::vector<DoomedBlob>> SqliteDatabase::doom_blobs(TimePoint cutoff, const std::string& after,
                                                           std::size_t limit) {
  return core_->write("doom_blobs", [&](Connection& c) -> Result<std::vector<DoomedBlob>> {
    {
      auto held = c.prepare("SELECT holder FROM gc_holds WHERE expires_at > ?1 LIMIT 1");
      if (!held) return std::move(held).error();
      auto row = held->bind(now_millis()).step();
      if (!row) return std::move(row).error();
      if (*row) return base::make_error(Errc::conflict, "blobs are held by " + held->text(0));
    }
    // Chosen in the writer's transaction: what is used, pending or linked since cannot be
    // chosen. The batch, in a temporary table of the writer's connection (not in the file).
    if (auto s = c.exec(
            "CREATE TEMP TABLE IF NOT EXISTS gc_batch (digest TEXT PRIMARY KEY, size INTEGER NOT NULL) "
            "WITHOUT ROWID; DELETE FROM gc_batch;");
        !s) {
      return std::move(s).error();
    }
    if (auto s = c.run("INSERT INTO gc_batch(digest, size) SELECT b.digest, b.size FROM blobs b "
                       "WHERE b.digest > ?2 AND " BERTH_SQLITE_COLLECTABLE "ORDER BY b.digest LIMIT ?3",
                       to_millis(cutoff), after, static_cast<std::int64_t>(limit));
        !s) {
      return std::move(s).error();
    }
    std::vector<DoomedBlob> doomed;
    std::map<std::string, std::size_t> index;
    {
      auto stmt = c.prepare("SELECT digest, size FROM gc_batch ORDER BY digest");
      if (!stmt) return std::move(stmt).error();
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        index[stmt->text(0)] = doomed.size();
        doomed.push_back(DoomedBlob{stmt->text(0), stmt->int64(1), {}});
      }
    }
    if (doomed.empty()) return doomed;
    {
      // The links go, each naming its repository on the way (their cached links are stale).
      auto stmt = c.prepare(
          "DELETE FROM repository_blobs WHERE digest IN (SELECT digest FROM gc_batch) "
          "RETURNING digest, (SELECT r.name FROM repositories r WHERE r.id = repository_id)");
      if (!stmt) return std::move(stmt).error();
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        if (auto it = index.find(stmt->text(0)); it != index.end())
          doomed[it->second].repositories.push_back(stmt->text(1));
      }
    }
    if (auto s = c.run("DELETE FROM blobs WHERE digest IN (SELECT digest FROM gc_batch)"); !s)
      return std::move(s).error();
    if (auto s = c.run("INSERT INTO doomed_blobs(digest, created_at) SELECT digest, ?1 FROM gc_batch "
                       "WHERE true ON CONFLICT(digest) DO NOTHING",
                       now_millis());
        !s) {
      return std::move(s).error();
    }
    if (auto s = c.run("DELETE FROM gc_batch"); !s) return std::move(s).error();
    return doomed;
  });
}

// Relaxed: a mark lost to a power loss only makes the next start remove a file that is gone.
Status SqliteDatabase::forget_doomed(const std::vector<std::string>& digests) {
  if (digests.empty()) return base::ok_status();
  return core_->write(
      "forget_doomed",
      [&](Connection& c) -> Status {
        return c.run("DELETE FROM doomed_blobs WHERE digest IN (SELECT value FROM json_each(?1))",
                     json_array(digests));
      },
      Core::Sync::relaxed);
}

Result<std::vector<std::string>> SqliteDatabase::doomed_blobs() {
  return core_->read("doomed_blobs", [&](Connection& c) -> Result<std::vector<std::string>> {
    auto stmt = c.prepare("SELECT digest FROM doomed_blobs ORDER BY digest");
    if (!stmt) return std::move(stmt).error();
    return collect_strings(*stmt);
  });
}

Status SqliteDatabase::hold_blobs(const std::string& holder, TimePoint until) {
  return core_->write("hold_blobs", [&](Connection& c) -> Status {
    return c.run(
        "INSERT INTO gc_holds(holder, expires_at) VALUES(?1, ?2) "
        "ON CONFLICT(holder) DO UPDATE SET expires_at = excluded.expires_at",
        holder, to_millis(until));
  });
}

Status SqliteDatabase::release_blobs(const std::string& holder) {
  return core_->write("release_blobs", [&](Connection& c) -> Status {
    if (holder.empty()) return c.run("DELETE FROM gc_holds");
    return c.run("DELETE FROM gc_holds WHERE holder = ?1", holder);
  });
}

Result<std::vector<ArtifactRef>> SqliteDatabase::untagged_artifacts(const ArtifactRef& after,
                                                                    std::size_t limit) {
  return core_->read("untagged_artifacts", [&](Connection& c) -> Result<std::vector<ArtifactRef>> {
    auto stmt = c.prepare(
        "SELECT r.name, m.digest FROM manifests m JOIN repositories r ON r.id = m.repository_id "
        "WHERE (r.name, m.digest) > (?1, ?2) AND m.accessory_of IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.repository_id = m.repository_id AND t.digest = "
        "m.digest) "
        "AND NOT EXISTS (SELECT 1 FROM manifest_references mr WHERE mr.repository_id = m.repository_id "
        "  AND mr.kind = 'manifest' AND mr.child_digest = m.digest) "
        "ORDER BY r.name, m.digest LIMIT ?3");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(after.repository, after.digest, static_cast<std::int64_t>(limit));
    std::vector<ArtifactRef> out;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) return out;
      out.push_back(ArtifactRef{stmt->text(0), stmt->text(1)});
    }
  });
}

}  // namespace berth::meta::sqlite
