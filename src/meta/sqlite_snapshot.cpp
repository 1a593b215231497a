// SQLite implementation of meta::Database::snapshot: the online backup API copies the whole
// file as one read transaction sees it, while writers go on.

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "meta/sqlite_registry.h"

namespace berth::meta::sqlite {

using base::Errc;
using base::Status;

namespace {

struct CloseDatabase {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DatabaseHandle = std::unique_ptr<sqlite3, CloseDatabase>;

Status exec_on(sqlite3* db, const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return base::ok_status();
  std::string text = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return base::make_error(Errc::io_error, text);
}

}  // namespace

Status SqliteDatabase::snapshot(
    const std::string& path,
    const std::function<Status(const std::string& digest, std::int64_t size)>& blob) {
  // Created here, exclusively: never over an existing file.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    return base::make_error(err == EEXIST ? Errc::already_exists : Errc::io_error,
                            "cannot create " + path + ": " + std::strerror(err));
  }
  ::close(fd);
  sqlite3* raw = nullptr;
  const int opened =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  DatabaseHandle copy(raw);
  if (opened != SQLITE_OK)
    return base::make_error(Errc::io_error, "cannot open " + path + ": " + sqlite3_errstr(opened));

  Status copied = core_->read("snapshot", [&](Connection& c) -> Status {
    sqlite3_backup* backup = sqlite3_backup_init(copy.get(), "main", c.handle(), "main");
    if (backup == nullptr) return base::make_error(Errc::io_error, sqlite3_errmsg(copy.get()));
    const int stepped = sqlite3_backup_step(backup, -1);  // all pages, in one read of the source
    const int finished = sqlite3_backup_finish(backup);
    if (stepped != SQLITE_DONE)
      return base::make_error(Errc::io_error, std::string("backup: ") + sqlite3_errstr(stepped));
    if (finished != SQLITE_OK)
      return base::make_error(Errc::io_error, std::string("backup: ") + sqlite3_errstr(finished));
    return base::ok_status();
  });
  if (!copied) return copied;
  // One file: the copy keeps no write-ahead log beside it.
  if (auto s = exec_on(copy.get(), "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;"); !s)
    return base::make_error(Errc::io_error, "snapshot " + path + ": " + s.error().message);

  sqlite3_stmt* raw_stmt = nullptr;
  if (sqlite3_prepare_v2(copy.get(), "SELECT digest, size FROM blobs ORDER BY digest", -1, &raw_stmt,
                         nullptr) != SQLITE_OK) {
    return base::make_error(Errc::io_error, "snapshot " + path + ": " + sqlite3_errmsg(copy.get()));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw_stmt, sqlite3_finalize);
  for (;;) {
    const int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) return base::ok_status();
    if (rc != SQLITE_ROW)
      return base::make_error(Errc::io_error, "snapshot " + path + ": " + sqlite3_errstr(rc));
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
    std::string digest = text != nullptr ? text : "";
    if (auto s = blob(digest, sqlite3_column_int64(stmt.get(), 1)); !s) return s;
  }
}

}  // namespace berth::meta::sqlite
