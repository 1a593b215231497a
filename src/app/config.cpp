#include "app/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>

extern char** environ;

namespace berth::app {
namespace {

// Parses and stores a value; false when the text is not a valid value of the key.
using Setter = std::function<bool(Config&, const std::string&)>;

base::Status bad_value(const std::string& path, const std::string& value, std::string_view why) {
  return base::make_error(base::Errc::invalid_argument,
                          "config " + path + ": invalid value '" + value + "' (" + std::string(why) + ")");
}

template <class T>
bool parse_unsigned(const std::string& text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// "90", "90s", "15m", "24h", "7d" -> seconds. Negative and overflowing values are invalid.
bool parse_duration(const std::string& text, std::chrono::seconds& out) {
  if (text.empty()) return false;
  std::string digits = text;
  std::uint64_t unit = 1;
  switch (text.back()) {
    case 's':
      unit = 1;
      digits.pop_back();
      break;
    case 'm':
      unit = 60;
      digits.pop_back();
      break;
    case 'h':
      unit = 3600;
      digits.pop_back();
      break;
    case 'd':
      unit = 86400;
      digits.pop_back();
      break;
    default:
      break;
  }
  std::uint64_t value = 0;
  if (!parse_unsigned(digits, value)) return false;
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::chrono::seconds::rep>::max()) / unit)
    return false;
  out = std::chrono::seconds(static_cast<std::chrono::seconds::rep>(value * unit));
  return true;
}

struct KeyDef {
  ConfigKey key;
  Setter set;
  std::string_view expected;  // what a valid value looks like, for error messages
  bool accepts_list = false;  // a YAML sequence is allowed
};

struct Kind {
  Setter set;
  std::string_view expected;
  bool accepts_list = false;
};

template <class T>
Kind number(T Config::*field) {
  return {[field](Config& config, const std::string& value) {
            T parsed{};
            if (!parse_unsigned(value, parsed)) return false;
            config.*field = parsed;
            return true;
          },
          "expected a whole number"};
}

Kind text(std::string Config::*field) {
  return {[field](Config& config, const std::string& value) {
            config.*field = value;
            return true;
          },
          "expected text"};
}

// One of a fixed set of words, stored as text.
Kind choice(std::string Config::*field, std::string_view expected, std::vector<std::string> allowed) {
  return {[field, allowed = std::move(allowed)](Config& config, const std::string& value) {
            if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) return false;
            config.*field = value;
            return true;
          },
          expected};
}

Kind flag(bool Config::*field) {
  return {[field](Config& config, const std::string& value) {
            if (value == "true" || value == "yes" || value == "on" || value == "1") {
              config.*field = true;
            } else if (value == "false" || value == "no" || value == "off" || value == "0") {
              config.*field = false;
            } else {
              return false;
            }
            return true;
          },
          "expected true or false"};
}

Kind duration(std::chrono::seconds Config::*field) {
  return {[field](Config& config, const std::string& value) {
            std::chrono::seconds parsed{};
            if (!parse_duration(value, parsed)) return false;
            config.*field = parsed;
            return true;
          },
          "expected a duration such as 90s, 15m, 24h"};
}

// A duration that must not be zero (a time limit of nothing would refuse every client).
Kind positive_duration(std::chrono::seconds Config::*field) {
  return {[field](Config& config, const std::string& value) {
            std::chrono::seconds parsed{};
            if (!parse_duration(value, parsed) || parsed.count() == 0) return false;
            config.*field = parsed;
            return true;
          },
          "expected a duration above zero such as 20s, 1m"};
}

// A size in bytes: a whole number with an optional binary unit (KiB, MiB, GiB, TiB; K, M, G, T
// mean the same), or -1 for "no limit" where `unlimited` allows it.
bool parse_size(const std::string& text, std::int64_t& out, bool unlimited) {
  if (unlimited && text == "-1") {
    out = -1;
    return true;
  }
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::uint64_t value = 0;
  if (!parse_unsigned(text.substr(0, digits), value)) return false;
  std::string unit = text.substr(digits);
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  int shift = 0;
  if (unit.empty() || unit == "B")
    shift = 0;
  else if (unit == "K" || unit == "KiB")
    shift = 10;
  else if (unit == "M" || unit == "MiB")
    shift = 20;
  else if (unit == "G" || unit == "GiB")
    shift = 30;
  else if (unit == "T" || unit == "TiB")
    shift = 40;
  else
    return false;
  if (value > (static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) >> shift)) return false;
  out = static_cast<std::int64_t>(value << shift);
  return true;
}

