// The inventory module's entry points: which files of an image to keep, and how the kept files
// become the list of installed packages.
#include "inventory/inventory.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "base/utf8.h"
#include "inventory/analyzers.h"

namespace berth::inventory {

namespace {

using base::Errc;

enum class Kind {
  none,
  os_file,          // etc/os-release, usr/lib/os-release, etc/alpine-release, etc/debian_version
  dpkg_status,      // var/lib/dpkg/status, var/lib/dpkg/status.d/*
  apk_installed,    // lib/apk/db/installed
  rpm_sqlite,       // rpmdb.sqlite
  rpm_bdb,          // Berkeley DB "Packages" (rpm before 4.16)
  rpm_ndb,          // NDB "Packages.db" (SUSE): detected, not read
  package_lock,     // package-lock.json outside node_modules
  package_json,     // node_modules/<name>/package.json, node_modules/@scope/<name>/package.json
  python_metadata,  // *.dist-info/METADATA, *.egg-info/PKG-INFO, *.egg-info files
  cargo_lock,       // Cargo.lock
  gemspec,          // specifications/*.gemspec
  java_archive,     // *.jar, *.war, *.ear, *.par (summary)
  go_binary,        // any other executable (summary, when it is a Go binary)
};

constexpr std::uint64_t kMiB = 1024 * 1024;

// The most a kept file may weigh; a larger one is not read (see analyze).
std::uint64_t cap(Kind kind) {
  switch (kind) {
    case Kind::os_file:
      return 1 * kMiB;
    case Kind::dpkg_status:
    case Kind::apk_installed:
      return 64 * kMiB;
    case Kind::rpm_sqlite:
    case Kind::rpm_bdb:
      return 512 * kMiB;
    case Kind::package_lock:
    case Kind::cargo_lock:
      return 64 * kMiB;
    case Kind::package_json:
    case Kind::python_metadata:
    case Kind::gemspec:
      return 8 * kMiB;
    case Kind::none:
    case Kind::rpm_ndb:
    case Kind::java_archive:
    case Kind::go_binary:
      break;
  }
  return 0;
}

bool is_os_database(Kind kind) {
  return kind == Kind::dpkg_status || kind == Kind::apk_installed || kind == Kind::rpm_sqlite ||
         kind == Kind::rpm_bdb;
}

// Splits "a/b/c" into its segments (the path is normalised: no leading '/', no empty segments).
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool iends_with(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  s = s.substr(s.size() - suffix.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != suffix[i]) return false;
  }
  return true;
}

Kind classify(const image::Entry& entry) {
  const std::string_view path = entry.path;
  if (path == "etc/os-release" || path == "usr/lib/os-release" || path == "etc/alpine-release" ||
      path == "etc/debian_version") {
    return Kind::os_file;
  }
  if (path == "var/lib/dpkg/status") return Kind::dpkg_status;
  if (path.starts_with("var/lib/dpkg/status.d/")) {
    const std::string_view file = path.substr(22);
    // distroless also puts "<package>.md5sums" files there: not stanzas.
    if (!file.empty() && file.find('/') == std::string_view::npos && !file.ends_with(".md5sums") &&
        file.front() != '.') {
      return Kind::dpkg_status;
    }
    return Kind::none;
  }
  if (path == "lib/apk/db/installed") return Kind::apk_installed;
  if (path == "var/lib/rpm/rpmdb.sqlite" || path == "usr/lib/sysimage/rpm/rpmdb.sqlite")
    return Kind::rpm_sqlite;
  if (path == "var/lib/rpm/Packages" || path == "usr/lib/sysimage/rpm/Packages") return Kind::rpm_bdb;
  if (path == "var/lib/rpm/Packages.db" || path == "usr/lib/sysimage/rpm/Packages.db") return Kind::rpm_ndb;

  const auto parts = segments(path);
  if (parts.empty()) return Kind::none;
  const std::string_view file = parts.back();
  const std::string_view parent = parts.size() >= 2 ? parts[parts.size() - 2] : std::string_view{};
  const bool under_node_modules = std::find(parts.begin(), parts.end(), "node_modules") != parts.end();

  if (file == "package-lock.json") return under_node_modules ? Kind::none : Kind::package_lock;
  if (file == "package.json" && parts.size() >= 3) {
    const std::string_view above = parts[parts.size() - 3];
    if (above == "node_modules" && !parent.starts_with('@') && !parent.starts_with('.')) {
      return Kind::package_json;
    }
    if (parts.size() >= 4 && above.starts_with('@') && parts[parts.size() - 4] == "node_modules") {
      return Kind::package_json;
    }
  }
  if (file == "METADATA" && parent.ends_with(".dist-info")) return Kind::python_metadata;
  if (file == "PKG-INFO" && parent.ends_with(".egg-info")) return Kind::python_metadata;
  if (file.ends_with(".egg-info")) return Kind::python_metadata;
  if (file == "Cargo.lock") return Kind::cargo_lock;
  if (parent == "specifications" && file.ends_with(".gemspec")) return Kind::gemspec;
  if (iends_with(file, ".jar") || iends_with(file, ".war") || iends_with(file, ".ear") ||
      iends_with(file, ".par")) {
    return Kind::java_archive;
  }
  if ((entry.mode & 0111) != 0 && entry.size > 0) return Kind::go_binary;
  return Kind::none;
}

// A summary that could not be made (a damaged jar, ...) is kept as this marker and the reason, so
// analyze() can report it as a warning; summaries are text and never start with a NUL.
constexpr std::string_view kSummaryError{"\0berth-inventory-summary-error\0", 31};

// Passes reads through, remembering whether the layer itself failed (that error must end the walk;
// a summarizer's own complaint about the file's content must not).
class TrackedContent final : public image::Content {
 public:
  explicit TrackedContent(image::Content& inner) : inner_(inner) {}
  base::Result<std::size_t> read(std::span<char> out) override {
    auto n = inner_.read(out);
    if (!n) failed_ = true;
    return n;
  }
  bool failed() const { return failed_; }

