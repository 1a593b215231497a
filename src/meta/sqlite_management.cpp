// SQLite implementation of meta::Database's management reads (the Harbor API):
// repository summaries, artifacts with their tags, pull counts, usage.

#include <charconv>
#include <optional>
#include <string>
#include <utility>

#include "meta/sqlite_query.h"
#include "meta/sqlite_registry.h"

namespace berth::meta::sqlite {

using base::Errc;
using base::Result;
using base::Status;

namespace {

// Columns summary_from_row reads, from repositories r.
#define BERTH_SQLITE_SUMMARY_COLUMNS                                                               \
  "r.id, r.name, r.description, (SELECT COUNT(*) FROM manifests m WHERE m.repository_id = r.id), " \
  "r.pull_count, r.created_at, r.updated_at"

RepositorySummary summary_from_row(const Statement& stmt) {
  RepositorySummary s;
  s.id = stmt.int64(0);
  s.name = stmt.text(1);
  s.description = stmt.text(2);
  s.artifact_count = stmt.int64(3);
  s.pull_count = stmt.int64(4);
  s.created = from_millis(stmt.int64(5));
  s.updated = from_millis(stmt.int64(6));
  return s;
}

// Columns artifact_from_row reads: the manifest's (0..9), its pull time and repository id.
#define BERTH_SQLITE_ARTIFACT_COLUMNS BERTH_SQLITE_MANIFEST_COLUMNS ", m.pulled_at, r.id"

ArtifactRecord artifact_from_row(const Statement& stmt) {
  ArtifactRecord a;
  a.manifest = manifest_from_row(stmt);
  a.pulled = from_millis(stmt.int64(10));
  a.repository_id = stmt.int64(11);
  return a;
}

Status load_tags(Connection& c, ArtifactRecord& artifact) {
  auto stmt = c.prepare(
      "SELECT name, updated_at, pulled_at FROM tags WHERE repository_id = ?1 AND digest = ?2 ORDER BY name");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(artifact.repository_id, artifact.manifest.digest);
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return base::ok_status();
    artifact.tags.push_back(
        TagRecord{stmt->text(0), from_millis(stmt->int64(1)), from_millis(stmt->int64(2))});
  }
}

// Harbor's `tags` filter: "*" = tagged, "nil" = untagged, a name = has that tag; fuzzy =
// has a tag whose name contains the value.
Result<SqlFragment> tags_condition(const Filter& filter) {
  constexpr std::string_view kTagOf =
      "SELECT 1 FROM tags t WHERE t.repository_id = m.repository_id AND t.digest = m.digest";
  SqlFragment out;
  if (filter.kind == Filter::Kind::fuzzy) {
    out.sql = "EXISTS (" + std::string(kTagOf) + " AND t.name LIKE ? ESCAPE '\\')";
    out.params = {SqlValue(like_substring(filter.value))};
  } else if (filter.value == "*") {
    out.sql = "EXISTS (" + std::string(kTagOf) + ")";
  } else if (filter.value == "nil") {
    out.sql = "NOT EXISTS (" + std::string(kTagOf) + ")";
  } else {
    out.sql = "EXISTS (" + std::string(kTagOf) + " AND t.name = ?)";
    out.params = {SqlValue(filter.value)};
  }
  return out;
}

// Harbor's `labels` filter: labels=(1 2) = has every one of these label ids (a single id
// as labels=1).
Result<SqlFragment> labels_condition(const Filter& filter) {
  std::vector<std::string> ids =
      filter.kind == Filter::Kind::all_of ? filter.values : std::vector{filter.value};
  SqlFragment out;
  for (const auto& id : ids) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), value);
    if (ec != std::errc() || end != id.data() + id.size() || id.empty())
      return base::make_error(
          Errc::invalid_argument,
          R"(the value of "labels" query can only be integer list with intersection relationship)");
    if (!out.sql.empty()) out.sql += " AND ";
    out.sql +=
        "EXISTS (SELECT 1 FROM artifact_labels al WHERE al.repository_id = m.repository_id AND "
        "al.digest = m.digest AND al.label_id = ?)";
    out.params.emplace_back(value);
  }
  return out;
}

const QuerySchema& repository_schema() {
  static const QuerySchema schema{
      .fields = {column_field("name", "r.name", FieldType::text, kExact | kFuzzy)},
      .sorts = {{"name", "r.name"},
                {"creation_time", "r.created_at"},
                {"update_time", "r.updated_at"},
                {"pull_count", "r.pull_count"}},
      .default_order = "r.name",
      .tie_break = "r.id",
  };
  return schema;
}