Kind size(std::int64_t Config::*field, bool unlimited) {
  return {[field, unlimited](Config& config, const std::string& value) {
            std::int64_t parsed = 0;
            if (!parse_size(value, parsed, unlimited)) return false;
            config.*field = parsed;
            return true;
          },
          unlimited ? "expected a size such as 500MiB, 10GiB, or -1 for no limit"
                    : "expected a size such as 500MiB, 10GiB"};
}

Kind milliseconds(std::chrono::milliseconds Config::*field) {
  return {[field](Config& config, const std::string& value) {
            std::uint64_t parsed = 0;
            std::string digits = value;
            if (digits.size() > 2 && digits.ends_with("ms")) digits.resize(digits.size() - 2);
            if (!parse_unsigned(digits, parsed) || parsed > 3'600'000) return false;
            config.*field = std::chrono::milliseconds(parsed);
            return true;
          },
          "expected milliseconds such as 500ms"};
}

// A list: items separated by commas or spaces (a YAML sequence arrives joined by commas).
Kind text_list(std::vector<std::string> Config::*field) {
  return {[field](Config& config, const std::string& value) {
            std::vector<std::string> items;
            std::string item;
            for (char c : value + ",") {
              if (c == ',' || c == ' ' || c == '\t') {
                if (!item.empty()) items.push_back(std::move(item));
                item.clear();
              } else {
                item.push_back(c);
              }
            }
            config.*field = std::move(items);
            return true;
          },
          "expected a list", true};
}

std::string env_name(const std::string& path) {
  std::string name = "BERTH_";
  for (char c : path)
    name.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return name;
}

