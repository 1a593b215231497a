// SQLite implementation of meta::Database.
//
// Connections and locking: SQLite connections are opened with SQLITE_OPEN_NOMUTEX
// (multi-thread mode), so a connection must never be used by two threads at once;
// this file guarantees that with its own locks instead of SQLite's per-call mutex:
//   - one writer connection, guarded by `writer_mu_`; every mutating method is one
//     BEGIN IMMEDIATE ... COMMIT transaction on it (ROLLBACK on any failure);
//   - a fixed pool of reader connections (PRAGMA query_only), handed out one caller
//     at a time; each read runs in its own read transaction, so multi-statement reads
//     see one snapshot. In WAL mode readers never wait for the writer.
// Prepared statements are cached per connection and reset when a Statement goes out
// of scope, so a cached statement is never nested within itself.
//
// Durability: WAL with synchronous=FULL, so a committed transaction survives a crash
// or power loss (a 201 sent to a client is never forgotten).

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "meta/database.h"

namespace berth::meta {
namespace {

using base::Errc;
using base::Error;
using base::Result;
using base::Status;

constexpr int kBusyTimeoutMs = 5000;
constexpr std::size_t kReaderCount = 4;

// --- schema -------------------------------------------------------------------

// Timestamps are unix milliseconds. Empty subjects are stored as NULL.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE repositories (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE TABLE blobs (
  digest TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE pending_blobs (
  digest TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE repository_blobs (
  repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  digest TEXT NOT NULL REFERENCES blobs(digest),
  PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX repository_blobs_by_digest ON repository_blobs(digest);
CREATE TABLE manifests (
  repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  digest TEXT NOT NULL REFERENCES blobs(digest),
  media_type TEXT NOT NULL,
  artifact_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  subject TEXT,
  annotations TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX manifests_by_subject ON manifests(repository_id, subject);
CREATE INDEX manifests_by_digest ON manifests(digest);
CREATE TABLE manifest_references (
  repository_id INTEGER NOT NULL,
  manifest_digest TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('blob', 'manifest')),
  child_digest TEXT NOT NULL,
  PRIMARY KEY (repository_id, manifest_digest, kind, child_digest),
  FOREIGN KEY (repository_id, manifest_digest)
    REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX manifest_references_by_child ON manifest_references(child_digest);
CREATE TABLE tags (
  repository_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  digest TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (repository_id, name),
  FOREIGN KEY (repository_id, digest) REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX tags_by_digest ON tags(repository_id, digest);
CREATE TABLE uploads (
  id TEXT PRIMARY KEY,
  repository TEXT NOT NULL,
  started_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX uploads_by_start ON uploads(started_at);
)sql";

// Migration i brings the schema from version i to version i + 1 (PRAGMA user_version).
// Append new steps; never edit a released one.
constexpr const char* kMigrations[] = {kSchemaV1};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

// --- errors and time -------------------------------------------------------------

Errc errc_from_sqlite(int code) {
  switch (code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Errc::corrupt;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return Errc::io_error;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Errc::unavailable;
    default:
      return Errc::internal;
  }
}

Error sqlite_error(sqlite3* db, int code) {
  std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  return base::make_error(errc_from_sqlite(code), "sqlite: " + message);
}

std::int64_t to_millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_millis(std::int64_t ms) {
  return TimePoint(std::chrono::milliseconds(ms));
}

std::int64_t now_millis() {
  return to_millis(std::chrono::system_clock::now());
}

// A caller-supplied time, or now if the caller left it at the epoch.
std::int64_t millis_or_now(TimePoint t) {
  return t.time_since_epoch().count() == 0 ? now_millis() : to_millis(t);
}

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

// --- statements and connections --------------------------------------------------

// A cached prepared statement, borrowed from its Connection for one execution. Binds
// parameters 1..n in order; resets the statement and clears its bindings when it goes
// out of scope, so the statement is ready for the next caller.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept
      : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), bind_rc_(other.bind_rc_) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }

  template <class... Args>
  Statement& bind(const Args&... args) {
    int index = 0;
    (bind_one(++index, args), ...);
    return *this;
  }

  // Advances to the next row: true if there is one, false when done.
  Result<bool> step() {
    if (bind_rc_ != SQLITE_OK) return sqlite_error(db_, bind_rc_);
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite_error(db_, rc);
  }

  // Runs the statement to completion, discarding any rows.
  Status run() {
    for (;;) {
      auto row = step();
      if (!row) return std::move(row).error();
      if (!*row) return base::ok_status();
    }
  }

  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (data == nullptr) return {};
    return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }

 private:
  void note(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
  void bind_one(int index, std::int64_t value) { note(sqlite3_bind_int64(stmt_, index, value)); }
  void bind_one(int index, std::string_view value) {
    note(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void bind_one(int index, const std::string& value) { bind_one(index, std::string_view(value)); }
  void bind_one(int index, std::optional<std::string_view> value) {
    if (value) return bind_one(index, *value);
    note(sqlite3_bind_null(stmt_, index));
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// One SQLite connection and its prepared statement cache. Not thread-safe: the owner
// (writer mutex or reader pool) gives it to one thread at a time.
class Connection {
 public:
  enum class Role { writer, reader };

  static Result<std::unique_ptr<Connection>> open(const std::string& path, Role role) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (role == Role::writer) flags |= SQLITE_OPEN_CREATE;
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    auto conn = std::unique_ptr<Connection>(new Connection(db));
    if (rc != SQLITE_OK) return sqlite_error(db, rc);
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    if (auto s = conn->exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"); !s) {
      return std::move(s).error();
    }
    if (role == Role::reader) {
      if (auto s = conn->exec("PRAGMA query_only = ON;"); !s) return std::move(s).error();
      return conn;
    }
    auto mode = conn->prepare("PRAGMA journal_mode = WAL");
    if (!mode) return std::move(mode).error();
    auto row = mode->step();
    if (!row) return std::move(row).error();
    if (!*row || mode->text(0) != "wal") {
      return base::make_error(Errc::unsupported, "sqlite: cannot use WAL journal mode for " + path);
    }
    return conn;
  }

  ~Connection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The cached statement for `sql`, prepared on first use.
  Result<Statement> prepare(std::string_view sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) {
      if (sqlite3_stmt_busy(it->second)) {
        return base::make_error(Errc::internal, "sqlite: statement already in use: " + std::string(sql));
      }
      return Statement(db_, it->second);
    }
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &stmt, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(db_, rc);
    cache_.emplace(std::string(sql), stmt);
    return Statement(db_, stmt);
  }

  // Prepares (cached), binds and runs a statement to completion.
  template <class... Args>
  Status run(std::string_view sql, const Args&... args) {
    auto stmt = prepare(sql);
    if (!stmt) return std::move(stmt).error();
    return stmt->bind(args...).run();
  }

  // Runs a script of several statements, uncached (schema, pragmas).
  Status exec(const char* sql) {
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(db_, rc);
    return base::ok_status();
  }

  // Rows changed by the last INSERT/UPDATE/DELETE.
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> cache_;
};

// A fixed set of reader connections; acquire() waits while all are lent out.
class ReaderPool {
 public:
  class Lease {
   public:
    Lease(ReaderPool& pool, Connection* conn) : pool_(pool), conn_(conn) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_.release(conn_); }
    Connection& operator*() const { return *conn_; }

   private:
    ReaderPool& pool_;
    Connection* conn_;
  };

  void add(std::unique_ptr<Connection> conn) {
    free_.push_back(conn.get());
    all_.push_back(std::move(conn));
  }

  Lease acquire() {
    std::unique_lock lock(mu_);
    available_.wait(lock, [&] { return !free_.empty(); });
    Connection* conn = free_.back();
    free_.pop_back();
    return Lease(*this, conn);
  }

 private:
  void release(Connection* conn) {
    {
      std::lock_guard lock(mu_);
      free_.push_back(conn);
    }
    available_.notify_one();
  }

  std::mutex mu_;
  std::condition_variable available_;
  std::vector<Connection*> free_;
  std::vector<std::unique_ptr<Connection>> all_;
};

template <class R>
R with_context(std::string_view what, R result) {
  if (result.ok()) return result;
  Error error = std::move(result).error();
  error.message = "meta." + std::string(what) + ": " + error.message;
  return R(std::move(error));
}

// --- shared queries ---------------------------------------------------------------

Result<std::optional<std::int64_t>> find_repository(Connection& c, const std::string& name) {
  auto stmt = c.prepare("SELECT id FROM repositories WHERE name = ?1");
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->bind(name).step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>(stmt->int64(0));
}

Result<std::int64_t> ensure_repository(Connection& c, const std::string& name, std::int64_t now) {
  if (name.empty()) return base::make_error(Errc::invalid_argument, "empty repository name");
  if (auto s = c.run("INSERT INTO repositories(name, created_at) VALUES(?1, ?2) ON CONFLICT(name) DO NOTHING",
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

Status link(Connection& c, std::int64_t repository_id, const std::string& digest) {
  return c.run(
      "INSERT INTO repository_blobs(repository_id, digest) VALUES(?1, ?2) "
      "ON CONFLICT(repository_id, digest) DO NOTHING",
      repository_id, digest);
}

Result<std::vector<std::string>> collect_strings(Statement& stmt) {
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt.step();
    if (!row) return std::move(row).error();
    if (!*row) return out;
    out.push_back(stmt.text(0));
  }
}

// Selects the columns manifest_from_row reads, from repositories r joined with manifests m.
#define BERTH_SELECT_MANIFESTS                                                                 \
  "SELECT r.name, m.digest, m.media_type, m.artifact_type, m.size, m.subject, m.annotations, " \
  "m.created_at FROM repositories r JOIN manifests m ON m.repository_id = r.id "

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
  return m;
}

// --- the database -------------------------------------------------------------------

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(std::unique_ptr<Connection> writer) : writer_(std::move(writer)) {}
  ReaderPool& readers() { return readers_; }

  // --- blobs ---

  // The pending row need not be fsynced on its own: the blob's rename happens after it,
  // and the commit that follows (synchronous=FULL) flushes the WAL with it. A process
  // crash keeps it (it is in the WAL); only a power loss can drop it, and then the worst
  // is a blob file without a row, which `berth fsck` reports and no client was told of.
  Status begin_blob(const std::string& digest) override {
    return write(
        "begin_blob",
        [&](Connection& c) {
          return c.run(
              "INSERT INTO pending_blobs(digest, created_at) VALUES(?1, ?2) ON CONFLICT(digest) DO NOTHING",
              digest, now_millis());
        },
        Sync::relaxed);
  }

  Status commit_blob(const std::string& repository, const std::string& digest, std::int64_t size,
                     const std::string& upload_id) override {
    return write("commit_blob", [&](Connection& c) -> Status {
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

  Result<std::vector<std::string>> take_pending_blobs() override {
    return write("take_pending_blobs", [&](Connection& c) -> Result<std::vector<std::string>> {
      auto stmt = c.prepare("DELETE FROM pending_blobs RETURNING digest");
      if (!stmt) return std::move(stmt).error();
      auto digests = collect_strings(*stmt);
      if (digests) std::sort(digests->begin(), digests->end());
      return digests;
    });
  }

  Status add_blob(const std::string& digest, std::int64_t size) override {
    return write("add_blob", [&](Connection& c) { return record_blob(c, digest, size, now_millis()); });
  }

  Result<std::optional<std::int64_t>> blob_size(const std::string& digest) override {
    return read("blob_size", [&](Connection& c) -> Result<std::optional<std::int64_t>> {
      auto stmt = c.prepare("SELECT size FROM blobs WHERE digest = ?1");
      if (!stmt) return std::move(stmt).error();
      return optional_int64(stmt->bind(digest));
    });
  }

  Result<std::optional<std::int64_t>> linked_blob_size(const std::string& repository,
                                                       const std::string& digest) override {
    return read("linked_blob_size", [&](Connection& c) -> Result<std::optional<std::int64_t>> {
      auto stmt = c.prepare(
          "SELECT b.size FROM repositories r "
          "JOIN repository_blobs rb ON rb.repository_id = r.id "
          "JOIN blobs b ON b.digest = rb.digest "
          "WHERE r.name = ?1 AND rb.digest = ?2");
      if (!stmt) return std::move(stmt).error();
      return optional_int64(stmt->bind(repository, digest));
    });
  }

  Status link_blob(const std::string& repository, const std::string& digest) override {
    return write("link_blob", [&](Connection& c) -> Status {
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

  Status unlink_blob(const std::string& repository, const std::string& digest) override {
    return write("unlink_blob", [&](Connection& c) -> Status {
      if (auto s =
              c.run("DELETE FROM repository_blobs "
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

  Result<std::vector<std::pair<std::string, std::int64_t>>> all_blobs() override {
    using Blobs = std::vector<std::pair<std::string, std::int64_t>>;
    return read("all_blobs", [&](Connection& c) -> Result<Blobs> {
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

  // A blob is kept while a repository links it, a manifest is stored under its digest
  // or references it, or it is pending (about to be committed).
  Result<std::vector<std::string>> remove_unreferenced_blobs() override {
    return write("remove_unreferenced_blobs", [&](Connection& c) -> Result<std::vector<std::string>> {
      auto stmt = c.prepare(
          "DELETE FROM blobs WHERE "
          "NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.digest = blobs.digest) AND "
          "NOT EXISTS (SELECT 1 FROM pending_blobs p WHERE p.digest = blobs.digest) AND "
          "NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = blobs.digest) AND "
          "NOT EXISTS (SELECT 1 FROM manifest_references mr WHERE mr.child_digest = blobs.digest) "
          "RETURNING digest");
      if (!stmt) return std::move(stmt).error();
      auto digests = collect_strings(*stmt);
      if (digests) std::sort(digests->begin(), digests->end());
      return digests;
    });
  }

  // --- manifests and tags ---

  Status put_manifest(const ManifestRecord& manifest, const ManifestReferences& refs,
                      const std::string& tag) override {
    if (manifest.digest.empty()) {
      return base::make_error(Errc::invalid_argument, "meta.put_manifest: empty manifest digest");
    }
    return write("put_manifest", [&](Connection& c) -> Status {
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
      auto missing_manifests = missing_of(
          c, "SELECT 1 FROM manifests WHERE repository_id = ?1 AND digest = ?2", *repo, refs.manifests);
      if (!missing_manifests) return std::move(missing_manifests).error();
      if (!missing_blobs->empty() || !missing_manifests->empty()) {
        const std::string& first =
            missing_blobs->empty() ? missing_manifests->front() : missing_blobs->front();
        return base::make_error(Errc::not_found, first);
      }
      if (auto s = link(c, *repo, manifest.digest); !s) return s;
      auto subject = manifest.subject.empty() ? std::optional<std::string_view>()
                                              : std::optional<std::string_view>(manifest.subject);
      // An existing row for this digest is kept as it is (same content, same metadata).
      if (auto s =
              c.run("INSERT INTO manifests(repository_id, digest, media_type, artifact_type, size, subject, "
                    "annotations, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                    "ON CONFLICT(repository_id, digest) DO NOTHING",
                    *repo, manifest.digest, manifest.media_type, manifest.artifact_type, manifest.size,
                    subject, manifest.annotations_json, millis_or_now(manifest.created));
          !s) {
        return s;
      }
      if (auto s = add_references(c, *repo, manifest.digest, "blob", refs.blobs); !s) return s;
      if (auto s = add_references(c, *repo, manifest.digest, "manifest", refs.manifests); !s) return s;
      if (tag.empty()) return base::ok_status();
      return c.run(
          "INSERT INTO tags(repository_id, name, digest, updated_at) VALUES(?1, ?2, ?3, ?4) "
          "ON CONFLICT(repository_id, name) DO UPDATE SET digest = excluded.digest, "
          "updated_at = excluded.updated_at",
          *repo, tag, manifest.digest, now);
    });
  }

  Result<std::optional<ManifestRecord>> get_manifest(const std::string& repository,
                                                     const std::string& digest) override {
    return read("get_manifest", [&](Connection& c) -> Result<std::optional<ManifestRecord>> {
      auto stmt = c.prepare(BERTH_SELECT_MANIFESTS "WHERE r.name = ?1 AND m.digest = ?2");
      if (!stmt) return std::move(stmt).error();
      auto row = stmt->bind(repository, digest).step();
      if (!row) return std::move(row).error();
      if (!*row) return std::optional<ManifestRecord>{};
      return std::optional<ManifestRecord>(manifest_from_row(*stmt));
    });
  }

  Result<std::optional<std::string>> resolve_tag(const std::string& repository,
                                                 const std::string& tag) override {
    return read("resolve_tag", [&](Connection& c) -> Result<std::optional<std::string>> {
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

  Status delete_manifest(const std::string& repository, const std::string& digest) override {
    return write("delete_manifest", [&](Connection& c) -> Status {
      auto repo = find_repository(c, repository);
      if (!repo) return std::move(repo).error();
      auto not_found = [&] {
        return base::make_error(Errc::not_found, "manifest " + digest + " not found in " + repository);
      };
      if (!*repo) return not_found();
      std::int64_t id = **repo;
      if (auto s = c.run("DELETE FROM tags WHERE repository_id = ?1 AND digest = ?2", id, digest); !s)
        return s;
      if (auto s = c.run("DELETE FROM manifest_references WHERE repository_id = ?1 AND manifest_digest = ?2",
                         id, digest);
          !s) {
        return s;
      }
      if (auto s = c.run("DELETE FROM manifests WHERE repository_id = ?1 AND digest = ?2", id, digest); !s) {
        return s;
      }
      if (c.changes() == 0) return not_found();  // rolls back: nothing was deleted anyway
      return c.run("DELETE FROM repository_blobs WHERE repository_id = ?1 AND digest = ?2", id, digest);
    });
  }

  Status delete_tag(const std::string& repository, const std::string& tag) override {
    return write("delete_tag", [&](Connection& c) -> Status {
      if (auto s =
              c.run("DELETE FROM tags WHERE repository_id = (SELECT id FROM repositories WHERE name = ?1) "
                    "AND name = ?2",
                    repository, tag);
          !s) {
        return s;
      }
      if (c.changes() == 0)
        return base::make_error(Errc::not_found, "tag " + tag + " not found in " + repository);
      return base::ok_status();
    });
  }

  Result<std::vector<std::string>> list_tags(const std::string& repository, const Page& page) override {
    return read("list_tags", [&](Connection& c) -> Result<std::vector<std::string>> {
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

  Result<std::vector<std::string>> tags_of(const std::string& repository,
                                           const std::string& digest) override {
    return read("tags_of", [&](Connection& c) -> Result<std::vector<std::string>> {
      auto stmt = c.prepare(
          "SELECT t.name FROM repositories r JOIN tags t ON t.repository_id = r.id "
          "WHERE r.name = ?1 AND t.digest = ?2 ORDER BY t.name");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(repository, digest);
      return collect_strings(*stmt);
    });
  }

  Result<std::vector<std::string>> list_repositories(const Page& page) override {
    return read("list_repositories", [&](Connection& c) -> Result<std::vector<std::string>> {
      auto stmt = c.prepare("SELECT name FROM repositories WHERE name > ?1 ORDER BY name LIMIT ?2");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(page_after(page), sql_limit(page));
      return collect_strings(*stmt);
    });
  }

  Result<bool> repository_exists(const std::string& repository) override {
    return read("repository_exists", [&](Connection& c) -> Result<bool> {
      auto repo = find_repository(c, repository);
      if (!repo) return std::move(repo).error();
      return repo->has_value();
    });
  }

  Result<std::vector<ManifestRecord>> referrers(const std::string& repository,
                                                const std::string& digest) override {
    return read("referrers", [&](Connection& c) -> Result<std::vector<ManifestRecord>> {
      auto stmt = c.prepare(BERTH_SELECT_MANIFESTS
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
  Result<ManifestReferences> missing_references(const std::string& repository,
                                                const ManifestReferences& refs) override {
    return read("missing_references", [&](Connection& c) -> Result<ManifestReferences> {
      auto repo = find_repository(c, repository);
      if (!repo) return std::move(repo).error();
      std::int64_t id = repo->value_or(-1);  // no repository: every reference is missing
      ManifestReferences missing;
      auto blobs = missing_of(c, "SELECT 1 FROM repository_blobs WHERE repository_id = ?1 AND digest = ?2",
                              id, refs.blobs);
      if (!blobs) return std::move(blobs).error();
      missing.blobs = std::move(*blobs);
      auto manifests = missing_of(c, "SELECT 1 FROM manifests WHERE repository_id = ?1 AND digest = ?2", id,
                                  refs.manifests);
      if (!manifests) return std::move(manifests).error();
      missing.manifests = std::move(*manifests);
      return missing;
    });
  }

  // --- uploads ---

  Status create_upload(const UploadRecord& upload) override {
    return write("create_upload", [&](Connection& c) -> Status {
      auto stmt = c.prepare("SELECT 1 FROM uploads WHERE id = ?1");
      if (!stmt) return std::move(stmt).error();
      auto row = stmt->bind(upload.id).step();
      if (!row) return std::move(row).error();
      if (*row) return base::make_error(Errc::already_exists, "upload " + upload.id + " already exists");
      return c.run("INSERT INTO uploads(id, repository, started_at) VALUES(?1, ?2, ?3)", upload.id,
                   upload.repository, millis_or_now(upload.started));
    });
  }

  Result<std::optional<UploadRecord>> get_upload(const std::string& id) override {
    return read("get_upload", [&](Connection& c) -> Result<std::optional<UploadRecord>> {
      auto stmt = c.prepare("SELECT id, repository, started_at FROM uploads WHERE id = ?1");
      if (!stmt) return std::move(stmt).error();
      auto row = stmt->bind(id).step();
      if (!row) return std::move(row).error();
      if (!*row) return std::optional<UploadRecord>{};
      return std::optional<UploadRecord>(upload_from_row(*stmt));
    });
  }

  // Idempotent: deleting an unknown upload succeeds (commit_blob may have removed it).
  Status delete_upload(const std::string& id) override {
    return write("delete_upload",
                 [&](Connection& c) { return c.run("DELETE FROM uploads WHERE id = ?1", id); });
  }

  Result<std::vector<UploadRecord>> uploads_started_before(TimePoint cutoff) override {
    return read("uploads_started_before", [&](Connection& c) -> Result<std::vector<UploadRecord>> {
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

  Status check() override {
    return read("check", [&](Connection& c) { return c.run("SELECT 1"); });
  }

  Status integrity_check() override {
    return read("integrity_check", [&](Connection& c) -> Status {
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

 private:
  // How a write transaction's commit reaches the disk: `full` fsyncs the WAL at COMMIT
  // (every acknowledged change survives a power loss); `relaxed` leaves that to the next
  // full commit or checkpoint (it still survives a process crash).
  enum class Sync { full, relaxed };

  // Runs `fn` on the writer connection inside BEGIN IMMEDIATE ... COMMIT; rolls back
  // if `fn` or the commit fails.
  template <class Fn>
  auto write(std::string_view what, Fn&& fn, Sync sync = Sync::full)
      -> std::invoke_result_t<Fn&, Connection&> {
    using R = std::invoke_result_t<Fn&, Connection&>;
    std::lock_guard lock(writer_mu_);
    Connection& c = *writer_;
    if (c.in_transaction()) rollback(c);  // a previous failed rollback left one open
    if (sync == Sync::relaxed) {
      if (auto s = c.exec("PRAGMA synchronous = NORMAL"); !s)
        return with_context(what, R(std::move(s).error()));
    }
    struct RestoreFull {
      Connection& connection;
      bool active;
      ~RestoreFull() {
        if (active) (void)connection.exec("PRAGMA synchronous = FULL");
      }
    } restore{c, sync == Sync::relaxed};
    if (auto s = c.run("BEGIN IMMEDIATE"); !s) return with_context(what, R(std::move(s).error()));
    R result = fn(c);
    if (!result.ok()) {
      rollback(c);
      return with_context(what, std::move(result));
    }
    if (auto s = c.run("COMMIT"); !s) {
      rollback(c);
      return with_context(what, R(std::move(s).error()));
    }
    return result;
  }

  // Runs `fn` on a pooled reader connection inside one read transaction (a snapshot).
  template <class Fn>
  auto read(std::string_view what, Fn&& fn) -> std::invoke_result_t<Fn&, Connection&> {
    using R = std::invoke_result_t<Fn&, Connection&>;
    auto lease = readers_.acquire();
    Connection& c = *lease;
    if (c.in_transaction()) rollback(c);
    if (auto s = c.run("BEGIN"); !s) return with_context(what, R(std::move(s).error()));
    R result = fn(c);
    if (!c.run("COMMIT")) rollback(c);  // ends the read snapshot; nothing to lose
    return with_context(what, std::move(result));
  }

  static void rollback(Connection& c) {
    if (c.in_transaction()) (void)c.run("ROLLBACK");
  }

  static Result<std::optional<std::int64_t>> optional_int64(Statement& stmt) {
    auto row = stmt.step();
    if (!row) return std::move(row).error();
    if (!*row) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>(stmt.int64(0));
  }

  static Status add_references(Connection& c, std::int64_t repository_id, const std::string& manifest_digest,
                               std::string_view kind, const std::vector<std::string>& children) {
    for (const auto& child : children) {
      if (auto s =
              c.run("INSERT INTO manifest_references(repository_id, manifest_digest, kind, child_digest) "
                    "VALUES(?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    repository_id, manifest_digest, kind, child);
          !s) {
        return s;
      }
    }
    return base::ok_status();
  }

  static Result<std::vector<std::string>> missing_of(Connection& c, std::string_view sql,
                                                     std::int64_t repository_id,
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

  static UploadRecord upload_from_row(const Statement& stmt) {
    return UploadRecord{stmt.text(0), stmt.text(1), from_millis(stmt.int64(2))};
  }

  std::mutex writer_mu_;
  std::unique_ptr<Connection> writer_;
  ReaderPool readers_;
};

#undef BERTH_SELECT_MANIFESTS

// Brings the schema to kSchemaVersion in one transaction. Errors: unsupported if the
// file was written by a newer Berth.
Status migrate(Connection& c) {
  if (auto s = c.run("BEGIN IMMEDIATE"); !s) return s;
  auto fail = [&](Error error) -> Status {
    (void)c.run("ROLLBACK");
    return error;
  };
  int version = 0;
  {
    auto stmt = c.prepare("PRAGMA user_version");
    if (!stmt) return fail(std::move(stmt).error());
    auto row = stmt->step();
    if (!row) return fail(std::move(row).error());
    if (*row) version = static_cast<int>(stmt->int64(0));
  }  // the statement is reset here, before the schema changes
  if (version > kSchemaVersion) {
    return fail(base::make_error(Errc::unsupported, "schema version " + std::to_string(version) +
                                                        " is newer than this build's " +
                                                        std::to_string(kSchemaVersion)));
  }
  if (version == kSchemaVersion) {
    (void)c.run("COMMIT");
    return base::ok_status();
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    if (auto s = c.exec(kMigrations[v]); !s) return fail(std::move(s).error());
  }
  std::string set_version = "PRAGMA user_version = " + std::to_string(kSchemaVersion);
  if (auto s = c.exec(set_version.c_str()); !s) return fail(std::move(s).error());
  if (auto s = c.run("COMMIT"); !s) return fail(std::move(s).error());
  return base::ok_status();
}

}  // namespace

Result<std::unique_ptr<Database>> open_sqlite(const std::string& path) {
  auto fail = [&](Error error) -> Result<std::unique_ptr<Database>> {
    error.message = "meta.open_sqlite " + path + ": " + error.message;
    return error;
  };
  if (sqlite3_threadsafe() == 0) {
    return fail(base::make_error(Errc::unsupported, "SQLite was built without thread support"));
  }
  auto writer = Connection::open(path, Connection::Role::writer);
  if (!writer) return fail(std::move(writer).error());
  if (auto s = migrate(**writer); !s) return fail(std::move(s).error());
  auto db = std::make_unique<SqliteDatabase>(std::move(*writer));
  for (std::size_t i = 0; i < kReaderCount; ++i) {
    auto reader = Connection::open(path, Connection::Role::reader);
    if (!reader) return fail(std::move(reader).error());
    db->readers().add(std::move(*reader));
  }
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace berth::meta
