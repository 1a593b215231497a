#include "meta/sqlite_core.h"

#include <string>

#include "base/log.h"
#include "meta/sqlite_schema.h"

namespace berth::meta::sqlite {

using base::Errc;
using base::Error;
using base::Result;
using base::Status;

namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr std::size_t kReaderCount = 4;

// Brings the schema to the latest version in one transaction. Errors: unsupported if
// the file was written by a newer Berth.
Status migrate(Connection& c, std::span<const char* const> migrations) {
  const int latest = static_cast<int>(migrations.size());
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
  if (version > latest) {
    return fail(base::make_error(Errc::unsupported, "schema version " + std::to_string(version) +
                                                        " is newer than this build's " +
                                                        std::to_string(latest)));
  }
  if (version == latest) {
    (void)c.run("COMMIT");
    return base::ok_status();
  }
  for (int v = version; v < latest; ++v) {
    if (auto s = c.exec(migrations[static_cast<std::size_t>(v)]); !s) {
      Error error = std::move(s).error();
      error.message = "migration to schema version " + std::to_string(v + 1) + ": " + error.message;
      return fail(std::move(error));
    }
  }
  std::string set_version = "PRAGMA user_version = " + std::to_string(latest);
  if (auto s = c.exec(set_version.c_str()); !s) return fail(std::move(s).error());
  if (auto s = c.run("COMMIT"); !s) return fail(std::move(s).error());
  return base::ok_status();
}

}  // namespace

// --- errors ------------------------------------------------------------------------

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

// --- Statement ---------------------------------------------------------------------

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (ownership_ == Ownership::owned) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Statement& Statement::bind_all(const std::vector<SqlValue>& values) {
  int index = 0;
  for (const auto& value : values) bind_one(++index, value);
  return *this;
}

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) return sqlite_error(db_, bind_rc_);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db_, rc);
}

Status Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::move(row).error();
    if (!*row) return base::ok_status();
  }
}

std::string Statement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

// --- Connection ----------------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, Role role) {
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
  if (role == Role::checkpointer) return conn;
  // The writer's page cache: up to 32 MiB (SQLite's default is 2 MiB). Garbage collection deletes
  // rows all over large indexes; with the default, a collection of 339,000 blobs read and wrote
  // pages so often that it took 21 s instead of 16.
  if (auto s = conn->exec("PRAGMA cache_size = -32768;"); !s) return std::move(s).error();
  // Checkpoints let the WAL grow to kCheckpointFrames pages and more; once copied back, the
  // file is cut to 16 MiB.
  if (auto s = conn->exec("PRAGMA journal_size_limit = 16777216;"); !s) return std::move(s).error();
  auto mode = conn->prepare("PRAGMA journal_mode = WAL");
  if (!mode) return std::move(mode).error();
  auto row = mode->step();
  if (!row) return std::move(row).error();
  if (!*row || mode->text(0) != "wal") {
    return base::make_error(Errc::unsupported, "sqlite: cannot use WAL journal mode for " + path);
  }
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<Statement> Connection::prepare(std::string_view sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) {
    if (sqlite3_stmt_busy(it->second)) {
      return base::make_error(Errc::internal, "sqlite: statement already in use: " + std::string(sql));
    }
    return Statement(db_, it->second);
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc);
  cache_.emplace(std::string(sql), stmt);
  return Statement(db_, stmt);
}

Result<Statement> Connection::prepare_uncached(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return sqlite_error(db_, rc);
  }
  return Statement(db_, stmt, Statement::Ownership::owned);
}

Status Connection::exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc);
  return base::ok_status();
}

// --- Core ------------------------------------------------------------------------------

Core::Core(std::unique_ptr<Connection> writer, std::unique_ptr<Connection> checkpointer)
    : writer_(std::move(writer)), checkpointer_(std::move(checkpointer)) {
  // Replaces SQLite's automatic checkpoint in the committing thread.
  sqlite3_wal_hook(writer_->handle(), &Core::on_commit, this);
  checkpoint_thread_ = std::jthread([this](std::stop_token stop) { checkpoint_when_asked(stop); });
}

Core::~Core() {
  checkpoint_thread_.request_stop();
  checkpoint_thread_.join();
  sqlite3_wal_hook(writer_->handle(), nullptr, nullptr);
}

