// rpm's SQLite database (rpm 4.16+: RHEL/AlmaLinux/Rocky 9, Fedora 33+): table Packages(hnum, blob),
// one RPM header blob per installed package. The file is opened in memory, read-only.
//
// Header blob layout (all integers big-endian):
//   int32 il; int32 dl; il entries of { int32 tag, type, offset, count }; dl bytes of data.
// Every entry is checked against the blob's bounds before anything is read.
#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/analyzers.h"

namespace berth::inventory::detail {

namespace {

using base::Errc;

// rpm's own limits (lib/header.c: HEADER_TAGS_MAX, HEADER_DATA_MAX).
constexpr std::uint32_t kMaxEntries = 0xffff;
constexpr std::uint32_t kMaxData = 256u << 20;

constexpr std::uint32_t kTagName = 1000;
constexpr std::uint32_t kTagVersion = 1001;
constexpr std::uint32_t kTagRelease = 1002;
constexpr std::uint32_t kTagEpoch = 1003;
constexpr std::uint32_t kTagLicense = 1014;
constexpr std::uint32_t kTagArch = 1022;
constexpr std::uint32_t kTagSourceRpm = 1044;

enum Type : std::uint32_t {
  kNull = 0,
  kChar = 1,
  kInt8 = 2,
  kInt16 = 3,
  kInt32 = 4,
  kInt64 = 5,
  kString = 6,
  kBin = 7,
  kStringArray = 8,
  kI18nString = 9,
};

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

base::Error corrupt(std::string_view path, std::string_view what) {
  std::string message(path);
  message += ": ";
  message += what;
  return base::make_error(Errc::corrupt, std::move(message));
}

struct IndexEntry {
  std::uint32_t tag = 0, type = 0, offset = 0, count = 0;
};

// One parsed, validated header blob.
class Header {
 public:
  // Checks the layout and every entry; the error says what is wrong.
  static base::Result<Header> parse(std::span<const unsigned char> blob) {
    if (blob.size() < 8) return base::make_error(Errc::corrupt, "header blob shorter than 8 bytes");
    const std::uint32_t il = be32(blob.data());
    const std::uint32_t dl = be32(blob.data() + 4);
    if (il == 0 || il > kMaxEntries) {
      return base::make_error(Errc::corrupt, "header has " + std::to_string(il) + " index entries");
    }
    if (dl > kMaxData) return base::make_error(Errc::corrupt, "header data store too large");
    const std::uint64_t data_start = 8 + std::uint64_t{il} * 16;
    if (data_start + dl > blob.size()) {
      return base::make_error(Errc::corrupt, "header blob truncated (" + std::to_string(blob.size()) +
                                                 " bytes, needs " + std::to_string(data_start + dl) + ")");
    }
    Header h;
    h.data_ = blob.subspan(static_cast<std::size_t>(data_start), dl);
    h.entries_.reserve(il);
    for (std::uint32_t i = 0; i < il; ++i) {
      const unsigned char* e = blob.data() + 8 + std::size_t{i} * 16;
      IndexEntry entry{be32(e), be32(e + 4), be32(e + 8), be32(e + 12)};
      if (auto s = h.check(entry); !s) {
        return base::make_error(Errc::corrupt, "header entry " + std::to_string(i) + " (tag " +
                                                   std::to_string(entry.tag) + "): " + s.error().message);
      }
      h.entries_.push_back(entry);
    }
    return h;
  }

  bool has(std::uint32_t tag) const { return find(tag) != nullptr; }

  // The first string of a STRING, STRING_ARRAY or I18NSTRING entry; nullopt when absent.
  base::Result<std::optional<std::string>> string(std::uint32_t tag) const {
    const IndexEntry* e = find(tag);
    if (e == nullptr) return std::optional<std::string>{};
    if (e->type != kString && e->type != kStringArray && e->type != kI18nString) {
      return base::make_error(Errc::corrupt, "tag " + std::to_string(tag) + " is not a string");
    }
    const auto rest = data_.subspan(e->offset);
    const auto* begin = reinterpret_cast<const char*>(rest.data());
    const void* nul = std::memchr(begin, 0, rest.size());  // found: check() made sure
    return std::optional<std::string>(std::string(begin, static_cast<const char*>(nul)));
  }

  // The first value of an INT32 entry; nullopt when absent.
  base::Result<std::optional<std::uint32_t>> int32(std::uint32_t tag) const {
    const IndexEntry* e = find(tag);
    if (e == nullptr) return std::optional<std::uint32_t>{};
    if (e->type != kInt32 || e->count == 0) {
      return base::make_error(Errc::corrupt, "tag " + std::to_string(tag) + " is not an INT32");
    }
    return std::optional<std::uint32_t>(be32(data_.data() + e->offset));
  }