const std::vector<KeyDef>& key_defs() {
  static const std::vector<KeyDef> defs = [] {
    std::vector<KeyDef> list;
    auto add = [&](std::string path, std::string help, Kind kind) {
      list.push_back(KeyDef{ConfigKey{path, env_name(path), std::move(help)}, std::move(kind.set),
                            kind.expected, kind.accepts_list});
    };
    add("listen", "address and port to listen on (host:port)", text(&Config::listen));
    add("data_dir", "directory for blobs, uploads and metadata", text(&Config::data_dir));
    add("log_level", "trace, debug, info, warn, error or off",
        choice(&Config::log_level, "expected trace, debug, info, warn, error or off",
               {"trace", "debug", "info", "warn", "error", "off"}));
    add("tls.certificate", "PEM certificate chain; TLS is on when certificate and key are set",
        text(&Config::tls_certificate));
    add("tls.private_key", "PEM private key", text(&Config::tls_private_key));
    add("tls.hsts_max_age",
        "max-age of the Strict-Transport-Security header sent on every TLS response (0 = no header)",
        duration(&Config::hsts_max_age));
    add("limits.max_connections", "connections served at once; more are closed",
        number(&Config::max_connections));
    add("limits.max_header_bytes", "largest request head; larger ones get 431",
        number(&Config::max_header_bytes));
    add("limits.max_body_bytes", "largest request body in bytes (0 = unlimited)",
        number(&Config::max_body_bytes));
    add("limits.idle_timeout", "how long a connection may wait before it starts a request",
        positive_duration(&Config::idle_timeout));
    add("limits.header_timeout",
        "a request head (and TLS handshake) must be complete this long after its first byte (else 408)",
        positive_duration(&Config::header_timeout));
    add("limits.body_timeout", "longest pause allowed in a request body",
        positive_duration(&Config::body_timeout));
    add("limits.min_body_rate",
        "bytes/s a request body must average, after body_timeout of grace that fast parts extend (0 = no "
        "rule)",
        number(&Config::min_body_rate));
    add("limits.send_timeout", "longest a response may wait for the client to read",
        positive_duration(&Config::send_timeout));
    add("limits.min_send_rate", "bytes/s a client must read a response at on average, like min_body_rate",
        number(&Config::min_send_rate));
    add("limits.io_threads", "threads serving connections (0 = one per core)", number(&Config::io_threads));
    add("limits.max_open_uploads", "uploads in progress at once; more get 429 TOOMANYREQUESTS",
        number(&Config::max_open_uploads));
    add("limits.blocking_threads", "threads for disk and database work", number(&Config::blocking_threads));
    add("limits.shutdown_grace", "how long in-flight requests may finish on shutdown",
        duration(&Config::shutdown_grace));
    add("uploads.max_age", "unfinished uploads not written to for this long are purged",
        duration(&Config::upload_max_age));
    add("uploads.purge_interval", "how often abandoned uploads are looked for",
        duration(&Config::upload_purge_interval));
    add("cache.manifest_mb", "memory for cached manifests, in MiB", number(&Config::manifest_cache_mb));
    add("external_url", "URL clients reach Berth at (token realm, links); default: from the Host header",
        text(&Config::external_url));
    add("auth.admin_password_file",
        "file holding the first admin's password (first start only; else BERTH_ADMIN_PASSWORD, else "
        "generated)",
        text(&Config::admin_password_file));
    add("auth.token_lifetime", "how long a registry bearer token is valid",
        duration(&Config::token_lifetime));
    add("auth.session_lifetime", "how long a portal session lasts", duration(&Config::session_lifetime));
    add("auth.max_failed_logins", "failed logins from one address before it is locked out",
        number(&Config::max_failed_logins));
    add("auth.lockout", "how long an address stays locked out", duration(&Config::login_lockout));
    add("auth.project_creation", "who may create projects: everyone or adminonly",
        choice(&Config::project_creation, "expected everyone or adminonly", {"everyone", "adminonly"}));
    add("access.registry_allowlist", "CIDR blocks allowed to use /v2 and /service/token (empty = all)",
        text_list(&Config::registry_allowlist));
    add("access.management_allowlist", "CIDR blocks allowed to use /api/v2.0 and the portal (empty = all)",
        text_list(&Config::management_allowlist));
    add("audit.max_age", "audit records older than this are purged (0 = kept forever)",
        duration(&Config::audit_max_age));
    add("vulndb.path", "vulnerability database file (default <data_dir>/vulndb.sqlite)",
        text(&Config::vulndb_path));
    add("vulndb.sources",
        "vulnerability data imported by each update: paths or http(s) URLs (Debian tracker, Alpine secdb, "
        "OSV, rubysec, npm advisories; .zip, .tar.gz)",
        text_list(&Config::vulndb_sources));
    add("vulndb.update_schedule",
        "cron (sec min hour day month weekday) of the database updates; empty = on demand",
        text(&Config::vulndb_update_schedule));
    add("jobs.workers", "threads running background jobs (scans, database updates)",
        number(&Config::job_workers));
    add("scanner.adapter.enabled", "serve Harbor's pluggable scanner API at /api/v1 (Berth as a scanner)",
        flag(&Config::scanner_adapter_enabled));
    add("scanner.adapter.secret", "token Harbor must send to /api/v1 (Authorization: Bearer); empty = none",
        text(&Config::scanner_adapter_secret));
    add("scanner.external.url", "base URL of a Harbor scanner adapter to scan with (default: built in)",
        text(&Config::scanner_external_url));
    add("scanner.external.secret", "bearer token sent to the external scanner adapter",
        text(&Config::scanner_external_secret));
    add("gc.grace", "garbage collection keeps unreferenced blobs younger than this",
        duration(&Config::gc_grace));
    add("quota.default_project_storage", "storage quota of new projects (-1 = none)",
        size(&Config::default_project_storage, true));
    add("plan", "the registry's plan: S, M, L or unlimited (upgrades only; see berth admin plan set)",
        choice(&Config::plan, "expected S, M, L or unlimited", {"S", "M", "L", "unlimited"}));
    add("plans.s.storage", "storage of plan S", size(&Config::plan_s_storage, false));
    add("plans.m.storage", "storage of plan M", size(&Config::plan_m_storage, false));
    add("plans.l.storage", "storage of plan L", size(&Config::plan_l_storage, false));
    add("plans.s.parallel_requests", "/v2 and /api requests in flight on plan S",
        number(&Config::plan_s_requests));
    add("plans.m.parallel_requests", "/v2 and /api requests in flight on plan M",
        number(&Config::plan_m_requests));
    add("plans.l.parallel_requests", "/v2 and /api requests in flight on plan L",
        number(&Config::plan_l_requests));
    add("limits.request_queue_wait", "how long a request over the plan's parallel requests waits for a slot",
        milliseconds(&Config::request_queue_wait));
    add("operator.listen", "address:port of the operator API (empty = off)", text(&Config::operator_listen));
    add("operator.token_file", "file holding the operator API's bearer token",
        text(&Config::operator_token_file));
    add("backup.dir", "directory the server writes backups into (scheduled or through the operator API)",
        text(&Config::backup_dir));
    add("backup.schedule", "cron (sec min hour day month weekday) of scheduled backups; empty = on demand",
        text(&Config::backup_schedule));
    add("backup.keep", "how many backups the server keeps in backup.dir (the oldest go first)",
        number(&Config::backup_keep));
    return list;
  }();
  return defs;
}

