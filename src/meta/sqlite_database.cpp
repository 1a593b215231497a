// SQLite implementation of meta::Database: the calls the distribution API makes (blobs,
// manifests, tags, uploads, health) and open_sqlite. The management API's reads are in
// sqlite_management.cpp; connections, locking and durability are described in
// sqlite_core.h.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "meta/sqlite.h"
#include "meta/sqlite_registry.h"

namespace berth::meta::sqlite {

using base::Errc;
using base::Error;
using base::Result;
using base::Status;

namespace {

// SQLite's LIMIT: -1 means no limit.
std::int64_t sql_limit(const Page& page) {
  if (!page.limit) return -1;
  return static_cast<std::int64_t>(
      std::min<std::size_t>(*page.limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
}

// Names and tags are never empty, so "after ''" means "from the start".
std::string_view page_after(const Page& page) {
  return page.last ? std::string_view(*page.last) : "";
}

Result<std::int64_t> ensure_repository(Connection& c, const std::string& name, std::int64_t now) {
  if (name.empty()) return base::make_error(Errc::invalid_argument, "empty repository name");
  if (auto s = c.run("INSERT INTO repositories(name, created_at, updated_at) VALUES(?1, ?2, ?2) "
                     "ON CONFLICT(name) DO NOTHING",
                     name, now);
      !s) {
    return std::move(s).error();
  }
  auto id = find_repository(c, name);
  if (!id) return std::move(id).error();
  if (!*id) return base::make_error(Errc::internal, "repository vanished: " + name);
  return **id;
}

Status record_blob(Connection& c, const std::string& digest, std::int64_t size, std::int64_t now) {
  return c.run(
      "INSERT INTO blobs(digest, size, created_at) VALUES(?1, ?2, ?3) ON CONFLICT(digest) DO NOTHING", digest,
      size, now);
}

// Links a blob to a repository, or renews the link's time (which keeps the blob from garbage
// collection for its grace period even while no manifest uses it yet).
Status link(Connection& c, std::int64_t repository_id, const std::string& digest) {
  return c.run(
      "INSERT INTO repository_blobs(repository_id, digest, linked_at) VALUES(?1, ?2, ?3) "
      "ON CONFLICT(repository_id, digest) DO UPDATE SET linked_at = excluded.linked_at",
      repository_id, digest, now_millis());
}

Status add_references(Connection& c, std::int64_t repository_id, const std::string& manifest_digest,
                      std::string_view kind, const std::vector<std::string>& children) {
  for (const auto& child : children) {
    if (auto s = c.run("INSERT INTO manifest_references(repository_id, manifest_digest, kind, child_digest) "
                       "VALUES(?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                       repository_id, manifest_digest, kind, child);
        !s) {
      return s;
    }
  }
  return base::ok_status();
}

// Of `digests`, those for which `sql` (bound with repository_id, digest) yields no row;
// in input order, without duplicates.
Result<std::vector<std::string>> missing_of(Connection& c, std::string_view sql, std::int64_t repository_id,
                                            const std::vector<std::string>& digests) {
  std::vector<std::string> missing;
  std::unordered_set<std::string_view> seen;
  for (const auto& digest : digests) {
    if (!seen.insert(digest).second) continue;
    auto stmt = c.prepare(sql);
    if (!stmt) return std::move(stmt).error();
    auto row = stmt->bind(repository_id, digest).step();
    if (!row) return std::move(row).error();
    if (!*row) missing.push_back(digest);
  }
  return missing;
}

// Counts a new manifest row's uses in its project and refuses the write (limit_exceeded,
// rolling it back) when that takes the project past its quota or every project together past
// the registry's cap. Fills `outcome` either way.
Status account_push(Connection& c, const ManifestRecord& manifest, const ManifestReferences& refs,
                    StorageOutcome& outcome) {
  auto before = c.prepare(
      "SELECT (SELECT used_storage FROM project_usage WHERE project = ?1), "
      "(SELECT q.hard_storage FROM quotas q JOIN projects p ON p.id = q.project_id WHERE p.name = ?1), "
      "(SELECT COALESCE(SUM(used_storage), 0) FROM project_usage)");
  if (!before) return std::move(before).error();
  auto row = before->bind(outcome.project).step();
  if (!row) return std::move(row).error();
  outcome.used = before->is_null(0) ? 0 : before->int64(0);
  outcome.hard = before->is_null(1) ? -1 : before->int64(1);
  outcome.registry_used = before->int64(2);
  auto added = retain_uses(c, outcome.project, manifest.digest, manifest.size, refs.blobs);
  if (!added) return std::move(added).error();
  outcome.added = *added;
  if (outcome.added <= 0) return base::ok_status();
  if (outcome.hard >= 0 && outcome.used + outcome.added > outcome.hard) {
    outcome.refused = StorageOutcome::Refusal::project_quota;
  } else if (outcome.registry_cap >= 0 && outcome.registry_used + outcome.added > outcome.registry_cap) {
    outcome.refused = StorageOutcome::Refusal::registry_cap;
  } else {
    return base::ok_status();
  }
  return base::make_error(Errc::limit_exceeded, "storage limit of project " + outcome.project);
}

UploadRecord upload_from_row(const Statement& stmt) {
  return UploadRecord{stmt.text(0), stmt.text(1), from_millis(stmt.int64(2))};
}

}  // namespace

// --- helpers shared with sqlite_management.cpp ----------------------------------------

Result<std::optional<std::int64_t>> find_repository(Connection& c, const std::string& name) {
  auto stmt = c.prepare("SELECT id FROM repositories WHERE name = ?1");
  if (!stmt) return std::move(stmt).error();
  return optional_int64(stmt->bind(name));
}

Status touch_repository(Connection& c, std::int64_t repository_id, std::int64_t now) {
  return c.run("UPDATE repositories SET updated_at = max(updated_at, ?2) WHERE id = ?1", repository_id, now);
}

ManifestRecord manifest_from_row(const Statement& stmt) {
  ManifestRecord m;
  m.repository = stmt.text(0);
  m.digest = stmt.text(1);
  m.media_type = stmt.text(2);
  m.artifact_type = stmt.text(3);
  m.size = stmt.int64(4);
  m.subject = stmt.is_null(5) ? std::string() : stmt.text(5);
  m.annotations_json = stmt.text(6);
  m.created = from_millis(stmt.int64(7));
  m.accessory_of = stmt.is_null(8) ? std::string() : stmt.text(8);
  m.accessory_type = stmt.is_null(9) ? std::string() : stmt.text(9);
  return m;
}

// --- blobs ---

// The pending row need not be fsynced on its own: the blob's rename happens after it,
// and the commit that follows (synchronous=FULL) flushes the WAL with it. A process
// crash keeps it (it is in the WAL); only a power loss can drop it, and then the worst
// is a blob file without a row, which `berth fsck` reports and no client was told of.
Status SqliteDatabase::begin_blob(const std::string& digest) {
  return core_->write(
      "begin_blob",
      [&](Connection& c) -> Status {
        auto doomed = c.prepare("SELECT 1 FROM doomed_blobs WHERE digest = ?1");
        if (!doomed) return std::move(doomed).error();
        auto busy = exists(doomed->bind(digest));
        if (!busy) return std::move(busy).error();
        if (*busy) return base::make_error(Errc::conflict, "blob " + digest + " is being garbage collected");
        return c.run(
            "INSERT INTO pending_blobs(digest, created_at) VALUES(?1, ?2) ON CONFLICT(digest) DO NOTHING",
            digest, now_millis());
      },
      Core::Sync::relaxed);
}

Status SqliteDatabase::settle_blob(const std::string& digest, std::optional<std::int64_t> stored_size) {
  return core_->write("settle_blob", [&](Connection& c) -> Status {
    if (stored_size)
      if (auto s = record_blob(c, digest, *stored_size, now_millis()); !s) return s;
    return c.run("DELETE FROM pending_blobs WHERE digest = ?1", digest);
  });
}

Status SqliteDatabase::commit_blob(const std::string& repository, const std::string& digest,
                                   std::int64_t size, const std::string& upload_id) {
  return core_->write("commit_blob", [&](Connection& c) -> Status {
    std::int64_t now = now_millis();
    if (auto s = record_blob(c, digest, size, now); !s) return s;
    auto repo = ensure_repository(c, repository, now);
    if (!repo) return std::move(repo).error();
    if (auto s = link(c, *repo, digest); !s) return s;
    if (auto s = c.run("DELETE FROM pending_blobs WHERE digest = ?1", digest); !s) return s;
    if (!upload_id.empty()) return c.run("DELETE FROM uploads WHERE id = ?1", upload_id);
    return base::ok_status();
  });
}

Result<std::vector<std::string>> SqliteDatabase::take_pending_blobs() {
  return core_->write("take_pending_blobs", [&](Connection& c) -> Result<std::vector<std::string>> {
    auto stmt = c.prepare("DELETE FROM pending_blobs RETURNING digest");
    if (!stmt) return std::move(stmt).error();
    auto digests = collect_strings(*stmt);
    if (digests) std::sort(digests->begin(), digests->end());
    return digests;
  });
}

Status SqliteDatabase::add_blob(const std::string& digest, std::int64_t size) {
  return core_->write("add_blob", [&](Connection& c) { return record_blob(c, digest, size, now_millis()); });
}

Result<std::optional<std::int64_t>> SqliteDatabase::blob_size(const std::string& digest) {
  return core_->read("blob_size", [&](Connection& c) -> Result<std::optional<std::int64_t>> {
    auto stmt = c.prepare("SELECT size FROM blobs WHERE digest = ?1");
    if (!stmt) return std::move(stmt).error();
    return optional_int64(stmt->bind(digest));
  });
}

Result<std::optional<std::int64_t>> SqliteDatabase::linked_blob_size(const std::string& repository,
                                                                     const std::string& digest) {
  return core_->read("linked_blob_size", [&](Connection& c) -> Result<std::optional<std::int64_t>> {
    auto stmt = c.prepare(
        "SELECT b.size FROM repositories r "
        "JOIN repository_blobs rb ON rb.repository_id = r.id "
        "JOIN blobs b ON b.digest = rb.digest "
        "WHERE r.name = ?1 AND rb.digest = ?2");
    if (!stmt) return std::move(stmt).error();
    return optional_int64(stmt->bind(repository, digest));
  });
}

Status SqliteDatabase::link_blob(const std::string& repository, const std::string& digest) {
  return core_->write("link_blob", [&](Connection& c) -> Status {
    auto stmt = c.prepare("SELECT 1 FROM blobs WHERE digest = ?1");
    if (!stmt) return std::move(stmt).error();
    auto row = stmt->bind(digest).step();
    if (!row) return std::move(row).error();
    if (!*row) return base::make_error(Errc::not_found, "blob " + digest + " is not recorded");
    auto repo = ensure_repository(c, repository, now_millis());
    if (!repo) return std::move(repo).error();
    return link(c, *repo, digest);
  });
}

Status SqliteDatabase::unlink_blob(const std::string& repository, const std::string& digest) {
  return core_->write("unlink_blob", [&](Connection& c) -> Status {
    if (auto s = c.run("DELETE FROM repository_blobs "
                       "WHERE repository_id = (SELECT id FROM repositories WHERE name = ?1) AND digest = ?2",
                       repository, digest);
        !s) {
      return s;
    }
    if (c.changes() == 0) {
      return base::make_error(Errc::not_found, "blob " + digest + " is not linked to " + repository);
    }
    return base::ok_status();
  });
}

Result<std::vector<std::pair<std::string, std::int64_t>>> SqliteDatabase::all_blobs() {
  using Blobs = std::vector<std::pair<std::string, std::int64_t>>;
  return core_->read("all_blobs", [&](Connection& c) -> Result<Blobs> {
    auto stmt = c.prepare("SELECT digest, size FROM blobs ORDER BY digest");
    if (!stmt) return std::move(stmt).error();
    Blobs out;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) return out;
      out.emplace_back(stmt->text(0), stmt->int64(1));
    }
  });
}

// --- manifests and tags ---

Status SqliteDatabase::put_manifest(const ManifestRecord& manifest, const ManifestReferences& refs,
                                    const std::string& tag, StorageOutcome* outcome) {
  if (manifest.digest.empty()) {
    return base::make_error(Errc::invalid_argument, "meta.put_manifest: empty manifest digest");
  }
  StorageOutcome accounted;
  accounted.project = std::string(project_of(manifest.repository));
  accounted.registry_cap = storage_cap_.load();
  auto written = core_->write("put_manifest", [&](Connection& c) -> Status {
    std::int64_t now = now_millis();
    if (auto s = record_blob(c, manifest.digest, manifest.size, now); !s) return s;
    if (auto s = c.run("DELETE FROM pending_blobs WHERE digest = ?1", manifest.digest); !s) return s;
    auto repo = ensure_repository(c, manifest.repository, now);
    if (!repo) return std::move(repo).error();
    // Checked again inside the transaction: a delete that ran after the caller's own check
    // must not leave this manifest pointing at nothing.
    auto missing_blobs = missing_of(
        c, "SELECT 1 FROM repository_blobs WHERE repository_id = ?1 AND digest = ?2", *repo, refs.blobs);
    if (!missing_blobs) return std::move(missing_blobs).error();
    auto missing_manifests = missing_of(c, "SELECT 1 FROM manifests WHERE repository_id = ?1 AND digest = ?2",
                                        *repo, refs.manifests);
    if (!missing_manifests) return std::move(missing_manifests).error();
    if (!missing_blobs->empty() || !missing_manifests->empty()) {
      const std::string& first = missing_blobs->empty() ? missing_manifests->front() : missing_blobs->front();
      return base::make_error(Errc::not_found, first);
    }
    if (auto s = link(c, *repo, manifest.digest); !s) return s;
    auto stored = c.prepare("SELECT 1 FROM manifests WHERE repository_id = ?1 AND digest = ?2");
    if (!stored) return std::move(stored).error();
    auto existed = exists(stored->bind(*repo, manifest.digest));
    if (!existed) return std::move(existed).error();
    if (!*existed) {
      if (auto s = account_push(c, manifest, refs, accounted); !s) return s;
    }
    auto subject = manifest.subject.empty() ? std::optional<std::string_view>()
                                            : std::optional<std::string_view>(manifest.subject);
    auto optional_text = [](const std::string& text) {
      return text.empty() ? std::optional<std::string_view>() : std::optional<std::string_view>(text);
    };
    // An existing row for this digest is kept as it is (same content, same metadata), but
    // for becoming an accessory (pushed again under a cosign signature tag).
    if (auto s =
            c.run("INSERT INTO manifests(repository_id, digest, media_type, artifact_type, size, subject, "
                  "annotations, created_at, accessory_of, accessory_type) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                  "?8, ?9, ?10) "
                  "ON CONFLICT(repository_id, digest) DO UPDATE SET "
                  "accessory_of = coalesce(accessory_of, excluded.accessory_of), "
                  "accessory_type = coalesce(accessory_type, excluded.accessory_type)",
                  *repo, manifest.digest, manifest.media_type, manifest.artifact_type, manifest.size, subject,
                  manifest.annotations_json, millis_or_now(manifest.created),
                  optional_text(manifest.accessory_of), optional_text(manifest.accessory_type));
        !s) {
      return s;
    }
    if (auto s = add_references(c, *repo, manifest.digest, "blob", refs.blobs); !s) return s;
    if (auto s = add_references(c, *repo, manifest.digest, "manifest", refs.manifests); !s) return s;
    if (auto s = touch_repository(c, *repo, now); !s) return s;
    if (tag.empty()) return base::ok_status();
    return c.run(
        "INSERT INTO tags(repository_id, name, digest, updated_at) VALUES(?1, ?2, ?3, ?4) "
        "ON CONFLICT(repository_id, name) DO UPDATE SET digest = excluded.digest, "
        "updated_at = excluded.updated_at",
        *repo, tag, manifest.digest, now);
  });
  if (outcome != nullptr) *outcome = std::move(accounted);
  return written;
}

Result<std::optional<ManifestRecord>> SqliteDatabase::get_manifest(const std::string& repository,
                                                                   const std::string& digest) {
  return core_->read("get_manifest", [&](Connection& c) -> Result<std::optional<ManifestRecord>> {
    auto stmt = c.prepare(BERTH_SQLITE_SELECT_MANIFESTS "WHERE r.name = ?1 AND m.digest = ?2");
    if (!stmt) return std::move(stmt).error();
    auto row = stmt->bind(repository, digest).step();
    if (!row) return std::move(row).error();
    if (!*row) return std::optional<ManifestRecord>{};
    return std::optional<ManifestRecord>(manifest_from_row(*stmt));
  });
}

Result<std::optional<std::string>> SqliteDatabase::resolve_tag(const std::string& repository,
                                                               const std::string& tag) {
  return core_->read("resolve_tag", [&](Connection& c) -> Result<std::optional<std::string>> {
    auto stmt = c.prepare(
        "SELECT t.digest FROM repositories r JOIN tags t ON t.repository_id = r.id "
        "WHERE r.name = ?1 AND t.name = ?2");
    if (!stmt) return std::move(stmt).error();
    auto row = stmt->bind(repository, tag).step();
    if (!row) return std::move(row).error();
    if (!*row) return std::optional<std::string>{};
    return std::optional<std::string>(stmt->text(0));
  });
}

Result<std::vector<std::string>> SqliteDatabase::delete_manifest(const std::string& repository,
                                                                 const std::string& digest) {
  return core_->write("delete_manifest", [&](Connection& c) -> Result<std::vector<std::string>> {
    auto repo = find_repository(c, repository);
    if (!repo) return std::move(repo).error();
    auto not_found = [&] {
      return base::make_error(Errc::not_found, "manifest " + digest + " not found in " + repository);
    };
    if (!*repo) return not_found();
    const std::int64_t id = **repo;
    const std::string project(project_of(repository));
    // The manifest, then its accessories and theirs (a signature of an SBOM, ...).
    std::vector<std::string> doomed{digest};
    {
      auto stmt = c.prepare(
          "WITH RECURSIVE accessory(digest) AS ("
          "  SELECT digest FROM manifests WHERE repository_id = ?1 AND accessory_of = ?2"
          "  UNION SELECT m.digest FROM manifests m JOIN accessory a ON m.accessory_of = a.digest"
          "    WHERE m.repository_id = ?1) "
          "SELECT digest FROM accessory WHERE digest <> ?2");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(id, digest);
      auto found = collect_strings(*stmt);
      if (!found) return std::move(found).error();
      doomed.insert(doomed.end(), found->begin(), found->end());
    }
    for (std::size_t i = 0; i < doomed.size(); ++i) {
      const std::string& d = doomed[i];
      if (auto released = release_uses(c, project, id, d); !released) return std::move(released).error();
      for (const char* sql :
           {"DELETE FROM tags WHERE repository_id = ?1 AND digest = ?2",
            "DELETE FROM manifest_references WHERE repository_id = ?1 AND manifest_digest = ?2",
            "DELETE FROM artifact_labels WHERE repository_id = ?1 AND digest = ?2"}) {
        if (auto s = c.run(sql, id, d); !s) return std::move(s).error();
      }
      if (auto s = c.run("DELETE FROM manifests WHERE repository_id = ?1 AND digest = ?2", id, d); !s)
        return std::move(s).error();
      if (i == 0 && c.changes() == 0) return not_found();  // rolls back: nothing was deleted anyway
      if (auto s = c.run("DELETE FROM repository_blobs WHERE repository_id = ?1 AND digest = ?2", id, d); !s)
        return std::move(s).error();
    }
    if (auto s = touch_repository(c, id, now_millis()); !s) return std::move(s).error();
    return doomed;
  });
}

Status SqliteDatabase::delete_tag(const std::string& repository, const std::string& tag) {
  return core_->write("delete_tag", [&](Connection& c) -> Status {
    auto repo = find_repository(c, repository);
    if (!repo) return std::move(repo).error();
    auto not_found = [&] {
      return base::make_error(Errc::not_found, "tag " + tag + " not found in " + repository);
    };
    if (!*repo) return not_found();
    if (auto s = c.run("DELETE FROM tags WHERE repository_id = ?1 AND name = ?2", **repo, tag); !s) return s;
    if (c.changes() == 0) return not_found();
    return touch_repository(c, **repo, now_millis());
  });
}

Result<std::vector<std::string>> SqliteDatabase::list_tags(const std::string& repository, const Page& page) {
  return core_->read("list_tags", [&](Connection& c) -> Result<std::vector<std::string>> {
    auto repo = find_repository(c, repository);
    if (!repo) return std::move(repo).error();
    if (!*repo) return base::make_error(Errc::not_found, "repository " + repository + " not found");
    auto stmt =
        c.prepare("SELECT name FROM tags WHERE repository_id = ?1 AND name > ?2 ORDER BY name LIMIT ?3");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(**repo, page_after(page), sql_limit(page));
    return collect_strings(*stmt);
  });
}

Result<std::vector<std::string>> SqliteDatabase::tags_of(const std::string& repository,
                                                         const std::string& digest) {
  return core_->read("tags_of", [&](Connection& c) -> Result<std::vector<std::string>> {
    auto stmt = c.prepare(
        "SELECT t.name FROM repositories r JOIN tags t ON t.repository_id = r.id "
        "WHERE r.name = ?1 AND t.digest = ?2 ORDER BY t.name");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(repository, digest);
    return collect_strings(*stmt);
  });
}

Result<std::vector<std::string>> SqliteDatabase::list_repositories(const Page& page) {
  return core_->read("list_repositories", [&](Connection& c) -> Result<std::vector<std::string>> {
    auto stmt = c.prepare("SELECT name FROM repositories WHERE name > ?1 ORDER BY name LIMIT ?2");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(page_after(page), sql_limit(page));
    return collect_strings(*stmt);
  });
}

Result<bool> SqliteDatabase::repository_exists(const std::string& repository) {
  return core_->read("repository_exists", [&](Connection& c) -> Result<bool> {
    auto repo = find_repository(c, repository);
    if (!repo) return std::move(repo).error();
    return repo->has_value();
  });
}

Result<std::vector<ManifestRecord>> SqliteDatabase::referrers(const std::string& repository,
                                                              const std::string& digest) {
  return core_->read("referrers", [&](Connection& c) -> Result<std::vector<ManifestRecord>> {
    auto stmt = c.prepare(BERTH_SQLITE_SELECT_MANIFESTS
                          "WHERE r.name = ?1 AND m.subject = ?2 ORDER BY m.created_at, m.digest");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(repository, digest);
    std::vector<ManifestRecord> out;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) return out;
      out.push_back(manifest_from_row(*stmt));
    }
  });
}

