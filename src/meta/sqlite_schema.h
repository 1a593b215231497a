// The SQLite schema as a list of migrations. Internal to src/meta.
#pragma once

#include <span>

namespace berth::meta::sqlite {

// Migration i brings the schema from version i to version i + 1 (PRAGMA user_version);
// the current version is the number of migrations. Each is a script of statements run
// inside the migrating transaction.
std::span<const char* const> schema_migrations();

}  // namespace berth::meta::sqlite