const QuerySchema& artifact_schema() {
  static const QuerySchema schema{
      .fields =
          {
              column_field("digest", "m.digest", FieldType::text, kExact),
              column_field("media_type", "m.media_type", FieldType::text, kExact | kFuzzy),
              column_field("artifact_type", "m.artifact_type", FieldType::text, kExact | kFuzzy),
              custom_field("tags", kExact | kFuzzy, tags_condition),
              column_field("push_time", "m.created_at", FieldType::time_millis, kRange),
              custom_field("labels", kExact | kAllOf, labels_condition),
          },
      .sorts = {{"push_time", "m.created_at"}, {"pull_time", "m.pulled_at"}, {"size", "m.size"}},
      .default_order = "m.created_at DESC, m.digest DESC",
      .tie_break = "m.digest",
  };
  return schema;
}

// `column >= prefix AND column < upper`: the names starting with `prefix` (index-friendly).
SqlFragment prefix_condition(const std::string& column, const std::string& prefix) {
  SqlFragment out{column + " >= ?", {SqlValue(prefix)}};
  if (auto upper = prefix_upper_bound(prefix)) {
    out.sql += " AND " + column + " < ?";
    out.params.emplace_back(std::move(*upper));
  }
  return out;
}

Result<std::int64_t> single_int64(Statement& stmt) {
  auto value = optional_int64(stmt);
  if (!value) return std::move(value).error();
  return value->value_or(0);
}

}  // namespace

Result<Listing<RepositorySummary>> SqliteDatabase::list_repository_summaries(const std::string& project,
                                                                             const ListQuery& query) {
  return core_->read("list_repository_summaries", [&](Connection& c) {
    ListingSql sql{BERTH_SQLITE_SUMMARY_COLUMNS, "repositories r",
                   project.empty() ? SqlFragment{} : prefix_condition("r.name", project + "/")};
    return run_listing<RepositorySummary>(c, sql, query, repository_schema(), summary_from_row);
  });
}

Result<std::optional<RepositorySummary>> SqliteDatabase::repository_summary(const std::string& repository) {
  return core_->read("repository_summary", [&](Connection& c) -> Result<std::optional<RepositorySummary>> {
    auto stmt = c.prepare("SELECT " BERTH_SQLITE_SUMMARY_COLUMNS " FROM repositories r WHERE r.name = ?1");
    if (!stmt) return std::move(stmt).error();
    auto row = stmt->bind(repository).step();
    if (!row) return std::move(row).error();
    if (!*row) return std::optional<RepositorySummary>{};
    return std::optional<RepositorySummary>(summary_from_row(*stmt));
  });
}

Status SqliteDatabase::set_repository_description(const std::string& repository,
                                                  const std::string& description) {
  return core_->write("set_repository_description", [&](Connection& c) -> Status {
    if (auto s = c.run(
            "UPDATE repositories SET description = ?2, updated_at = max(updated_at, ?3) WHERE name = ?1",
            repository, description, now_millis());
        !s) {
      return s;
    }
    if (c.changes() == 0) return base::make_error(Errc::not_found, "repository " + repository + " not found");
    return base::ok_status();
  });
}

Status SqliteDatabase::delete_repository(const std::string& repository) {
  return core_->write("delete_repository", [&](Connection& c) -> Status {
    auto repo = find_repository(c, repository);
    if (!repo) return std::move(repo).error();
    if (!*repo) return base::make_error(Errc::not_found, "repository " + repository + " not found");
    const std::int64_t id = **repo;
    const std::string project(project_of(repository));
    {
      auto stmt = c.prepare("SELECT digest FROM manifests WHERE repository_id = ?1");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(id);
      auto manifests = collect_strings(*stmt);
      if (!manifests) return std::move(manifests).error();
      for (const auto& digest : *manifests)
        if (auto released = release_uses(c, project, id, digest); !released)
          return std::move(released).error();
    }
    // Children first, so the result does not depend on foreign-key cascades being on.
    for (const char* sql : {"DELETE FROM tags WHERE repository_id = ?1",
                            "DELETE FROM manifest_references WHERE repository_id = ?1",
                            "DELETE FROM artifact_labels WHERE repository_id = ?1",
                            "DELETE FROM manifests WHERE repository_id = ?1",
                            "DELETE FROM repository_blobs WHERE repository_id = ?1",
                            "DELETE FROM repositories WHERE id = ?1"}) {
      if (auto s = c.run(sql, id); !s) return s;
    }
    return base::ok_status();
  });
}