// A blob is present if it is linked to the repository; a child manifest if the
// repository stores it. The result keeps the input order, without duplicates.
Result<ManifestReferences> SqliteDatabase::missing_references(const std::string& repository,
                                                              const ManifestReferences& refs) {
  return core_->read("missing_references", [&](Connection& c) -> Result<ManifestReferences> {
    auto repo = find_repository(c, repository);
    if (!repo) return std::move(repo).error();
    std::int64_t id = repo->value_or(-1);  // no repository: every reference is missing
    ManifestReferences missing;
    auto blobs = missing_of(c, "SELECT 1 FROM repository_blobs WHERE repository_id = ?1 AND digest = ?2", id,
                            refs.blobs);
    if (!blobs) return std::move(blobs).error();
    missing.blobs = std::move(*blobs);
    auto manifests =
        missing_of(c, "SELECT 1 FROM manifests WHERE repository_id = ?1 AND digest = ?2", id, refs.manifests);
    if (!manifests) return std::move(manifests).error();
    missing.manifests = std::move(*manifests);
    return missing;
  });
}

// --- uploads ---

Status SqliteDatabase::create_upload(const UploadRecord& upload) {
  return core_->write("create_upload", [&](Connection& c) -> Status {
    auto stmt = c.prepare("SELECT 1 FROM uploads WHERE id = ?1");
    if (!stmt) return std::move(stmt).error();
    auto row = stmt->bind(upload.id).step();
    if (!row) return std::move(row).error();
    if (*row) return base::make_error(Errc::already_exists, "upload " + upload.id + " already exists");
    return c.run("INSERT INTO uploads(id, repository, started_at) VALUES(?1, ?2, ?3)", upload.id,
                 upload.repository, millis_or_now(upload.started));
  });
}

