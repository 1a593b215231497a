#include "vulndb/sources.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "base/random.h"
#include "base/unique_fd.h"
#include "vulndb/importers.h"

namespace berth::vulndb {
namespace fs = std::filesystem;
using base::Errc;
using base::Result;

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_url(std::string_view s) {
  return s.starts_with("http://") || s.starts_with("https://");
}

// The part of a URL's path after its last '/', without query or fragment.
std::string url_file_name(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const auto slash = url.rfind('/');
  std::string name(slash == std::string_view::npos ? url : url.substr(slash + 1));
  return name.empty() ? "download" : name;
}

struct Download {
  std::FILE* file = nullptr;
  std::uint64_t written = 0;
  std::uint64_t limit = 0;
};

std::size_t write_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* d = static_cast<Download*>(user);
  const std::size_t bytes = size * n;
  if (d->written + bytes > d->limit) return 0;  // aborts the transfer
  d->written += bytes;
  return std::fwrite(data, 1, bytes, d->file);
}

base::Status download(const std::string& url, const fs::path& to, const FetchLimits& limits) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return base::make_error(Errc::internal, "libcurl: cannot start a transfer");
  Download d;
  d.limit = limits.max_download_bytes;
  d.file = std::fopen(to.c_str(), "wb");
  if (d.file == nullptr) return base::make_error(Errc::io_error, "cannot write " + to.string());
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, limits.connect_timeout_seconds);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, limits.total_timeout_seconds);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &d);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(curl.get());
  const bool closed = std::fclose(d.file) == 0;
  if (rc != CURLE_OK) {
    if (d.written >= d.limit) {
      return base::make_error(Errc::too_large, url + ": larger than " + std::to_string(d.limit) + " bytes");
    }
    return base::make_error(
        Errc::unavailable,
        url + ": " + (error[0] != 0 ? std::string(error) : std::string(curl_easy_strerror(rc))));
  }
  if (!closed) return base::make_error(Errc::io_error, "cannot write " + to.string());
  return base::ok_status();
}

// Unpacks regular files and directories of a tar (gzip or not) below `to`, refusing paths
// that leave it and more than `max_bytes` of content; links and devices are skipped, so every
// directory below `to` is one this created. Errors name the archive as `shown`.
base::Status unpack(const fs::path& archive_file, const fs::path& to, const std::string& shown,
                    std::uint64_t max_bytes) {
  std::unique_ptr<struct archive, decltype(&archive_read_free)> in(archive_read_new(), archive_read_free);
  if (!in) return base::make_error(Errc::internal, "libarchive: out of memory");
  archive_read_support_filter_gzip(in.get());
  archive_read_support_filter_none(in.get());
  archive_read_support_format_tar(in.get());
  const auto archive_failure = [&] {
    return base::make_error(Errc::corrupt, shown + ": " + archive_error_string(in.get()));
  };
  if (archive_read_open_filename(in.get(), archive_file.c_str(), 1 << 20) != ARCHIVE_OK)
    return archive_failure();
  std::uint64_t total = 0;
  for (;;) {
    struct archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(in.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK) return archive_failure();
    const auto type = archive_entry_filetype(entry);
    if (type != AE_IFREG && type != AE_IFDIR) continue;
    const char* name = archive_entry_pathname(entry);
    const fs::path relative = fs::path(name != nullptr ? name : "").lexically_normal();
    if (relative.is_absolute() || relative.empty() || *relative.begin() == "..") {
      return base::make_error(Errc::invalid_argument,
                              shown + ": entry leaves the directory: " + relative.string());
    }
    const fs::path target = to / relative;
    std::error_code ec;
    fs::create_directories(type == AE_IFDIR ? target : target.parent_path(), ec);
    if (ec) return base::make_error(Errc::io_error, "cannot create " + target.string() + ": " + ec.message());
    if (type == AE_IFDIR) continue;
    base::UniqueFd fd(::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd.valid())
      return base::make_error(Errc::io_error,
                              "cannot create " + target.string() + ": " + std::strerror(errno));
    const void* buffer = nullptr;
    std::size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
      const int r = archive_read_data_block(in.get(), &buffer, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK) return archive_failure();
      total += size;
      if (total > max_bytes) {
        return base::make_error(Errc::too_large,
                                shown + ": unpacks to more than " + std::to_string(max_bytes) + " bytes");
      }
      for (std::size_t done = 0; done < size;) {
        const ssize_t n = ::pwrite(fd.get(), static_cast<const char*>(buffer) + done, size - done,
                                   static_cast<off_t>(offset) + static_cast<off_t>(done));
        if (n < 0) {
          return base::make_error(Errc::io_error,
                                  "cannot write " + target.string() + ": " + std::strerror(errno));
        }
        done += static_cast<std::size_t>(n);
      }
    }
  }
  return base::ok_status();
}

// A directory holding only one directory stands for that directory (GitHub archives).
fs::path single_root(const fs::path& dir) {
  std::error_code ec;
  fs::path only;
  int count = 0;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (++count > 1) return dir;
    only = entry.path();
  }
  return count == 1 && fs::is_directory(only, ec) ? single_root(only) : dir;
}

struct RemoveOnExit {
  fs::path path;
  ~RemoveOnExit() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

}  // namespace

Result<meta::VulnChange> update_from(Database& db, const std::string& source, const fs::path& work_dir,
                                     const FetchLimits& limits) {
  fs::path path = source;
  RemoveOnExit cleanup;
  if (is_url(source)) {
    std::error_code ec;
    cleanup.path = work_dir / ("vulndb-" + base::random_hex(8));
    fs::create_directories(cleanup.path, ec);
    if (ec)
      return base::make_error(Errc::io_error, "cannot create " + cleanup.path.string() + ": " + ec.message());
    const std::string name = url_file_name(source);
    const fs::path file = cleanup.path / name;
    if (auto s = download(source, file, limits); !s) return std::move(s).error();
    if (ends_with(name, ".tar.gz") || ends_with(name, ".tgz") || ends_with(name, ".tar")) {
      const fs::path dir = cleanup.path / "unpacked";
      fs::create_directories(dir, ec);
      if (auto s = unpack(file, dir, source, limits.max_unpacked_bytes); !s) return std::move(s).error();
      path = single_root(dir);
    } else {
      path = file;
    }
  }
  auto format = detect_format(path);
  if (!format) return std::move(format).error();
  auto advisories = import_any(path, *format);
  if (!advisories) return std::move(advisories).error();
  return db.import(source, source, *advisories);
}

}  // namespace berth::vulndb
