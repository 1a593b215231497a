// SQLite implementation of meta::LabelDatabase over the shared sqlite::Core.
#include "meta/label_database.h"
#include "meta/sqlite_core.h"
#include "meta/sqlite_query.h"
#include "meta/sqlite_registry.h"

namespace berth::meta::sqlite {
namespace {

using base::Errc;
using base::Result;
using base::Status;

#define BERTH_LABEL_COLUMNS \
  "l.id, l.name, l.description, l.color, l.scope, l.project_id, l.created_at, l.updated_at"

Label label_from_row(const Statement& s) {
  Label l;
  l.id = s.int64(0);
  l.name = s.text(1);
  l.description = s.text(2);
  l.color = s.text(3);
  l.scope = s.text(4);
  l.project_id = s.int64(5);
  l.created = from_millis(s.int64(6));
  l.updated = from_millis(s.int64(7));
  return l;
}

const QuerySchema& label_schema() {
  static const QuerySchema schema{
      .fields =
          {
              column_field("name", "l.name", FieldType::text, kExact | kFuzzy),
              column_field("scope", "l.scope", FieldType::text, kExact),
              column_field("project_id", "l.project_id", FieldType::integer, kExact),
          },
      .sorts = {{"name", "l.name"}, {"creation_time", "l.created_at"}, {"update_time", "l.updated_at"}},
      .default_order = "l.name",
      .tie_break = "l.id",
  };
  return schema;
}

Result<bool> name_taken(Connection& c, const Label& label) {
  auto stmt =
      c.prepare("SELECT 1 FROM labels WHERE name = ?1 AND scope = ?2 AND project_id = ?3 AND id <> ?4");
  if (!stmt) return std::move(stmt).error();
  return exists(stmt->bind(label.name, label.scope, label.project_id, label.id));
}

// The id of `repository` and whether `digest` is a manifest of it.
Result<std::optional<std::int64_t>> artifact_repository(Connection& c, const std::string& repository,
                                                        const std::string& digest) {
  auto stmt = c.prepare(
      "SELECT r.id FROM repositories r JOIN manifests m ON m.repository_id = r.id WHERE r.name = ?1 AND "
      "m.digest = ?2");
  if (!stmt) return std::move(stmt).error();
  return optional_int64(stmt->bind(repository, digest));
}

class SqliteLabelDatabase final : public LabelDatabase {
 public:
  explicit SqliteLabelDatabase(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  Result<Label> create_label(const Label& label) override {
    return core_->write("create_label", [&](Connection& c) -> Result<Label> {
      auto taken = name_taken(c, label);
      if (!taken) return std::move(taken).error();
      if (*taken) return base::make_error(Errc::already_exists, "label " + label.name + " already exists");
      const std::int64_t now = now_millis();
      if (auto s =
              c.run("INSERT INTO labels(name, description, color, scope, project_id, created_at, updated_at) "
                    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                    label.name, label.description, label.color, label.scope, label.project_id, now);
          !s)
        return std::move(s).error();
      Label out = label;
      out.id = c.last_insert_rowid();
      out.created = out.updated = from_millis(now);
      return out;
    });
  }

  Result<std::optional<Label>> get_label(std::int64_t id) override {
    return core_->read("get_label", [&](Connection& c) -> Result<std::optional<Label>> {
      auto stmt = c.prepare("SELECT " BERTH_LABEL_COLUMNS " FROM labels l WHERE l.id = ?1");
      if (!stmt) return std::move(stmt).error();
      auto row = stmt->bind(id).step();
      if (!row) return std::move(row).error();
      if (!*row) return std::optional<Label>{};
      return std::optional<Label>(label_from_row(*stmt));
    });
  }

  Result<Listing<Label>> list_labels(const ListQuery& query) override {
    return core_->read("list_labels", [&](Connection& c) {
      ListingSql sql{BERTH_LABEL_COLUMNS, "labels l", SqlFragment{}};
      return run_listing<Label>(c, sql, query, label_schema(), label_from_row);
    });
  }

  Status update_label(const Label& label) override {
    return core_->write("update_label", [&](Connection& c) -> Status {
      auto taken = name_taken(c, label);
      if (!taken) return std::move(taken).error();
      if (*taken) return base::make_error(Errc::already_exists, "label " + label.name + " already exists");
      if (auto s = c.run(
              "UPDATE labels SET name = ?2, description = ?3, color = ?4, updated_at = ?5 WHERE id = ?1",
              label.id, label.name, label.description, label.color, now_millis());
          !s)
        return s;
      if (c.changes() == 0)
        return base::make_error(Errc::not_found, "label " + std::to_string(label.id) + " not found");
      return base::ok_status();
    });
  }

  Status delete_label(std::int64_t id) override {
    return core_->write("delete_label", [&](Connection& c) -> Status {
      if (auto s = c.run("DELETE FROM artifact_labels WHERE label_id = ?1", id); !s) return s;
      if (auto s = c.run("DELETE FROM labels WHERE id = ?1", id); !s) return s;
      if (c.changes() == 0)
        return base::make_error(Errc::not_found, "label " + std::to_string(id) + " not found");
      return base::ok_status();
    });
  }

  Status attach_label(const std::string& repository, const std::string& digest,
                      std::int64_t label_id) override {
    return core_->write("attach_label", [&](Connection& c) -> Status {
      auto repo = artifact_repository(c, repository, digest);
      if (!repo) return std::move(repo).error();
      if (!*repo)
        return base::make_error(Errc::not_found, "artifact " + repository + "@" + digest + " not found");
      {
        auto stmt = c.prepare("SELECT 1 FROM labels WHERE id = ?1");
        if (!stmt) return std::move(stmt).error();
        auto found = exists(stmt->bind(label_id));
        if (!found) return std::move(found).error();
        if (!*found)
          return base::make_error(Errc::not_found, "label " + std::to_string(label_id) + " not found");
      }
      {
        auto stmt = c.prepare(
            "SELECT 1 FROM artifact_labels WHERE repository_id = ?1 AND digest = ?2 AND label_id = ?3");
        if (!stmt) return std::move(stmt).error();
        auto found = exists(stmt->bind(**repo, digest, label_id));
        if (!found) return std::move(found).error();
        if (*found)
          return base::make_error(Errc::already_exists,
                                  "label " + std::to_string(label_id) + " is already added to the artifact");
      }
      return c.run(
          "INSERT INTO artifact_labels(label_id, repository_id, digest, created_at) VALUES(?1, ?2, ?3, ?4)",
          label_id, **repo, digest, now_millis());
    });
  }

  Status detach_label(const std::string& repository, const std::string& digest,
                      std::int64_t label_id) override {
    return core_->write("detach_label", [&](Connection& c) -> Status {
      if (auto s =
              c.run("DELETE FROM artifact_labels WHERE label_id = ?3 AND digest = ?2 AND repository_id = "
                    "(SELECT id FROM repositories WHERE name = ?1)",
                    repository, digest, label_id);
          !s)
        return s;
      if (c.changes() == 0)
        return base::make_error(Errc::not_found, "reference with label " + std::to_string(label_id) +
                                                     " and artifact " + digest + " not found");
      return base::ok_status();
    });
  }

  Result<std::vector<Label>> labels_of(const std::string& repository, const std::string& digest) override {
    return core_->read("labels_of", [&](Connection& c) -> Result<std::vector<Label>> {
      auto stmt =
          c.prepare("SELECT " BERTH_LABEL_COLUMNS
                    " FROM labels l JOIN artifact_labels al ON al.label_id = l.id "
                    "JOIN repositories r ON r.id = al.repository_id WHERE r.name = ?1 AND al.digest = ?2 "
                    "ORDER BY l.name, l.id");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(repository, digest);
      std::vector<Label> out;
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::move(row).error();
        if (!*row) return out;
        out.push_back(label_from_row(*stmt));
      }
    });
  }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<LabelDatabase> make_label_database(std::shared_ptr<Core> core) {
  return std::make_unique<SqliteLabelDatabase>(std::move(core));
}

}  // namespace berth::meta::sqlite
