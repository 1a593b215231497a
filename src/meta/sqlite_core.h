// The SQLite machinery shared by the SQLite implementations of meta::Database and
// meta::IamDatabase: prepared statements, connections, the reader pool, and sqlite::Core,
// which owns one writer connection and the readers and runs transactions on them.
// Internal to src/meta: nothing outside this folder includes sqlite3.h.
//
// Connections and locking: SQLite connections are opened with SQLITE_OPEN_NOMUTEX
// (multi-thread mode), so a connection must never be used by two threads at once; Core
// guarantees that with its own locks instead of SQLite's per-call mutex:
//   - one writer connection, guarded by a mutex; every mutating call is one
//     BEGIN IMMEDIATE ... COMMIT transaction on it (ROLLBACK on any failure);
//   - a fixed pool of reader connections (PRAGMA query_only), handed out one caller
//     at a time; each read runs in its own read transaction, so multi-statement reads
//     see one snapshot. In WAL mode readers never wait for the writer.
// Both implementations share one Core (std::shared_ptr), so a single writer serializes
// every write to the file, whichever interface it came through.
// Prepared statements are cached per connection and reset when a Statement goes out
// of scope, so a cached statement is never nested within itself. Statements whose text
// is built per call (listings) are prepared uncached and finalized after use, so the
// cache cannot grow without bound.
//
// Durability: WAL with synchronous=FULL, so a committed transaction survives a crash
// or power loss (a 201 sent to a client is never forgotten). A write may ask for
// Sync::relaxed when losing it to a power loss is harmless (see Core::write).
//
// Checkpoints: copying the WAL back into the database file is not done by the commit that
// fills it (SQLite's default) but by a checkpointer thread on a connection of its own, woken
// when a commit leaves more than kCheckpointFrames in the WAL. Writers and readers go on
// meanwhile (a PASSIVE checkpoint waits for no one), so no commit pays for a checkpoint.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.h"
#include "meta/database.h"
#include "meta/iam_database.h"
#include "meta/immutability_database.h"
#include "meta/job_database.h"
#include "meta/label_database.h"
#include "meta/limits_database.h"
#include "meta/replication_database.h"
#include "meta/retention_database.h"
#include "meta/scan_database.h"
#include "meta/webhook_database.h"

namespace berth::meta::sqlite {

// --- errors and time -------------------------------------------------------------

base::Errc errc_from_sqlite(int code);
base::Error sqlite_error(sqlite3* db, int code);

// Timestamps are stored as unix milliseconds.
inline std::int64_t to_millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline TimePoint from_millis(std::int64_t ms) {
  return TimePoint(std::chrono::milliseconds(ms));
}
inline std::int64_t now_millis() {
  return to_millis(std::chrono::system_clock::now());
}
// A caller-supplied time, or now if the caller left it at the epoch.
inline std::int64_t millis_or_now(TimePoint t) {
  return t.time_since_epoch().count() == 0 ? now_millis() : to_millis(t);
}

// Prefixes "meta.<what>: " to an error's message.
template <class R>
R with_context(std::string_view what, R result) {
  if (result.ok()) return result;
  base::Error error = std::move(result).error();
  error.message = "meta." + std::string(what) + ": " + error.message;
  return R(std::move(error));
}

// A value bound to a '?' parameter of a statement built at run time.
using SqlValue = std::variant<std::int64_t, std::string>;

// --- statements and connections --------------------------------------------------

// A prepared statement borrowed for one execution: a cached one from its Connection
// (reset and its bindings cleared when the Statement goes out of scope, ready for the
// next caller) or an uncached one that the Statement owns and finalizes. Binds
// parameters 1..n in order.
class Statement {
 public:
  enum class Ownership { cached, owned };

  Statement(sqlite3* db, sqlite3_stmt* stmt, Ownership ownership = Ownership::cached)
      : db_(db), stmt_(stmt), ownership_(ownership) {}
  Statement(Statement&& other) noexcept
      : db_(other.db_),
        stmt_(std::exchange(other.stmt_, nullptr)),
        ownership_(other.ownership_),
        bind_rc_(other.bind_rc_) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  template <class... Args>
  Statement& bind(const Args&... args) {
    int index = 0;
    (bind_one(++index, args), ...);
    return *this;
  }
  // Binds values to parameters 1..n.
  Statement& bind_all(const std::vector<SqlValue>& values);