// Reads the whole file at `path`. Errors: io_error (missing, unreadable, a directory).
base::Result<std::string> read_config_file(const std::string& path) {
  auto failed = [&](const char* what) {
    return base::make_error(base::Errc::io_error, "config " + path + ": cannot read the file (" + what + ")");
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return failed(std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    const char* why = S_ISDIR(st.st_mode) ? "it is a directory" : std::strerror(errno);
    ::close(fd);
    return failed(why);
  }
  std::string text;
  std::array<char, 8192> buffer;
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const char* why = std::strerror(errno);
      ::close(fd);
      return failed(why);
    }
    if (n == 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

void flatten(const YAML::Node& node, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  if (node.IsMap()) {
    for (const auto& entry : node)
      flatten(entry.second,
              prefix.empty() ? entry.first.as<std::string>() : prefix + "." + entry.first.as<std::string>(),
              out);
  } else if (node.IsScalar()) {
    out.emplace_back(prefix, node.as<std::string>());
  } else if (node.IsNull()) {
    out.emplace_back(prefix, "");
  } else if (node.IsSequence()) {
    std::string joined;
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        out.emplace_back(prefix, "\x01sequence");
        return;
      }
      joined += (joined.empty() ? "" : ",") + item.as<std::string>();
    }
    out.emplace_back(prefix, "\x01list" + joined);
  } else {
    out.emplace_back(prefix, "\x01sequence");
  }
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = [] {
    std::vector<ConfigKey> list;
    for (const auto& def : key_defs()) list.push_back(def.key);
    return list;
  }();
  return keys;
}

base::Status set_config_value(Config& config, const std::string& path, const std::string& value) {
  for (const auto& def : key_defs()) {
    if (def.key.path != path) continue;
    if (!def.set(config, value)) return bad_value(path, value, def.expected);
    return {};
  }
  return base::make_error(base::Errc::invalid_argument, "config: unknown key '" + path + "'");
}

base::Result<Config> load_config(const std::optional<std::string>& path,
                                 const std::map<std::string, std::string>& environment) {
  Config config;
  if (path) {
    std::vector<std::pair<std::string, std::string>> values;
    auto text = read_config_file(*path);
    if (!text) return std::move(text).error();
    try {
      YAML::Node root = YAML::Load(*text);
      if (!root.IsNull() && !root.IsMap())
        return base::make_error(base::Errc::invalid_argument, "config " + *path + ": expected a mapping");
      if (root.IsMap()) flatten(root, "", values);  // an empty file (or only comments) sets nothing
    } catch (const YAML::Exception& e) {
      return base::make_error(base::Errc::invalid_argument, "config " + *path + ": " + e.what());
    }
    for (const auto& [key, value] : values) {
      if (value == "\x01sequence")
        return base::make_error(base::Errc::invalid_argument, "config " + key + ": expected a single value");
      if (value.starts_with("\x01list")) {
        auto def = std::find_if(key_defs().begin(), key_defs().end(),
                                [&](const KeyDef& d) { return d.key.path == key; });
        if (def != key_defs().end() && !def->accepts_list)
          return base::make_error(base::Errc::invalid_argument,
                                  "config " + key + ": expected a single value");
        if (auto status = set_config_value(config, key, value.substr(5)); !status) return status.error();
        continue;
      }
      if (auto status = set_config_value(config, key, value); !status) return status.error();
    }
  }
  for (const auto& def : key_defs()) {
    auto it = environment.find(def.key.env);
    if (it == environment.end()) continue;
    if (auto status = set_config_value(config, def.key.path, it->second); !status) return status.error();
  }
  return config;
}

std::map<std::string, std::string> berth_environment() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    if (!text.starts_with("BERTH_")) continue;
    auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return out;
}

base::Result<std::pair<std::string, std::uint16_t>> split_listen_address(const std::string& listen) {
  auto invalid = [&] {
    return base::make_error(base::Errc::invalid_argument,
                            "listen address '" + listen + "' is not host:port ([addr]:port for IPv6)");
  };
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return invalid();
  std::string host = listen.substr(0, colon);
  if (host.front() == '[') {
    // IPv6 literal: "[addr]:port", and only there may the host hold colons.
    if (host.size() < 3 || host.back() != ']') return invalid();
    host = host.substr(1, host.size() - 2);
    if (host.find_first_of("[]") != std::string::npos) return invalid();
  } else if (host.find_first_of(":[]") != std::string::npos) {
    return invalid();  // "::1:5000" is ambiguous; IPv6 needs brackets
  }
  std::uint16_t port = 0;
  if (!parse_unsigned(listen.substr(colon + 1), port)) return invalid();
  return std::make_pair(host, port);
}

std::string vulndb_file(const Config& config) {
  if (!config.vulndb_path.empty()) return config.vulndb_path;
  return (std::filesystem::path(config.data_dir) / "vulndb.sqlite").string();
}

}  // namespace berth::app