 private:
  const IndexEntry* find(std::uint32_t tag) const {
    for (const auto& e : entries_) {
      if (e.tag == tag) return &e;
    }
    return nullptr;
  }

  // The entry's data lies inside the data store: fixed-size types by offset + count * size,
  // strings by finding each terminating NUL before the end.
  base::Status check(const IndexEntry& e) const {
    const std::uint64_t size = data_.size();
    if (e.offset > size) return base::make_error(Errc::corrupt, "offset past the data store");
    std::uint64_t width = 0;
    switch (e.type) {
      case kNull:
        return base::ok_status();
      case kChar:
      case kInt8:
      case kBin:
        width = 1;
        break;
      case kInt16:
        width = 2;
        break;
      case kInt32:
        width = 4;
        break;
      case kInt64:
        width = 8;
        break;
      case kString:
      case kStringArray:
      case kI18nString: {
        if (e.type == kString && e.count != 1)
          return base::make_error(Errc::corrupt, "STRING count is not 1");
        if (e.count == 0) return base::make_error(Errc::corrupt, "empty string array");
        std::uint64_t pos = e.offset;
        for (std::uint32_t n = 0; n < e.count; ++n) {
          if (pos >= size) return base::make_error(Errc::corrupt, "string past the data store");
          const auto* begin = data_.data() + pos;
          const void* nul = std::memchr(begin, 0, static_cast<std::size_t>(size - pos));
          if (nul == nullptr) return base::make_error(Errc::corrupt, "unterminated string");
          pos += static_cast<std::uint64_t>(static_cast<const unsigned char*>(nul) - begin) + 1;
        }
        return base::ok_status();
      }
      default:
        return base::make_error(Errc::corrupt, "unknown type " + std::to_string(e.type));
    }
    if (e.offset + width * e.count > size) return base::make_error(Errc::corrupt, "data past the data store");
    return base::ok_status();
  }

  std::span<const unsigned char> data_;
  std::vector<IndexEntry> entries_;
};

// "openssl-3.0.1-41.el9_0.src.rpm" -> {"openssl", "3.0.1-41.el9_0"}; nullopt when it has not that form.
std::optional<std::pair<std::string, std::string>> split_source_rpm(std::string_view srpm) {
  for (std::string_view suffix : {".src.rpm", ".nosrc.rpm"}) {
    if (srpm.ends_with(suffix)) {
      srpm.remove_suffix(suffix.size());
      break;
    }
  }
  const auto release_dash = srpm.rfind('-');
  if (release_dash == std::string_view::npos || release_dash == 0) return std::nullopt;
  const auto version_dash = srpm.rfind('-', release_dash - 1);
  if (version_dash == std::string_view::npos || version_dash == 0) return std::nullopt;
  if (release_dash + 1 == srpm.size() || version_dash + 1 == release_dash) return std::nullopt;
  return std::make_pair(std::string(srpm.substr(0, version_dash)),
                        std::string(srpm.substr(version_dash + 1)));
}

base::Result<std::optional<Package>> package_from(const Header& h) {
  auto name = h.string(kTagName);
  if (!name) return std::move(name).error();
  if (!*name || (*name)->empty()) return base::make_error(Errc::corrupt, "header without NAME");
  // rpm --import stores keys as pseudo-packages "gpg-pubkey-<keyid>-<date>".
  if (**name == "gpg-pubkey") return std::optional<Package>{};

  auto version = h.string(kTagVersion);
  if (!version) return std::move(version).error();
  auto release = h.string(kTagRelease);
  if (!release) return std::move(release).error();
  if (!*version || !*release) {
    return base::make_error(Errc::corrupt, "package " + **name + " without VERSION or RELEASE");
  }
  auto epoch = h.int32(kTagEpoch);
  if (!epoch) return std::move(epoch).error();
  auto arch = h.string(kTagArch);
  if (!arch) return std::move(arch).error();
  auto license = h.string(kTagLicense);
  if (!license) return std::move(license).error();
  auto srpm = h.string(kTagSourceRpm);
  if (!srpm) return std::move(srpm).error();

  Package p;
  p.type = PackageType::rpm;
  p.name = **name;
  p.version = **version + "-" + **release;
  if (*epoch) p.epoch = std::to_string(**epoch);
  p.arch = arch->value_or("");
  p.licenses = license->value_or("");
  p.source_name = p.name;
  p.source_version = p.version;
  if (*srpm) {
    if (auto parts = split_source_rpm(**srpm)) {
      p.source_name = std::move(parts->first);
      p.source_version = std::move(parts->second);
    }
  }
  return std::optional<Package>(std::move(p));
}

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

base::Error sqlite_error(sqlite3* db, std::string_view path, std::string_view what) {
  const int code = sqlite3_errcode(db);
  std::string message(path);
  message += ": ";
  message += what;
  message += ": ";
  message += sqlite3_errmsg(db);
  return base::make_error(code == SQLITE_NOMEM ? Errc::internal : Errc::corrupt, std::move(message));
}

base::Result<Stmt> prepare(sqlite3* db, std::string_view path, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    return sqlite_error(db, path, "reading the database");
  }
  return Stmt(raw);
}

}  // namespace

