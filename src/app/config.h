// Config: every setting of `berth`, from defaults, then a YAML file, then BERTH_*
// environment variables, then command-line flags (each overriding the one before).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace berth::app {

struct Config {
  std::string listen = "127.0.0.1:5000";
  std::string data_dir = "./berth-data";
  std::string log_level = "info";
  std::string tls_certificate;
  std::string tls_private_key;
  std::chrono::seconds hsts_max_age{31536000};  // Strict-Transport-Security under TLS; 0 = none
  std::size_t max_connections = 4096;
  std::size_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 0;  // 0 = unlimited
  // Slow clients (http::ServerOptions says what each bounds).
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds header_timeout{20};
  std::chrono::seconds body_timeout{60};
  std::uint64_t min_body_rate = 1024;  // bytes/s; 0 = no rule
  std::chrono::seconds send_timeout{60};
  std::uint64_t min_send_rate = 1024;  // bytes/s; 0 = no rule
  unsigned io_threads = 0;             // 0 = one per core
  unsigned blocking_threads = 8;
  std::size_t max_open_uploads = 1024;
  std::chrono::seconds upload_max_age{std::chrono::hours(24)};
  std::chrono::seconds upload_purge_interval{std::chrono::hours(1)};
  std::size_t manifest_cache_mb = 64;
  std::chrono::seconds shutdown_grace{30};
  // Identity and access.
  std::string external_url;         // "" = derived from each request's Host header
  std::string admin_password_file;  // first start: the admin password (else BERTH_ADMIN_PASSWORD)
  std::chrono::seconds token_lifetime{300};
  std::chrono::seconds session_lifetime{std::chrono::hours(8)};
  std::size_t max_failed_logins = 5;
  std::chrono::seconds login_lockout{300};
  std::string project_creation = "everyone";      // or "adminonly"
  std::vector<std::string> registry_allowlist;    // CIDR blocks for /v2 and /service/token; empty = all
  std::vector<std::string> management_allowlist;  // CIDR blocks for /api and the portal; empty = all
  std::chrono::seconds audit_max_age{0};          // audit records older than this are purged; 0 = kept
  // Vulnerability scanning.
  std::string vulndb_path;                               // "" = <data_dir>/vulndb.sqlite
  std::vector<std::string> vulndb_sources;               // paths or http(s) URLs imported by each update
  std::string vulndb_update_schedule = "0 0 */6 * * *";  // cron (Harbor's 6 fields); "" = only on demand
  unsigned job_workers = 2;                              // background job threads (scans, updates, ...)
  // Harbor's pluggable scanner API: Berth as a scanner for Harbor (/api/v1), and an external
  // adapter as Berth's scanner.
  bool scanner_adapter_enabled = false;  // serve /api/v1 (metadata, scan, report)
  std::string scanner_adapter_secret;    // the token Harbor must send; "" = no authentication
  std::string scanner_external_url;      // an adapter's base URL to scan with; "" = the built-in scanner
  std::string scanner_external_secret;   // sent to that adapter as a bearer token
  // Storage lifecycle and plans.
  std::chrono::seconds gc_grace{std::chrono::hours(2)};  // unreferenced blobs younger than this are kept
  std::int64_t default_project_storage = -1;             // quota of new projects in bytes; -1 = none
  std::string plan = "unlimited";                        // S, M, L or unlimited
  std::int64_t plan_s_storage = 200LL << 30;
  std::int64_t plan_m_storage = 600LL << 30;
  std::int64_t plan_l_storage = 5LL << 40;
  std::size_t plan_s_requests = 15;
  std::size_t plan_m_requests = 45;
  std::size_t plan_l_requests = 90;
  std::chrono::milliseconds request_queue_wait{500};  // a request over the cap waits this long for a slot
  // The operator API: off unless operator.listen is set.
  std::string operator_listen;
  std::string operator_token_file;
  // Scheduled backups (berth backup's format): off unless backup.dir and backup.schedule are set.
  std::string backup_dir;       // where the server writes backups (berth-<UTC time> each)
  std::string backup_schedule;  // cron (Harbor's 6 fields); "" = only on demand
  std::size_t backup_keep = 7;  // the newest this many are kept
};

// The vulnerability database file the configuration names.
std::string vulndb_file(const Config& config);

// One configurable key: its YAML path ("limits.max_connections"), the environment
// variable that overrides it (BERTH_LIMITS_MAX_CONNECTIONS) and what it means.
struct ConfigKey {
  std::string path;
  std::string env;
  std::string help;
};
const std::vector<ConfigKey>& config_keys();

// Builds the configuration: defaults, then the YAML file at `path` (if given), then
// the environment (`environment` maps variable names to values).
// Errors: invalid_argument naming the key and the bad value, io_error for an
// unreadable file, unknown keys in the file.
base::Result<Config> load_config(const std::optional<std::string>& path,
                                 const std::map<std::string, std::string>& environment);

// Sets one key by its YAML path from text. Errors: invalid_argument.
base::Status set_config_value(Config& config, const std::string& path, const std::string& value);

// The process environment's BERTH_* variables.
std::map<std::string, std::string> berth_environment();

// Splits "host:port" ("[::1]:5000" for IPv6). Errors: invalid_argument.
base::Result<std::pair<std::string, std::uint16_t>> split_listen_address(const std::string& listen);

}  // namespace berth::app