Result<Listing<ArtifactRecord>> SqliteDatabase::list_artifacts(const std::string& repository,
                                                               const ListQuery& query) {
  return core_->read("list_artifacts", [&](Connection& c) -> Result<Listing<ArtifactRecord>> {
    auto repo = find_repository(c, repository);
    if (!repo) return std::move(repo).error();
    if (!*repo) return base::make_error(Errc::not_found, "repository " + repository + " not found");
    // As Harbor lists them: no accessories, and an index's images only when they have a tag
    // of their own (the index shows the others as its platforms).
    ListingSql sql{
        BERTH_SQLITE_ARTIFACT_COLUMNS, "manifests m JOIN repositories r ON r.id = m.repository_id",
        SqlFragment{"m.repository_id = ? AND m.accessory_of IS NULL AND (NOT EXISTS (SELECT 1 FROM "
                    "manifest_references mr WHERE mr.child_digest = m.digest AND mr.repository_id = "
                    "m.repository_id AND mr.kind = 'manifest') OR EXISTS (SELECT 1 FROM tags t WHERE "
                    "t.repository_id = m.repository_id AND t.digest = m.digest))",
                    {SqlValue(**repo)}}};
    auto listing = run_listing<ArtifactRecord>(c, sql, query, artifact_schema(), artifact_from_row);
    if (!listing) return listing;
    for (auto& artifact : listing->items) {
      if (auto s = load_tags(c, artifact); !s) return std::move(s).error();
    }
    return listing;
  });
}

Result<std::vector<ArtifactRecord>> SqliteDatabase::retention_candidates(const std::string& repository) {
  return core_->read("retention_candidates", [&](Connection& c) -> Result<std::vector<ArtifactRecord>> {
    auto repo = find_repository(c, repository);
    if (!repo) return std::move(repo).error();
    if (!*repo) return base::make_error(Errc::not_found, "repository " + repository + " not found");
    auto stmt = c.prepare("SELECT " BERTH_SQLITE_ARTIFACT_COLUMNS
                          " FROM manifests m JOIN repositories r ON r.id = m.repository_id "
                          "WHERE m.repository_id = ?1 AND m.accessory_of IS NULL "
                          "AND NOT EXISTS (SELECT 1 FROM manifest_references mr WHERE mr.repository_id = "
                          "m.repository_id AND mr.kind = 'manifest' AND mr.child_digest = m.digest)");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(**repo);
    std::vector<ArtifactRecord> out;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) break;
      out.push_back(artifact_from_row(*stmt));
    }
    for (auto& artifact : out)
      if (auto s = load_tags(c, artifact); !s) return std::move(s).error();
    return out;
  });
}

Result<Listing<ArtifactRecord>> SqliteDatabase::list_accessories(const std::string& repository,
                                                                 const std::string& digest,
                                                                 const ListQuery& query) {
  return core_->read("list_accessories", [&](Connection& c) -> Result<Listing<ArtifactRecord>> {
    auto repo = find_repository(c, repository);
    if (!repo) return std::move(repo).error();
    if (!*repo) return base::make_error(Errc::not_found, "repository " + repository + " not found");
    static const QuerySchema schema{
        .fields = {},
        .sorts = {},
        .default_order = "m.created_at, m.digest",
        .tie_break = "m.digest",
    };
    ListingSql sql{
        BERTH_SQLITE_ARTIFACT_COLUMNS, "manifests m JOIN repositories r ON r.id = m.repository_id",
        SqlFragment{"m.repository_id = ? AND m.accessory_of = ?", {SqlValue(**repo), SqlValue(digest)}}};
    auto listing = run_listing<ArtifactRecord>(c, sql, query, schema, artifact_from_row);
    if (!listing) return listing;
    for (auto& artifact : listing->items) {
      if (auto s = load_tags(c, artifact); !s) return std::move(s).error();
    }
    return listing;
  });
}

Result<std::optional<ArtifactRecord>> SqliteDatabase::get_artifact(const std::string& repository,
                                                                   const std::string& digest) {
  return core_->read("get_artifact", [&](Connection& c) -> Result<std::optional<ArtifactRecord>> {
    std::optional<ArtifactRecord> artifact;
    {
      auto stmt = c.prepare("SELECT " BERTH_SQLITE_ARTIFACT_COLUMNS
                            " FROM repositories r JOIN manifests m ON m.repository_id = r.id "
                            "WHERE r.name = ?1 AND m.digest = ?2");
      if (!stmt) return std::move(stmt).error();
      auto row = stmt->bind(repository, digest).step();
      if (!row) return std::move(row).error();
      if (!*row) return artifact;
      artifact = artifact_from_row(*stmt);
    }
    if (auto s = load_tags(c, *artifact); !s) return std::move(s).error();
    return artifact;
  });
}

