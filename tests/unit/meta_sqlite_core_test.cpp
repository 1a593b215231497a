// Tests of sqlite::Core's own promises (the machinery under both SQLite databases), on a
// scratch schema in a temp dir.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "meta/sqlite_core.h"
#include "temp_dir.h"

namespace berth::meta::sqlite {
namespace {

namespace fs = std::filesystem;

constexpr const char* kScratchSchema = "CREATE TABLE chunks (id INTEGER PRIMARY KEY, body BLOB NOT NULL);";
constexpr const char* kScratchMigrations[] = {kScratchSchema};

class SqliteCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::make_temp_dir("berth-core");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path() const { return (dir_ / "scratch.db").string(); }

  // Rows in the database file itself, WAL ignored (immutable=1 reads the main file only).
  std::int64_t rows_in_main_file() const {
    sqlite3* raw = nullptr;
    std::string uri = "file:" + path() + "?immutable=1";
    std::int64_t rows = -1;
    if (sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) == SQLITE_OK) {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v2(raw, "SELECT COUNT(*) FROM chunks", -1, &stmt, nullptr) == SQLITE_OK &&
          sqlite3_step(stmt) == SQLITE_ROW)
        rows = sqlite3_column_int64(stmt, 0);
      sqlite3_finalize(stmt);
    }
    sqlite3_close(raw);
    return rows;
  }

  fs::path dir_;
};

// Commits never checkpoint themselves; once the WAL passes its threshold, the checkpointer
// thread copies it into the database file while the core stays open.
TEST_F(SqliteCoreTest, TheCheckpointerCopiesALongWalIntoTheDatabaseFile) {
  auto core = Core::open(path(), kScratchMigrations);
  ASSERT_TRUE(core.ok()) << core.error().message;
  const int rows = 20;  // 20 x 4 MiB: about 20,500 pages, past the 16,384-page threshold
  for (int i = 0; i < rows; ++i) {
    auto s = (*core)->write(
        "chunk", [](Connection& c) { return c.run("INSERT INTO chunks(body) VALUES(zeroblob(4194304))"); });
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (rows_in_main_file() < rows && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(rows_in_main_file(), rows) << "the WAL was not copied back while the core was open";
  EXPECT_LE(fs::file_size(path() + "-wal"), 200u << 20);
}

// A few small commits stay in the WAL: nothing checkpoints before the threshold.
TEST_F(SqliteCoreTest, ShortWalsAreLeftAlone) {
  auto core = Core::open(path(), kScratchMigrations);
  ASSERT_TRUE(core.ok()) << core.error().message;
  for (int i = 0; i < 3; ++i) {
    auto s = (*core)->write(
        "chunk", [](Connection& c) { return c.run("INSERT INTO chunks(body) VALUES(zeroblob(4096))"); });
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_LE(rows_in_main_file(), 0);  // no rows there (not even the table, created in the WAL)
  auto synced = (*core)->sync();
  ASSERT_TRUE(synced.ok()) << synced.error().message;
  EXPECT_EQ(rows_in_main_file(), 3);
}

}  // namespace
}  // namespace berth::meta::sqlite
