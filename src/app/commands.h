// The `berth` subcommands. Each returns the process exit code.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "app/config.h"

namespace berth::app {

// Serves the registry until SIGTERM/SIGINT.
int serve(const Config& config);

// Checks that blobs on disk and metadata rows agree and that the metadata is intact.
// Completes interrupted commits first, exactly as a start does. Prints every problem.
// Exit code 0 when clean, 1 when problems were found, 2 when the check could not run.
int fsck(const Config& config);

// Garbage collection with the server stopped: the same run as the server's GC job.
struct GcRequest {
  std::optional<std::chrono::seconds> grace;  // else the configured gc.grace
  bool delete_untagged = false;
  bool dry_run = false;
  unsigned workers = 1;
};
int garbage_collect(const Config& config, const GcRequest& request);

// `berth backup DIR`: a consistent backup of the registry into the new directory DIR, while
// the server runs or not. Exit code 0 when taken, 1 when DIR exists, 2 on other errors.
int backup_command(const Config& config, const std::string& target);
// `berth restore DIR`: the backup DIR onto the configured data directory, which must be empty
// or absent. Exit code 0 when restored, 1 for a bad backup or a data directory in use, 2 on
// other errors.
int restore_command(const Config& config, const std::string& source);

// `berth export [--project P] DIR`: every project (or P) as OCI image layouts plus a JSON file
// of each project's settings, in the new or empty directory DIR (see layout/layout.h). Exit
// code 0 when written, 1 for an unknown project or a non-empty DIR, 2 on other errors.
int export_command(const Config& config, const std::string& project, const std::string& target);
// `berth import DIR`: loads an export (server stopped), digests unchanged. Exit code 0 when
// loaded, 1 when the export or a push in it is refused, 2 on other errors.
int import_command(const Config& config, const std::string& source);

// `berth admin ...`: recovery on the data directory with the server stopped.
struct AdminRequest {
  enum class Action { reset_password, create_user, create_project, rotate_token_key };
  Action action = Action::reset_password;
  std::string username;         // reset-password, user create
  std::string email;            // user create
  bool sysadmin = false;        // user create
  bool password_stdin = false;  // read the password from the first line of stdin, else generate
  std::string project;          // project create
  bool public_project = false;
};
int admin(const Config& config, const AdminRequest& request);

// `berth vulndb import PATH`: reads a vulnerability data source (format detected, or
// named) and stores it as one source of the database, replacing what that source said before.
struct VulndbImportRequest {
  std::string path;
  std::string format;          // "" = detect; debian, alpine, osv, rubysec, npm
  std::string source;          // "" = the absolute path
  std::string debian_sources;  // TSV of codename, package, version(s): Sources versions
};
int vulndb_import(const Config& config, const VulndbImportRequest& request);

// `berth vulndb info`: the database version and its sources.
int vulndb_info(const Config& config);

// `berth scan TARGET`: scans an OCI layout directory, an image archive or a root filesystem
// directory and prints a table or a document. Exit code 0 when scanned, 1 when an image could
// not be read, 2 for bad arguments or a database that cannot be opened.
struct ScanRequest {
  std::string target;
  std::string format = "table";  // table, json (Harbor report), cyclonedx, spdx
};
int scan_command(const Config& config, const ScanRequest& request);

}  // namespace berth::app
