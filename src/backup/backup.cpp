#include "backup/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/time.h"
#include "base/unique_fd.h"

namespace berth::backup {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using base::Errc;
using base::Result;
using base::Status;
using Clock = std::chrono::system_clock;

constexpr const char* kSummaryFile = "backup.json";
constexpr const char* kFormat = "berth-backup";
constexpr int kFormatVersion = 1;
constexpr auto kHoldFor = std::chrono::minutes(5);  // renewed every 30 s while copying

base::Error io_error(const std::string& what, int err) {
  return base::make_error(Errc::io_error, what + ": " + std::strerror(err));
}

Status sync_path(const fs::path& path, bool whole_filesystem) {
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return io_error("open " + path.string(), errno);
  const int rc = whole_filesystem ? ::syncfs(fd.get()) : ::fsync(fd.get());
  if (rc != 0) return io_error("sync " + path.string(), errno);
  return base::ok_status();
}

Status write_synced(const fs::path& path, const std::string& text) {
  base::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return io_error("create " + path.string(), errno);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("write " + path.string(), errno);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return io_error("fsync " + path.string(), errno);
  return base::ok_status();
}

std::int64_t millis(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string summary_json(const Summary& summary) {
  return json::serialize(json::object{{"format", kFormat},
                                      {"format_version", kFormatVersion},
                                      {"berth_version", summary.berth_version},
                                      {"created", base::format_rfc3339_millis(summary.created)},
                                      {"created_ms", millis(summary.created)},
                                      {"blobs", summary.blobs},
                                      {"bytes", summary.bytes}}) +
         "\n";
}

// A directory's name with a leading dot and a trailing ".partial": where it is built.
fs::path staging_for(const fs::path& final_dir) {
  const fs::path absolute = fs::absolute(final_dir).lexically_normal();
  fs::path name = absolute.filename();
  if (name.empty()) name = absolute.parent_path().filename();
  return absolute.parent_path() / ("." + name.string() + ".partial");
}

Status remove_all_quietly(const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return base::make_error(Errc::io_error, "cannot remove " + dir.string() + ": " + ec.message());
  return base::ok_status();
}

Status copy_keys(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (from.empty() || !fs::exists(from, ec)) return base::ok_status();
  fs::copy(from, to, fs::copy_options::recursive, ec);
  if (ec)
    return base::make_error(Errc::io_error,
                            "cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
  return base::ok_status();
}

// Renames the complete staging directory to its final name, durably.
Status publish(const fs::path& staging, const fs::path& final_dir) {
  if (::rename(staging.c_str(), final_dir.c_str()) != 0)
    return io_error("rename " + staging.string() + " to " + final_dir.string(), errno);
  return sync_path(fs::absolute(final_dir).parent_path(), false);
}

Status check_empty_or_absent(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return base::ok_status();
  if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec))
    return base::make_error(Errc::already_exists, dir.string() + " is not an empty directory");
  return base::ok_status();
}

}  // namespace

GcHold::~GcHold() {
  if (held_) (void)metadata_.release_blobs(holder_);
}

Status GcHold::renew() {
  const auto now = Clock::now();
  if (held_ && now - renewed_ < std::chrono::seconds(30)) return base::ok_status();
  if (auto s = metadata_.hold_blobs(holder_, now + kHoldFor); !s) return s;
  held_ = true;
  renewed_ = now;
  return base::ok_status();
}

Result<Summary> take(const Sources& sources, const fs::path& target) {
  auto log = [&](const std::string& line) {
    if (sources.log) sources.log(line);
  };
  std::error_code ec;
  if (fs::exists(target, ec))
    return base::make_error(Errc::already_exists, target.string() + " already exists");
  const fs::path staging = staging_for(target);
  if (auto s = remove_all_quietly(staging); !s) return std::move(s).error();  // an interrupted attempt
  fs::create_directories(staging, ec);
  if (ec) return base::make_error(Errc::io_error, "cannot create " + staging.string() + ": " + ec.message());
  auto fail = [&](base::Error error) -> Result<Summary> {
    (void)remove_all_quietly(staging);
    return error;
  };

  Summary summary;
  summary.name = fs::absolute(target).lexically_normal().filename().string();
  summary.created = Clock::now();
  summary.berth_version = sources.berth_version;

  // The hold comes first: from then on no blob row the copy records can lose its file.
  GcHold hold(sources.metadata, "backup " + summary.name);
  if (auto s = hold.renew(); !s) return fail(s.error());
  auto store = blob::open_filesystem_store(staging.string());
  if (!store) return fail(store.error());
  log("copying the metadata");
  Status copied = sources.metadata.snapshot(
      (staging / "meta.db").string(), [&](const std::string& text, std::int64_t size) -> Status {
        auto digest = oci::Digest::parse(text);
        if (!digest) return base::make_error(Errc::corrupt, "the metadata records a bad digest: " + text);
        if (auto s = sources.blobs.copy_to(*digest, **store); !s) {
          if (s.error().code == Errc::not_found)
            return base::make_error(Errc::corrupt, "blob " + text + " is recorded but its file is missing");
          return s;
        }
        ++summary.blobs;
        summary.bytes += static_cast<std::uint64_t>(size);
        if (summary.blobs % 100000 == 0) log("copied " + std::to_string(summary.blobs) + " blobs");
        return hold.renew();
      });
  if (!copied) return fail(copied.error());
  store->reset();
  fs::remove(staging / "uploads", ec);  // the store made it; a backup has no uploads
  if (auto s = copy_keys(sources.keys_dir, staging / "keys"); !s) return fail(s.error());
  if (auto s = sync_path(staging, true); !s) return fail(s.error());
  if (auto s = write_synced(staging / kSummaryFile, summary_json(summary)); !s) return fail(s.error());
  if (auto s = sync_path(staging, false); !s) return fail(s.error());
  if (auto s = publish(staging, target); !s) return fail(s.error());
  log("backup " + summary.name + ": " + std::to_string(summary.blobs) + " blobs, " +
      std::to_string(summary.bytes) + " bytes");
  return summary;
}