  // Advances to the next row: true if there is one, false when done.
  base::Result<bool> step();
  // Runs the statement to completion, discarding any rows.
  base::Status run();

  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string text(int column) const;

 private:
  void note(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
  void bind_one(int index, std::int64_t value) { note(sqlite3_bind_int64(stmt_, index, value)); }
  void bind_one(int index, std::string_view value) {
    note(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void bind_one(int index, const std::string& value) { bind_one(index, std::string_view(value)); }
  void bind_one(int index, const char* value) { bind_one(index, std::string_view(value)); }
  void bind_one(int index, std::optional<std::string_view> value) {
    if (value) return bind_one(index, *value);
    note(sqlite3_bind_null(stmt_, index));
  }
  void bind_one(int index, std::optional<std::int64_t> value) {
    if (value) return bind_one(index, *value);
    note(sqlite3_bind_null(stmt_, index));
  }
  void bind_one(int index, const SqlValue& value) {
    std::visit([&](const auto& v) { bind_one(index, v); }, value);
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  Ownership ownership_;
  int bind_rc_ = SQLITE_OK;
};

// One SQLite connection and its prepared statement cache. Not thread-safe: the owner
// (Core's writer mutex or reader pool) gives it to one thread at a time.
class Connection {
 public:
  enum class Role { writer, reader, checkpointer };

  static base::Result<std::unique_ptr<Connection>> open(const std::string& path, Role role);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The cached statement for `sql`, prepared on first use. The cache never shrinks, so
  // `sql` must come from a small fixed set of texts.
  base::Result<Statement> prepare(std::string_view sql);
  // A statement prepared for this one use (text built at run time).
  base::Result<Statement> prepare_uncached(std::string_view sql);

  // Prepares (cached), binds and runs a statement to completion.
  template <class... Args>
  base::Status run(std::string_view sql, const Args&... args) {
    auto stmt = prepare(sql);
    if (!stmt) return std::move(stmt).error();
    return stmt->bind(args...).run();
  }

  // Runs a script of several statements, uncached (schema, pragmas).
  base::Status exec(const char* sql);

  // Rows changed by the last INSERT/UPDATE/DELETE.
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  // Rowid of the last INSERT.
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }
  // The SQLite handle, for the hooks Core installs.
  sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

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

  void add(std::unique_ptr<Connection> conn);
  Lease acquire();

 private:
  void release(Connection* conn);

  std::mutex mu_;
  std::condition_variable available_;
  std::vector<Connection*> free_;
  std::vector<std::unique_ptr<Connection>> all_;
};

// --- the shared core -------------------------------------------------------------------

// One database file: the writer connection, the reader pool and the transaction helpers.
// Thread-safe.
class Core {
 public:
  // How a write transaction's commit reaches the disk: `full` fsyncs the WAL at COMMIT
  // (every acknowledged change survives a power loss); `relaxed` leaves that to the next
  // full commit or checkpoint (it still survives a process crash).
  enum class Sync { full, relaxed };

  // Opens (creating if needed) the file in WAL mode and brings its schema to the
  // current version. Errors: io_error, corrupt, unsupported (a newer schema).
  static base::Result<std::shared_ptr<Core>> open(const std::string& path);
  // The same for another database file with its own list of migrations (see
  // schema_migrations for their form).
  static base::Result<std::shared_ptr<Core>> open(const std::string& path,
                                                  std::span<const char* const> migrations);

  // Takes over the writer; checkpoints run on `checkpointer` from now on.
  Core(std::unique_ptr<Connection> writer, std::unique_ptr<Connection> checkpointer);
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;
  ~Core();

  // Runs `fn` on the writer connection inside BEGIN IMMEDIATE ... COMMIT; rolls back
  // if `fn` or the commit fails. Errors get "meta.<what>: " prefixed.
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

  // Makes every commit so far survive a power loss, `relaxed` ones included: checkpoints
  // the WAL, which SQLite syncs before copying it into the database. Errors: unavailable when a
  // reader kept part of the WAL from being copied (nothing lost; try again later).
  base::Status sync();

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

 private:
  static void rollback(Connection& c) {
    if (c.in_transaction()) (void)c.run("ROLLBACK");
  }

  // The WAL size (in frames, one per page) past which a commit wakes the checkpointer.
  static constexpr int kCheckpointFrames = 16384;
  static int on_commit(void* core, sqlite3* db, const char* schema, int frames);
  void checkpoint_when_asked(std::stop_token stop);

  std::mutex writer_mu_;
  std::unique_ptr<Connection> writer_;
  ReaderPool readers_;
  std::unique_ptr<Connection> checkpointer_;
  std::mutex checkpoint_run_mu_;  // held while a checkpoint runs (sync() waits for the checkpointer's)
  std::mutex checkpoint_mu_;
  std::condition_variable_any checkpoint_wanted_;
  bool checkpoint_asked_ = false;
  std::jthread checkpoint_thread_;  // last: stopped and joined before the connections close
};

// --- small shared helpers ------------------------------------------------------------

// Every row's first column as text.
base::Result<std::vector<std::string>> collect_strings(Statement& stmt);
// The first row's first column, if there is a row.
base::Result<std::optional<std::int64_t>> optional_int64(Statement& stmt);
// True if the statement yields at least one row.
base::Result<bool> exists(Statement& stmt);

// A nullable time column (unix milliseconds), and a time to bind as one.
inline std::optional<TimePoint> optional_time(const Statement& stmt, int column) {
  if (stmt.is_null(column)) return std::nullopt;
  return from_millis(stmt.int64(column));
}
inline std::optional<std::int64_t> optional_millis(const std::optional<TimePoint>& time) {
  if (!time) return std::nullopt;
  return to_millis(*time);
}

// Every row of `stmt`, each made by `from_row(stmt)`.
template <class T, class FromRow>
base::Result<std::vector<T>> all_rows(Statement& stmt, FromRow from_row) {
  std::vector<T> out;
  for (;;) {
    auto row = stmt.step();
    if (!row) return std::move(row).error();
    if (!*row) return out;
    out.push_back(from_row(static_cast<const Statement&>(stmt)));
  }
}
// The same for the cached query `sql` with `args` bound.
template <class T, class FromRow, class... Args>
base::Result<std::vector<T>> all_rows(Connection& c, std::string_view sql, FromRow from_row,
                                      const Args&... args) {
  auto stmt = c.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  stmt->bind(args...);
  return all_rows<T>(*stmt, from_row);
}

// The integer the query `sql` selects with `args` bound (a COUNT): 0 for no row or NULL.
template <class... Args>
base::Result<std::int64_t> count_of(Connection& c, std::string_view sql, const Args&... args) {
  auto stmt = c.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  auto n = optional_int64(stmt->bind(args...));
  if (!n) return std::move(n).error();
  return n->value_or(0);
}

// The smallest string greater than every string that starts with `prefix` (nullopt if
// there is none): `name >= prefix AND name < upper` selects exactly the names starting
// with `prefix` and can use an index.
std::optional<std::string> prefix_upper_bound(std::string_view prefix);

// The implementations over one Core (defined with them).
std::unique_ptr<Database> make_registry_database(std::shared_ptr<Core> core);
std::unique_ptr<IamDatabase> make_iam_database(std::shared_ptr<Core> core);
std::unique_ptr<JobDatabase> make_job_database(std::shared_ptr<Core> core);        // sqlite_jobs.cpp
std::unique_ptr<ScanDatabase> make_scan_database(std::shared_ptr<Core> core);      // sqlite_scan.cpp
std::unique_ptr<LabelDatabase> make_label_database(std::shared_ptr<Core> core);    // sqlite_labels.cpp
std::unique_ptr<LimitsDatabase> make_limits_database(std::shared_ptr<Core> core);  // sqlite_limits.cpp
std::unique_ptr<ImmutabilityDatabase> make_immutability_database(std::shared_ptr<Core> core);
// sqlite_retention.cpp
std::unique_ptr<RetentionDatabase> make_retention_database(std::shared_ptr<Core> core);
// sqlite_webhooks.cpp
std::unique_ptr<WebhookDatabase> make_webhook_database(std::shared_ptr<Core> core);
// sqlite_replication.cpp
std::unique_ptr<ReplicationDatabase> make_replication_database(std::shared_ptr<Core> core);

}  // namespace berth::meta::sqlite