 private:
  image::Content& inner_;
  bool failed_ = false;
};

base::Result<std::optional<std::string>> summarize(
    image::Content& content,
    const std::function<base::Result<std::optional<std::string>>(image::Content&)>& summarizer) {
  TrackedContent tracked(content);
  auto summary = summarizer(tracked);
  if (summary) return summary;
  if (tracked.failed()) return std::move(summary).error();
  return std::optional<std::string>(std::string(kSummaryError) + summary.error().message);
}

base::Result<std::optional<std::string>> keep(const image::Entry& entry, image::Content& content) {
  const Kind kind = classify(entry);
  switch (kind) {
    case Kind::none:
      return std::optional<std::string>{};
    case Kind::rpm_ndb:
      return std::optional<std::string>(std::string{});  // its presence is all that matters
    case Kind::java_archive:
      return summarize(content,
                       [&](image::Content& c) { return detail::summarize_java_archive(c, entry.path); });
    case Kind::go_binary:
      return summarize(content, [](image::Content& c) { return detail::summarize_go_binary(c); });
    default:
      break;
  }
  // Too big to be what it claims: kept empty, and analyze() says so (entry.size is kept too).
  if (entry.size > cap(kind)) return std::optional<std::string>(std::string{});
  auto bytes = content.read_all(cap(kind));
  if (!bytes) return std::move(bytes).error();
  return std::optional<std::string>(std::move(*bytes));
}

using Parser = base::Result<std::vector<Package>> (*)(std::string_view, std::string_view);

Parser parser_for(Kind kind) {
  switch (kind) {
    case Kind::dpkg_status:
      return detail::parse_dpkg_status;
    case Kind::apk_installed:
      return detail::parse_apk_installed;
    case Kind::rpm_sqlite:
      return detail::parse_rpmdb_sqlite;
    case Kind::rpm_bdb:
      return detail::parse_rpmdb_bdb;
    case Kind::package_lock:
      return detail::parse_package_lock;
    case Kind::package_json:
      return detail::parse_package_json;
    case Kind::python_metadata:
      return detail::parse_python_metadata;
    case Kind::cargo_lock:
      return detail::parse_cargo_lock;
    case Kind::gemspec:
      return detail::parse_gemspec;
    case Kind::java_archive:
      return detail::parse_java_summary;
    case Kind::go_binary:
      return detail::parse_go_summary;
    case Kind::none:
    case Kind::os_file:
    case Kind::rpm_ndb:
      break;
  }
  return nullptr;
}

// Package databases are bytes: dpkg and apk take any, so a name or version may be no UTF-8.
void make_text_valid(Package& p) {
  for (std::string* text :
       {&p.name, &p.version, &p.epoch, &p.arch, &p.source_name, &p.source_version, &p.licenses, &p.path}) {
    base::make_valid_utf8(*text);
  }
}

// "path: reason", without repeating the path when the parser already named it.
std::string naming(std::string_view path, std::string_view message) {
  if (message.starts_with(path)) return std::string(message);
  std::string out(path);
  out += ": ";
  out += message;
  return out;
}

}  // namespace