Result<Summary> read_summary(const fs::path& dir) {
  std::ifstream in(dir / kSummaryFile);
  if (!in) return base::make_error(Errc::not_found, dir.string() + " is not a Berth backup (no backup.json)");
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto value = json::parse(text.str(), ec);
  const json::object* object = !ec ? value.if_object() : nullptr;
  auto field = [&](const char* name) { return object != nullptr ? object->if_contains(name) : nullptr; };
  const json::value* format = field("format");
  if (object == nullptr || format == nullptr || !format->is_string() || format->get_string() != kFormat)
    return base::make_error(Errc::corrupt, (dir / kSummaryFile).string() + " is not a Berth backup summary");
  const json::value* version = field("format_version");
  if (version == nullptr || !version->is_int64() || version->get_int64() > kFormatVersion)
    return base::make_error(Errc::unsupported, dir.string() + " was written by a newer Berth");
  Summary summary;
  summary.name = fs::absolute(dir).lexically_normal().filename().string();
  if (const auto* v = field("berth_version"); v != nullptr && v->is_string())
    summary.berth_version = std::string(v->get_string());
  if (const auto* v = field("created_ms"); v != nullptr && v->is_int64())
    summary.created = Clock::time_point(std::chrono::milliseconds(v->get_int64()));
  if (const auto* v = field("blobs"); v != nullptr && v->is_number())
    summary.blobs = v->to_number<std::uint64_t>();
  if (const auto* v = field("bytes"); v != nullptr && v->is_number())
    summary.bytes = v->to_number<std::uint64_t>();
  return summary;
}

Result<std::vector<Summary>> list(const fs::path& dir) {
  std::vector<Summary> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(".") || !it->is_directory(ec)) continue;
    auto summary = read_summary(it->path());
    if (summary) out.push_back(std::move(summary).value());
  }
  if (ec) return base::make_error(Errc::io_error, "cannot list " + dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const Summary& a, const Summary& b) {
    return a.created != b.created ? a.created < b.created : a.name < b.name;
  });
  return out;
}

Result<std::vector<std::string>> prune(const fs::path& dir, std::size_t keep) {
  auto backups = list(dir);
  if (!backups) return std::move(backups).error();
  std::vector<std::string> removed;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(".") && name.ends_with(".partial")) {
      if (auto s = remove_all_quietly(it->path()); !s) return std::move(s).error();
    }
  }
  for (std::size_t i = 0; i + keep < backups->size(); ++i) {
    if (auto s = remove_all_quietly(dir / (*backups)[i].name); !s) return std::move(s).error();
    removed.push_back((*backups)[i].name);
  }
  return removed;
}

Result<Restore> begin_restore(const fs::path& source, const fs::path& data_dir) {
  auto summary = read_summary(source);
  if (!summary) return std::move(summary).error();
  if (auto s = check_empty_or_absent(data_dir); !s) return std::move(s).error();
  Restore restore{std::move(summary).value(), staging_for(data_dir),
                  fs::absolute(data_dir).lexically_normal()};
  if (auto s = remove_all_quietly(restore.staging); !s)
    return std::move(s).error();  // an interrupted attempt
  std::error_code ec;
  fs::create_directories(restore.staging, ec);
  if (ec)
    return base::make_error(Errc::io_error,
                            "cannot create " + restore.staging.string() + ": " + ec.message());
  // Copied, never linked: the metadata changes in place once the registry runs.
  fs::copy_file(source / "meta.db", restore.staging / "meta.db", ec);
  if (ec) {
    (void)remove_all_quietly(restore.staging);
    return base::make_error(Errc::io_error,
                            "cannot copy " + (source / "meta.db").string() + ": " + ec.message());
  }
  if (auto s = copy_keys(source / "keys", restore.staging / "keys"); !s) {
    (void)remove_all_quietly(restore.staging);
    return std::move(s).error();
  }
  return restore;
}

Status restore_blobs(const Restore& restore, const blob::Store& source, meta::Database& metadata,
                     blob::Store& target) {
  auto rows = metadata.all_blobs();
  if (!rows) return std::move(rows).error();
  for (const auto& [text, size] : *rows) {
    auto digest = oci::Digest::parse(text);
    if (!digest) return base::make_error(Errc::corrupt, "the backup records a bad digest: " + text);
    if (auto s = source.copy_to(*digest, target); !s) {
      if (s.error().code == Errc::not_found)
        return base::make_error(Errc::corrupt, "blob " + text + " is missing from the backup");
      return s;
    }
  }
  if (rows->size() != restore.summary.blobs)
    return base::make_error(Errc::corrupt, "the backup's metadata records " + std::to_string(rows->size()) +
                                               " blobs, its summary " +
                                               std::to_string(restore.summary.blobs));
  return metadata.release_blobs("");
}

Status finish_restore(const Restore& restore) {
  if (auto s = sync_path(restore.staging, true); !s) return s;
  std::error_code ec;
  if (fs::exists(restore.data_dir, ec)) {
    if (auto s = check_empty_or_absent(restore.data_dir); !s) return s;  // filled meanwhile
    fs::remove(restore.data_dir, ec);
  }
  return publish(restore.staging, restore.data_dir);
}

}  // namespace berth::backup