Result<std::optional<UploadRecord>> SqliteDatabase::get_upload(const std::string& id) {
  return core_->read("get_upload", [&](Connection& c) -> Result<std::optional<UploadRecord>> {
    auto stmt = c.prepare("SELECT id, repository, started_at FROM uploads WHERE id = ?1");
    if (!stmt) return std::move(stmt).error();
    auto row = stmt->bind(id).step();
    if (!row) return std::move(row).error();
    if (!*row) return std::optional<UploadRecord>{};
    return std::optional<UploadRecord>(upload_from_row(*stmt));
  });
}

// Idempotent: deleting an unknown upload succeeds (commit_blob may have removed it).
Status SqliteDatabase::delete_upload(const std::string& id) {
  return core_->write("delete_upload",
                      [&](Connection& c) { return c.run("DELETE FROM uploads WHERE id = ?1", id); });
}

Result<std::vector<UploadRecord>> SqliteDatabase::uploads_started_before(TimePoint cutoff) {
  return core_->read("uploads_started_before", [&](Connection& c) -> Result<std::vector<UploadRecord>> {
    auto stmt = c.prepare(
        "SELECT id, repository, started_at FROM uploads WHERE started_at < ?1 ORDER BY started_at, id");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(to_millis(cutoff));
    std::vector<UploadRecord> out;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) return out;
      out.push_back(upload_from_row(*stmt));
    }
  });
}