image::Selector selector() {
  image::Selector s;
  s.wants = [](const image::Entry& entry) { return classify(entry) != Kind::none; };
  s.keep = keep;
  return s;
}

base::Result<Inventory> analyze(const image::Snapshot& snapshot) {
  Inventory inventory;
  inventory.os = detail::detect_os(snapshot);
  for (std::string* text :
       {&inventory.os.family, &inventory.os.version, &inventory.os.codename, &inventory.os.pretty_name}) {
    base::make_valid_utf8(*text);
  }

  // rpm 4.16 converts an older database to rpmdb.sqlite and may leave the old one behind: the
  // SQLite one, when there is one, is the database.
  const bool have_rpm_sqlite = std::any_of(snapshot.begin(), snapshot.end(), [](const auto& item) {
    return classify(item.second.entry) == Kind::rpm_sqlite;
  });
  std::vector<std::string> ndb_rpm;
  for (const auto& [path, kept] : snapshot) {
    const Kind kind = classify(kept.entry);
    if (kind == Kind::rpm_ndb) {
      ndb_rpm.push_back(path);
      continue;
    }
    if (kind == Kind::rpm_bdb && have_rpm_sqlite) continue;
    const Parser parse = parser_for(kind);
    if (parse == nullptr) continue;

    const bool summary = kind == Kind::java_archive || kind == Kind::go_binary;
    if (summary && kept.data.starts_with(kSummaryError)) {
      inventory.warnings.push_back(naming(path, kept.data.substr(kSummaryError.size())));
      continue;
    }
    const std::uint64_t limit = cap(kind);
    if (limit != 0 && kept.entry.size > limit && kept.data.empty()) {
      const std::string why =
          naming(path, "not read: " + std::to_string(kept.entry.size) + " bytes, more than the " +
                           std::to_string(limit) + " this kind of file may have");
      if (is_os_database(kind)) return base::make_error(Errc::too_large, why);
      inventory.warnings.push_back(why);
      continue;
    }

    auto packages = parse(kept.data, path);
    if (!packages) {
      if (is_os_database(kind)) {
        return base::make_error(Errc::corrupt, naming(path, packages.error().message));
      }
      inventory.warnings.push_back(naming(path, packages.error().message));
      continue;
    }
    for (auto& p : *packages) {
      if (p.path.empty()) p.path = path;
      make_text_valid(p);
      p.purl = detail::make_purl(p, inventory.os);
      inventory.packages.push_back(std::move(p));
    }
  }
  if (!have_rpm_sqlite) {
    for (const auto& path : ndb_rpm) {
      inventory.warnings.push_back(
          path + ": rpm database in the NDB format, not supported: rpm packages are not listed");
    }
  }

  for (auto& warning : inventory.warnings) base::make_valid_utf8(warning);
  std::stable_sort(inventory.packages.begin(), inventory.packages.end(),
                   [](const Package& a, const Package& b) {
                     // arch last: Multi-Arch packages (libc6 amd64 and i386) share the rest.
                     return std::tie(a.type, a.name, a.version, a.path, a.arch) <
                            std::tie(b.type, b.name, b.version, b.path, b.arch);
                   });
  return inventory;
}

std::string_view type_name(PackageType type) {
  switch (type) {
    case PackageType::dpkg:
      return "dpkg";
    case PackageType::apk:
      return "apk";
    case PackageType::rpm:
      return "rpm";
    case PackageType::npm:
      return "npm";
    case PackageType::python:
      return "python";
    case PackageType::gomod:
      return "gomod";
    case PackageType::gobinary:
      return "gobinary";
    case PackageType::maven:
      return "maven";
    case PackageType::cargo:
      return "cargo";
    case PackageType::gem:
      return "gem";
  }
  return "unknown";
}

}  // namespace berth::inventory