base::Result<std::vector<Package>> parse_rpmdb_sqlite(std::string_view bytes, std::string_view path) {
  static constexpr std::string_view kMagic{"SQLite format 3\0", 16};
  if (bytes.size() < 100 || bytes.substr(0, kMagic.size()) != kMagic) {
    return corrupt(path, "not an SQLite database");
  }
  // The bytes are copied: SQLite wants a mutable buffer, and the header's WAL mode (bytes 18-19 = 2,
  // as rpm writes it) is turned into rollback mode, which an in-memory database can open. The -wal
  // file, if the image has one, is not read: rpm checkpoints it when it closes the database.
  std::vector<unsigned char> buffer(bytes.begin(), bytes.end());
  if (buffer[18] == 2) buffer[18] = 1;
  if (buffer[19] == 2) buffer[19] = 1;

  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return base::make_error(Errc::internal, "sqlite: cannot open an in-memory database");
  }
  const auto size = static_cast<sqlite3_int64>(buffer.size());
  if (sqlite3_deserialize(db.get(), "main", buffer.data(), size, size, SQLITE_DESERIALIZE_READONLY) !=
      SQLITE_OK) {
    return sqlite_error(db.get(), path, "loading the database");
  }
  // The file comes from an image: no triggers, views or functions of its schema are trusted.
  (void)sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  (void)sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);

  {
    auto stmt = prepare(db.get(), path, "SELECT type FROM sqlite_master WHERE name = 'Packages'");
    if (!stmt) return std::move(stmt).error();
    const int step = sqlite3_step(stmt->get());
    if (step == SQLITE_DONE) return corrupt(path, "no Packages table");
    if (step != SQLITE_ROW) return sqlite_error(db.get(), path, "reading the schema");
    const auto* type = reinterpret_cast<const char*>(sqlite3_column_text(stmt->get(), 0));
    if (type == nullptr || std::string_view(type) != "table") return corrupt(path, "Packages is not a table");
  }

  auto stmt = prepare(db.get(), path, "SELECT hnum, blob FROM Packages ORDER BY hnum");
  if (!stmt) return std::move(stmt).error();
  std::vector<Package> packages;
  for (;;) {
    const int step = sqlite3_step(stmt->get());
    if (step == SQLITE_DONE) break;
    if (step != SQLITE_ROW) return sqlite_error(db.get(), path, "reading Packages");
    const auto hnum = sqlite3_column_int64(stmt->get(), 0);
    const std::string where = "package " + std::to_string(hnum) + ": ";
    if (sqlite3_column_type(stmt->get(), 1) != SQLITE_BLOB)
      return corrupt(path, where + "blob is not a BLOB");
    const auto* data = static_cast<const unsigned char*>(sqlite3_column_blob(stmt->get(), 1));
    const int length = sqlite3_column_bytes(stmt->get(), 1);
    if (data == nullptr || length <= 0) return corrupt(path, where + "empty header blob");
    auto header = Header::parse(std::span<const unsigned char>(data, static_cast<std::size_t>(length)));
    if (!header) return corrupt(path, where + header.error().message);
    auto package = package_from(*header);
    if (!package) return corrupt(path, where + package.error().message);
    if (*package) {
      (*package)->path = std::string(path);
      packages.push_back(std::move(**package));
    }
  }
  return packages;
}

// Exposed for tests: parses one header blob as found in the Packages table.
base::Result<std::optional<Package>> parse_rpm_header(std::string_view blob) {
  auto header = Header::parse(
      std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(blob.data()), blob.size()));
  if (!header) return std::move(header).error();
  return package_from(*header);
}

}  // namespace berth::inventory::detail