Status SqliteDatabase::add_tag(const std::string& repository, const std::string& digest,
                               const std::string& tag) {
  return core_->write("add_tag", [&](Connection& c) -> Status {
    auto repo = find_repository(c, repository);
    if (!repo) return std::move(repo).error();
    auto no_manifest = [&] {
      return base::make_error(Errc::not_found, "manifest " + digest + " not found in " + repository);
    };
    if (!*repo) return no_manifest();
    const std::int64_t id = **repo;
    {
      auto stmt = c.prepare("SELECT 1 FROM manifests WHERE repository_id = ?1 AND digest = ?2");
      if (!stmt) return std::move(stmt).error();
      auto found = exists(stmt->bind(id, digest));
      if (!found) return std::move(found).error();
      if (!*found) return no_manifest();
    }
    {
      auto stmt = c.prepare("SELECT 1 FROM tags WHERE repository_id = ?1 AND name = ?2");
      if (!stmt) return std::move(stmt).error();
      auto found = exists(stmt->bind(id, tag));
      if (!found) return std::move(found).error();
      if (*found)
        return base::make_error(Errc::already_exists, "tag " + tag + " already exists in " + repository);
    }
    const std::int64_t now = now_millis();
    if (auto s = c.run("INSERT INTO tags(repository_id, name, digest, updated_at) VALUES(?1, ?2, ?3, ?4)", id,
                       tag, digest, now);
        !s) {
      return s;
    }
    return touch_repository(c, id, now);
  });
}

// Relaxed sync: a pull count lost to a power loss is harmless, and pulls are the most
// frequent write. Pulls of repositories deleted since are skipped.
Status SqliteDatabase::record_pulls(const std::vector<PullRecord>& pulls) {
  if (pulls.empty()) return base::ok_status();
  return core_->write(
      "record_pulls",
      [&](Connection& c) -> Status {
        for (const auto& pull : pulls) {
          auto repo = find_repository(c, pull.repository);
          if (!repo) return std::move(repo).error();
          if (!*repo) continue;
          const std::int64_t id = **repo;
          const std::int64_t time = millis_or_now(pull.time);
          if (auto s =
                  c.run("UPDATE repositories SET pull_count = pull_count + ?2 WHERE id = ?1", id, pull.count);
              !s)
            return s;
          if (auto s = c.run("UPDATE manifests SET pulled_at = max(pulled_at, ?3) WHERE repository_id = ?1 "
                             "AND digest = ?2",
                             id, pull.digest, time);
              !s) {
            return s;
          }
          if (pull.tag.empty()) continue;
          if (auto s = c.run(
                  "UPDATE tags SET pulled_at = max(pulled_at, ?3) WHERE repository_id = ?1 AND name = ?2", id,
                  pull.tag, time);
              !s) {
            return s;
          }
        }
        return base::ok_status();
      },
      Core::Sync::relaxed);
}

Result<std::int64_t> SqliteDatabase::count_repositories(const std::string& prefix) {
  return core_->read("count_repositories", [&](Connection& c) -> Result<std::int64_t> {
    SqlFragment where = prefix_condition("name", prefix);
    // Two possible texts (with or without an upper bound), so the statement is cached.
    auto stmt = c.prepare("SELECT COUNT(*) FROM repositories WHERE " + where.sql);
    if (!stmt) return std::move(stmt).error();
    return single_int64(stmt->bind_all(where.params));
  });
}

// Each blob counts once however many matching repositories link it; manifests are
// counted through their own blob rows (a manifest is also linked, but a deleted link
// must not hide a stored manifest).
Result<std::int64_t> SqliteDatabase::storage_used(const std::string& prefix) {
  return core_->read("storage_used", [&](Connection& c) -> Result<std::int64_t> {
    SqlFragment where = prefix_condition("r.name", prefix);
    auto stmt = c.prepare(
        "SELECT COALESCE(SUM(b.size), 0) FROM blobs b WHERE b.digest IN ("
        "SELECT rb.digest FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id WHERE " +
        where.sql +
        " UNION "
        "SELECT m.digest FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE " +
        where.sql + ")");
    if (!stmt) return std::move(stmt).error();
    std::vector<SqlValue> params = where.params;
    params.insert(params.end(), where.params.begin(), where.params.end());
    return single_int64(stmt->bind_all(params));
  });
}

}  // namespace berth::meta::sqlite
