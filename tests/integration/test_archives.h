// Archives for scanner tests: tar archives of given entries (including ones a scanner must
// refuse), gzip, zip, and a gzip bomb built without holding its expanded bytes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace berth::integration {

// One tar entry: a regular file (path, content), or a link made by symlink() / hardlink().
struct TarEntry {
  enum class Type { file, symlink, hardlink };

  TarEntry(std::string entry_path, std::string file_content)
      : path(std::move(entry_path)), content(std::move(file_content)) {}
  static TarEntry symlink(std::string entry_path, std::string to) {
    return TarEntry(std::move(entry_path), Type::symlink, std::move(to));
  }
  static TarEntry hardlink(std::string entry_path, std::string to) {
    return TarEntry(std::move(entry_path), Type::hardlink, std::move(to));
  }

  std::string path;  // written as given, "../" included
  std::string content;
  Type type = Type::file;
  std::string target;  // of a link

 private:
  TarEntry(std::string entry_path, Type link, std::string to)
      : path(std::move(entry_path)), type(link), target(std::move(to)) {}
};

// An uncompressed (pax) tar of `entries`, in order.
std::string tar_of(const std::vector<TarEntry>& entries);

// A zip archive of `entries` (files only).
std::string zip_of(const std::vector<TarEntry>& entries);

// `data` compressed with gzip.
std::string gzip_of(const std::string& data);

// A gzip'ed tar holding one file `name` of `size` zero bytes.
std::string gzip_tar_of_zeros(const std::string& name, std::uint64_t size);

}  // namespace berth::integration
