#include "test_archives.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>

namespace berth::integration {
namespace {

la_ssize_t append_output(archive*, void* user, const void* data, size_t size) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(data), size);
  return static_cast<la_ssize_t>(size);
}

archive* open_writer(std::string& out, bool gzip, bool raw) {
  archive* a = archive_write_new();
  if (gzip) {
    archive_write_add_filter_gzip(a);
    archive_write_set_filter_option(a, "gzip", "compression-level", "9");
  }
  if (raw)
    archive_write_set_format_raw(a);
  else
    archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(a, &out, nullptr, append_output, nullptr);
  return a;
}

void close_writer(archive* a) {
  archive_write_close(a);
  archive_write_free(a);
}

}  // namespace

std::string tar_of(const std::vector<TarEntry>& entries) {
  std::string out;
  archive* a = open_writer(out, false, false);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_perm(entry, 0644);
    switch (e.type) {
      case TarEntry::Type::file:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
        break;
      case TarEntry::Type::symlink:
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, e.target.c_str());
        break;
      case TarEntry::Type::hardlink:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, e.target.c_str());
        archive_entry_set_size(entry, 0);
        break;
    }
    archive_write_header(a, entry);
    if (e.type == TarEntry::Type::file) archive_write_data(a, e.content.data(), e.content.size());
    archive_entry_free(entry);
  }
  close_writer(a);
  return out;
}

std::string zip_of(const std::vector<TarEntry>& entries) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  archive_write_open(a, &out, nullptr, append_output, nullptr);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
    archive_write_header(a, entry);
    archive_write_data(a, e.content.data(), e.content.size());
    archive_entry_free(entry);
  }
  close_writer(a);
  return out;
}

std::string gzip_of(const std::string& data) {
  std::string out;
  archive* a = open_writer(out, true, true);
  archive_entry* entry = archive_entry_new();
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
  archive_write_header(a, entry);
  archive_write_data(a, data.data(), data.size());
  archive_entry_free(entry);
  close_writer(a);
  return out;
}

std::string gzip_tar_of_zeros(const std::string& name, std::uint64_t size) {
  std::string out;
  archive* a = open_writer(out, true, false);
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, name.c_str());
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  archive_entry_set_size(entry, static_cast<la_int64_t>(size));
  archive_write_header(a, entry);
  const std::string zeros(1 << 20, '\0');
  for (std::uint64_t left = size; left > 0;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, zeros.size()));
    archive_write_data(a, zeros.data(), n);
    left -= n;
  }
  archive_entry_free(entry);
  close_writer(a);
  return out;
}

}  // namespace berth::integration
