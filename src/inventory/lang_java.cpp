// Java: .jar/.war/.ear archives, read as a zip stream (libarchive's streamable zip reader, the
// local headers in order, no seeking) with the archives nested in them (BOOT-INF/lib/*.jar,
// WEB-INF/lib/*.jar, lib/*.jar, ...) read from the outer archive's data as it streams by.
//
// For each archive: every META-INF/maven/<group>/<artifact>/pom.properties names a package
// (a fat jar carries one per shaded library); an archive without any is named by its
// META-INF/MANIFEST.MF (Implementation-Vendor-Id/-Title/-Version, else Bundle-SymbolicName and
// Bundle-Version), else by its file name ("name-1.2.3.jar", the artifact alone, no group).
// Unlike Trivy, nothing is looked up on Maven Central (no network here).
//
// Summary: one line per package, "<source>\t<name>\t<version>\t<licenses>", source being
// pom, manifest or file.
#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "inventory/analyzers.h"

namespace berth::inventory::detail {
namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr int kMaxDepth = 4;                           // nested archives inside the file, at most
constexpr std::size_t kMaxSmallFile = 1u << 20;        // pom.properties, MANIFEST.MF
constexpr std::uint64_t kMaxEntries = 1'000'000;       // over all levels
constexpr std::uint64_t kMaxNestedBytes = 4ull << 30;  // decompressed bytes fed to nested readers

struct Found {
  std::string source;  // "pom", "manifest", "file"
  std::string name;
  std::string version;
  std::string licenses;
};

// Shared by every level of one summarize call.
struct Context {
  std::optional<base::Error> read_error;  // from image::Content: ends the walk
  std::uint64_t entries = 0;
  std::uint64_t nested_bytes = 0;
  std::vector<Found> found;
};

// Where an archive's bytes come from: the file's content, or the current entry of an outer archive.
struct Source {
  Context* context = nullptr;
  image::Content* content = nullptr;
  struct archive* outer = nullptr;
  std::vector<char> buffer = std::vector<char>(kChunk);
};

la_ssize_t read_source(struct archive* archive, void* data, const void** out) {
  auto* source = static_cast<Source*>(data);
  *out = source->buffer.data();
  if (source->content != nullptr) {
    auto got = source->content->read(std::span<char>(source->buffer));
    if (!got) {
      source->context->read_error = std::move(got).error();
      archive_set_error(archive, EIO, "read failed");
      return -1;
    }
    return static_cast<la_ssize_t>(*got);
  }
  la_ssize_t got = archive_read_data(source->outer, source->buffer.data(), source->buffer.size());
  if (got < 0) {
    archive_set_error(archive, EIO, "nested archive: %s", archive_error_string(source->outer));
    return -1;
  }
  source->context->nested_bytes += static_cast<std::uint64_t>(got);
  if (source->context->nested_bytes > kMaxNestedBytes) {
    archive_set_error(archive, EFBIG, "nested archives too large");
    return -1;
  }
  return got;
}

struct ArchiveFree {
  void operator()(struct archive* archive) const { archive_read_free(archive); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveFree>;

ArchivePtr open_archive(Source& source) {
  ArchivePtr archive(archive_read_new());
  if (!archive) return nullptr;
  archive_read_support_format_zip_streamable(archive.get());
  if (archive_read_open(archive.get(), &source, nullptr, read_source, nullptr) != ARCHIVE_OK) return nullptr;
  return archive;
}

// The current entry's bytes, up to `limit` (nullopt when longer or unreadable).
std::optional<std::string> read_entry(struct archive* archive, std::size_t limit) {
  std::string out;
  char buffer[8192];
  while (true) {
    la_ssize_t got = archive_read_data(archive, buffer, sizeof buffer);
    if (got < 0) return std::nullopt;
    if (got == 0) return out;
    if (out.size() + static_cast<std::size_t>(got) > limit) return std::nullopt;
    out.append(buffer, static_cast<std::size_t>(got));
  }
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\f')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

// Java .properties: key=value, key: value or key value; # and ! comments. (Escapes and
// continuation lines do not occur in the files Maven writes.)
std::map<std::string, std::string, std::less<>> parse_properties(std::string_view text) {
  std::map<std::string, std::string, std::less<>> out;
  for (std::string_view line : lines_of(text)) {
    line = trim(line);
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;
    auto separator = line.find_first_of("=: \t");
    std::string_view key = line.substr(0, separator);
    std::string_view value;
    if (separator != std::string_view::npos) {
      value = trim(line.substr(separator + 1));
      if (!value.empty() && (value.front() == '=' || value.front() == ':')) value = trim(value.substr(1));
    }
    out.emplace(std::string(key), std::string(value));
  }
  return out;
}

// The main section of a manifest: "Name: value" lines, a line starting with one space
// continuing the previous value, up to the first blank line.
std::map<std::string, std::string, std::less<>> parse_manifest(std::string_view text) {
  std::map<std::string, std::string, std::less<>> out;
  std::string* last = nullptr;
  for (std::string_view line : lines_of(text)) {
    if (line.empty()) break;
    if (line.front() == ' ') {
      if (last != nullptr) last->append(line.substr(1));
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      last = nullptr;
      continue;
    }
    auto [it, inserted] =
        out.insert_or_assign(std::string(trim(line.substr(0, colon))), std::string(line.substr(colon + 1)));
    last = &it->second;
  }
  for (auto& [key, value] : out) value = std::string(trim(value));
  return out;
}

std::string get(const std::map<std::string, std::string, std::less<>>& map, std::string_view key) {
  auto it = map.find(key);
  return it == map.end() ? std::string() : it->second;
}

std::optional<Found> from_manifest(std::string_view text) {
  auto manifest = parse_manifest(text);
  std::string group = get(manifest, "Implementation-Vendor-Id");
  std::string artifact = get(manifest, "Implementation-Title");
  std::string version = get(manifest, "Implementation-Version");
  if (group.empty() || artifact.empty()) {
    // "com.fasterxml.jackson.core.jackson-databind;singleton:=true"
    std::string symbolic = get(manifest, "Bundle-SymbolicName");
    symbolic = std::string(trim(std::string_view(symbolic).substr(0, symbolic.find(';'))));
    auto dot = symbolic.rfind('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == symbolic.size()) return std::nullopt;
    group = symbolic.substr(0, dot);
    artifact = symbolic.substr(dot + 1);
  }
  if (version.empty()) version = get(manifest, "Bundle-Version");
  if (version.empty()) return std::nullopt;
  return Found{"manifest", group + ":" + artifact, version, get(manifest, "Bundle-License")};
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// "commons-lang3-3.12.0.jar" -> commons-lang3 3.12.0; "log4j-1.2-api-2.17.1.jar" -> log4j-1.2-api
// 2.17.1: the version starts at the last "-<digits>." of the stem.
std::optional<Found> from_file_name(std::string_view path) {
  std::string_view name = path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view stem = name.substr(0, dot);
  for (std::size_t i = stem.size(); i-- > 1;) {
    if (stem[i] != '-') continue;
    std::size_t j = i + 1;
    while (j < stem.size() && is_digit(stem[j])) ++j;
    if (j == i + 1 || j + 1 >= stem.size() || stem[j] != '.') continue;
    return Found{"file", std::string(stem.substr(0, i)), std::string(stem.substr(i + 1)), {}};
  }
  return std::nullopt;
}

bool is_archive_name(std::string_view name) {
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string extension(name.substr(dot + 1));
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return extension == "jar" || extension == "war" || extension == "ear" || extension == "par" ||
         extension == "rar";
}

bool is_pom_properties(std::string_view name) {
  return name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties");
}

// Reads one archive to its end, adding what it and the archives nested in it declare.
void scan(struct archive* archive, std::string_view file_name, int depth, Context& context) {
  std::vector<Found> poms;
  std::optional<std::string> manifest;
  bool recognized = false;  // at least one entry read: a zip, not just a file named .jar
  struct archive_entry* entry = nullptr;
  while (true) {
    int status = archive_read_next_header(archive, &entry);
    if (status == ARCHIVE_EOF || status < ARCHIVE_WARN) break;  // the end, or not (or no longer) a zip
    recognized = true;
    if (++context.entries > kMaxEntries) break;
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    const char* pathname = archive_entry_pathname(entry);
    if (pathname == nullptr) continue;
    std::string_view name = pathname;
    if (is_pom_properties(name)) {
      auto text = read_entry(archive, kMaxSmallFile);
      if (!text) continue;
      auto properties = parse_properties(*text);
      std::string group = get(properties, "groupId");
      std::string artifact = get(properties, "artifactId");
      std::string version = get(properties, "version");
      if (!group.empty() && !artifact.empty() && !version.empty()) {
        poms.push_back(Found{"pom", group + ":" + artifact, version, {}});
      }
    } else if (name == "META-INF/MANIFEST.MF") {
      manifest = read_entry(archive, kMaxSmallFile);
    } else if (is_archive_name(name) && depth < kMaxDepth) {
      Source nested_source;
      nested_source.context = &context;
      nested_source.outer = archive;
      if (ArchivePtr nested = open_archive(nested_source)) scan(nested.get(), name, depth + 1, context);
      if (context.read_error) return;
    }
    if (context.read_error) return;
  }
  if (context.read_error || !recognized) return;
  if (!poms.empty()) {
    for (Found& found : poms) context.found.push_back(std::move(found));
    return;
  }
  std::optional<Found> found = manifest ? from_manifest(*manifest) : std::nullopt;
  if (!found) found = from_file_name(file_name);
  if (found) context.found.push_back(std::move(*found));
}

std::string clean(std::string_view text) {
  std::string out(text);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
  return out;
}

}  // namespace

base::Result<std::optional<std::string>> summarize_java_archive(image::Content& content,
                                                                std::string_view path) {
  Context context;
  Source source;
  source.context = &context;
  source.content = &content;
  if (ArchivePtr archive = open_archive(source)) scan(archive.get(), path, 0, context);
  if (context.read_error) return std::move(*context.read_error);
  if (context.found.empty()) return std::optional<std::string>{};
  std::string summary;
  for (const Found& found : context.found) {
    summary.append(found.source).append("\t").append(clean(found.name)).append("\t");
    summary.append(clean(found.version)).append("\t").append(clean(found.licenses)).append("\n");
  }
  return std::optional<std::string>(std::move(summary));
}

base::Result<std::vector<Package>> parse_java_summary(std::string_view summary, std::string_view path) {
  std::vector<Package> out;
  std::set<std::pair<std::string, std::string>> seen;
  std::size_t line_number = 0;
  for (std::string_view line : lines_of(summary)) {
    ++line_number;
    if (line.empty()) continue;
    std::vector<std::string_view> fields;
    for (std::size_t start = 0;;) {
      auto tab = line.find('\t', start);
      fields.push_back(
          line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    if (fields.size() != 4 || (fields[0] != "pom" && fields[0] != "manifest" && fields[0] != "file") ||
        fields[1].empty()) {
      return base::make_error(base::Errc::corrupt, std::string(path) + ": bad Java archive summary line " +
                                                       std::to_string(line_number));
    }
    if (!seen.emplace(std::string(fields[1]), std::string(fields[2])).second) continue;
    Package package;
    package.type = PackageType::maven;
    package.name = fields[1];
    package.version = fields[2];
    package.licenses = fields[3];
    out.push_back(std::move(package));
  }
  return out;
}

}  // namespace berth::inventory::detail