// --- health ---

Status SqliteDatabase::check() {
  return core_->read("check", [&](Connection& c) { return c.run("SELECT 1"); });
}

Status SqliteDatabase::integrity_check() {
  return core_->read("integrity_check", [&](Connection& c) -> Status {
    auto integrity = c.prepare("PRAGMA integrity_check");
    if (!integrity) return std::move(integrity).error();
    auto problems = collect_strings(*integrity);
    if (!problems) return std::move(problems).error();
    if (problems->size() != 1 || problems->front() != "ok") {
      std::string message;
      for (const auto& p : *problems) message += (message.empty() ? "" : "; ") + p;
      return base::make_error(Errc::corrupt, "integrity_check: " + message);
    }
    auto foreign = c.prepare("PRAGMA foreign_key_check");
    if (!foreign) return std::move(foreign).error();
    auto row = foreign->step();
    if (!row) return std::move(row).error();
    if (*row) {
      return base::make_error(Errc::corrupt, "foreign_key_check: table " + foreign->text(0) +
                                                 " has a row without its parent in " + foreign->text(2));
    }
    return base::ok_status();
  });
}

std::unique_ptr<Database> make_registry_database(std::shared_ptr<Core> core) {
  return std::make_unique<SqliteDatabase>(std::move(core));
}

}  // namespace berth::meta::sqlite

namespace berth::meta {

base::Result<SqliteMetadata> open_sqlite(const std::string& path) {
  auto core = sqlite::Core::open(path);
  if (!core) {
    base::Error error = std::move(core).error();
    error.message = "meta.open_sqlite " + path + ": " + error.message;
    return error;
  }
  SqliteMetadata metadata;
  metadata.registry = sqlite::make_registry_database(*core);
  metadata.iam = sqlite::make_iam_database(*core);
  metadata.jobs = sqlite::make_job_database(*core);
  metadata.scans = sqlite::make_scan_database(*core);
  metadata.labels = sqlite::make_label_database(*core);
  metadata.limits = sqlite::make_limits_database(*core);
  metadata.immutability = sqlite::make_immutability_database(*core);
  metadata.retention = sqlite::make_retention_database(*core);
  metadata.replication = sqlite::make_replication_database(*core);
  metadata.webhooks = sqlite::make_webhook_database(*core);
  return metadata;
}

}  // namespace berth::meta