int Core::on_commit(void* core, sqlite3*, const char*, int frames) {
  if (frames >= kCheckpointFrames) {
    auto* self = static_cast<Core*>(core);
    {
      std::lock_guard lock(self->checkpoint_mu_);
      self->checkpoint_asked_ = true;
    }
    self->checkpoint_wanted_.notify_one();
  }
  return SQLITE_OK;
}

void Core::checkpoint_when_asked(std::stop_token stop) {
  for (;;) {
    {
      std::unique_lock lock(checkpoint_mu_);
      if (!checkpoint_wanted_.wait(lock, stop, [&] { return checkpoint_asked_; })) return;
      checkpoint_asked_ = false;
    }
    // PASSIVE: copies what no reader still needs; the rest waits for the next request.
    std::lock_guard running(checkpoint_run_mu_);
    int rc = sqlite3_wal_checkpoint_v2(checkpointer_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                       nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
      BERTH_LOG_WARN("sqlite: checkpoint failed: {}", sqlite3_errstr(rc));
  }
}

Status Core::sync() {
  std::lock_guard lock(writer_mu_);
  std::lock_guard running(checkpoint_run_mu_);
  auto stmt = writer_->prepare("PRAGMA wal_checkpoint(PASSIVE)");
  if (!stmt) return with_context("sync", Status(std::move(stmt).error()));
  auto row = stmt->step();
  if (!row) return with_context("sync", Status(std::move(row).error()));
  // One row: busy, frames in the WAL, frames copied into the database.
  if (!*row || stmt->int64(1) != stmt->int64(2))
    return base::make_error(base::Errc::unavailable, "meta.sync: a reader holds part of the WAL");
  return base::ok_status();
}

// --- ReaderPool ------------------------------------------------------------------------

void ReaderPool::add(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  free_.push_back(conn.get());
  all_.push_back(std::move(conn));
}

ReaderPool::Lease ReaderPool::acquire() {
  std::unique_lock lock(mu_);
  available_.wait(lock, [&] { return !free_.empty(); });
  Connection* conn = free_.back();
  free_.pop_back();
  return Lease(*this, conn);
}

void ReaderPool::release(Connection* conn) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(conn);
  }
  available_.notify_one();
}

// --- Core ------------------------------------------------------------------------------

Result<std::shared_ptr<Core>> Core::open(const std::string& path) {
  return open(path, schema_migrations());
}

Result<std::shared_ptr<Core>> Core::open(const std::string& path, std::span<const char* const> migrations) {
  if (sqlite3_threadsafe() == 0) {
    return base::make_error(Errc::unsupported, "SQLite was built without thread support");
  }
  auto writer = Connection::open(path, Connection::Role::writer);
  if (!writer) return std::move(writer).error();
  if (auto s = migrate(**writer, migrations); !s) return std::move(s).error();
  auto checkpointer = Connection::open(path, Connection::Role::checkpointer);
  if (!checkpointer) return std::move(checkpointer).error();
  auto core = std::make_shared<Core>(std::move(*writer), std::move(*checkpointer));
  for (std::size_t i = 0; i < kReaderCount; ++i) {
    auto reader = Connection::open(path, Connection::Role::reader);
    if (!reader) return std::move(reader).error();
    core->readers_.add(std::move(*reader));
  }
  return core;
}

// --- helpers -----------------------------------------------------------------------------

Result<std::vector<std::string>> collect_strings(Statement& stmt) {
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt.step();
    if (!row) return std::move(row).error();
    if (!*row) return out;
    out.push_back(stmt.text(0));
  }
}

Result<std::optional<std::int64_t>> optional_int64(Statement& stmt) {
  auto row = stmt.step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>(stmt.int64(0));
}

Result<bool> exists(Statement& stmt) {
  return stmt.step();
}

std::optional<std::string> prefix_upper_bound(std::string_view prefix) {
  std::string upper(prefix);
  while (!upper.empty()) {
    auto last = static_cast<unsigned char>(upper.back());
    if (last != 0xff) {
      upper.back() = static_cast<char>(last + 1);
      return upper;
    }
    upper.pop_back();
  }
  return std::nullopt;
}

}  // namespace berth::meta::sqlite
