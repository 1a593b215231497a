// The `berth` command: composition root. Parses the command line, builds the
// configuration and runs a subcommand.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/commands.h"
#include "app/config.h"
#include "app/plans.h"
#include "base/log.h"

namespace {

struct Overrides {
  std::optional<std::string> config_file;
  std::optional<std::string> listen;
  std::optional<std::string> data_dir;
  std::optional<std::string> tls_certificate;
  std::optional<std::string> tls_private_key;
  std::optional<std::string> log_level;
};

std::string describe_keys() {
  std::string text = "Configuration keys (YAML path / environment variable):\n";
  for (const auto& key : berth::app::config_keys())
    text += "  " + key.path + " / " + key.env + "\n      " + key.help + "\n";
  return text;
}

void add_common(CLI::App& command, Overrides& overrides) {
  command.add_option("--config", overrides.config_file, "YAML configuration file (berth.yaml)");
  command.add_option("--data", overrides.data_dir, "data directory (default ./berth-data)");
}

}  // namespace

int main(int argc, char** argv) {
  // Argon2's 7 MiB work areas are mapped and unmapped on their own, so that their memory
  // goes back to the system after each password check. Left to glibc, the mmap threshold
  // grows past them after the first free and later ones stay in the thread arenas for
  // good. Smaller buffers (request bodies, uploads) stay on the heap, which is faster.
  mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
  CLI::App app{"berth: a private OCI registry (images, Helm charts and other artifacts)"};
  app.require_subcommand(1);
  app.footer(describe_keys());
  Overrides overrides;

  CLI::App* serve = app.add_subcommand("serve", "serve the registry (OCI distribution API at /v2/)");
  add_common(*serve, overrides);
  serve->add_option("--listen", overrides.listen, "address:port to listen on (default 127.0.0.1:5000)");
  serve->add_option("--tls-cert", overrides.tls_certificate,
                    "PEM certificate chain (enables TLS with --tls-key)");
  serve->add_option("--tls-key", overrides.tls_private_key, "PEM private key");
  serve->add_option("--log-level", overrides.log_level, "trace, debug, info, warn, error or off");
  serve->footer(describe_keys());

  CLI::App* fsck = app.add_subcommand("fsck", "check that blobs and metadata agree (exit 0 when clean)");
  add_common(*fsck, overrides);
  CLI::App* gc = app.add_subcommand(
      "gc", "delete blobs no manifest references, as the server's garbage collection does (server stopped)");
  add_common(*gc, overrides);
  berth::app::GcRequest gc_request;
  std::optional<std::string> gc_grace;
  gc->add_option("--grace", gc_grace, "keep unreferenced blobs younger than this (default: gc.grace)");
  gc->add_flag("--delete-untagged", gc_request.delete_untagged, "first delete artifacts without tags");
  gc->add_flag("--dry-run", gc_request.dry_run, "only report what would be deleted");
  gc->add_option("--workers", gc_request.workers, "files removed in parallel (1 to 5, default 1)")
      ->check(CLI::Range(1, 5));

  CLI::App* backup = app.add_subcommand(
      "backup", "write a consistent backup of the registry into a new directory (the server may run)");
  add_common(*backup, overrides);
  std::string backup_dir;
  backup->add_option("DIR", backup_dir, "the backup directory to create")->required();
  CLI::App* restore =
      app.add_subcommand("restore", "restore a backup onto an empty data directory (server stopped)");
  add_common(*restore, overrides);
  std::string restore_dir;
  restore->add_option("DIR", restore_dir, "a directory written by berth backup")->required();

  CLI::App* export_app = app.add_subcommand(
      "export",
      "write projects as OCI image layouts with their settings, for any OCI tool (the server may run)");
  add_common(*export_app, overrides);
  std::string export_project;
  bool export_all = false;
  std::string export_dir;
  auto* project_option = export_app->add_option("--project", export_project, "the project to export");
  export_app->add_flag("--all", export_all, "export every project")->excludes(project_option);
  export_app->add_option("DIR", export_dir, "an empty or new directory")->required();
  CLI::App* import_app =
      app.add_subcommand("import", "load what berth export wrote, digests unchanged (server stopped)");
  add_common(*import_app, overrides);
  std::string import_dir;
  import_app->add_option("DIR", import_dir, "a directory written by berth export")->required();

  CLI::App* admin = app.add_subcommand("admin", "recovery on the data directory (server must be stopped)");
  admin->require_subcommand(1);
  add_common(*admin, overrides);
  berth::app::AdminRequest admin_request;
  using Action = berth::app::AdminRequest::Action;
  CLI::App* reset = admin->add_subcommand("reset-password", "set a user's password");
  reset->add_option("--user", admin_request.username, "user name")->required();
  reset->add_flag("--password-stdin", admin_request.password_stdin,
                  "read the password from stdin (else one is generated and printed)");
  reset->callback([&] { admin_request.action = Action::reset_password; });
  CLI::App* user = admin->add_subcommand("user", "manage users");
  user->require_subcommand(1);
  CLI::App* user_create = user->add_subcommand("create", "create a user");
  user_create->add_option("--username", admin_request.username, "user name")->required();
  user_create->add_option("--email", admin_request.email, "e-mail address");
  user_create->add_flag("--admin", admin_request.sysadmin, "make the user a system administrator");
  user_create->add_flag("--password-stdin", admin_request.password_stdin,
                        "read the password from stdin (else one is generated and printed)");
  user_create->callback([&] { admin_request.action = Action::create_user; });
  CLI::App* project = admin->add_subcommand("project", "manage projects");
  project->require_subcommand(1);
  CLI::App* project_create = project->add_subcommand("create", "create a project (owned by admin)");
  project_create->add_option("name", admin_request.project, "project name")->required();
  project_create->add_flag("--public", admin_request.public_project, "anyone may pull from it");
  project_create->callback([&] { admin_request.action = Action::create_project; });
  CLI::App* rotate =
      admin->add_subcommand("rotate-token-key", "start signing registry tokens with a new key");
  rotate->callback([&] { admin_request.action = Action::rotate_token_key; });
  CLI::App* plan = admin->add_subcommand("plan", "the registry's plan (works beside a running server)");
  plan->require_subcommand(1);
  std::string plan_name;
  CLI::App* plan_set = plan->add_subcommand("set", "upgrade the plan: S, M, L or unlimited (never down)");
  plan_set->add_option("name", plan_name, "S, M, L or unlimited")->required();
  CLI::App* plan_show = plan->add_subcommand("show", "print the plan in force");
  // --data and --config may follow the nested subcommands too.
  for (CLI::App* nested :
       {reset, user, user_create, project, project_create, rotate, plan, plan_set, plan_show})
    nested->fallthrough();

  berth::app::ScanRequest scan_request;
  CLI::App* scan = app.add_subcommand(
      "scan", "scan an OCI layout directory, an image archive (docker/oci-archive) or a root filesystem");
  add_common(*scan, overrides);
  scan->add_option("target", scan_request.target, "what to scan")->required();
  scan->add_option("--format", scan_request.format,
                   "table, json (Harbor vulnerability report), cyclonedx or spdx (SBOMs)");

  CLI::App* vulndb = app.add_subcommand("vulndb", "manage the vulnerability database");
  vulndb->require_subcommand(1);
  add_common(*vulndb, overrides);
  berth::app::VulndbImportRequest import_request;
  CLI::App* vulndb_import = vulndb->add_subcommand("import", "import a vulnerability data source");
  vulndb_import
      ->add_option("path", import_request.path,
                   "Debian tracker directory (vuln-list-debian), Alpine secdb YAML, OSV "
                   "JSON/YAML/zip, rubysec YAML or npm advisories: a file, a directory or an http(s) URL")
      ->required();
  vulndb_import->add_option("--format", import_request.format,
                            "debian, alpine, osv, rubysec or npm (default: detect)");
  vulndb_import->add_option(
      "--source", import_request.source,
      "name of the source; a later import with the same name replaces it (default: the path)");
  vulndb_import->add_option("--debian-sources", import_request.debian_sources,
                            "TSV of codename, source package, version(s): the releases' Sources versions");
  CLI::App* vulndb_info = vulndb->add_subcommand("info", "show the database version and its sources");
  for (CLI::App* nested : {vulndb_import, vulndb_info}) nested->fallthrough();

  CLI11_PARSE(app, argc, argv);

  auto loaded = berth::app::load_config(overrides.config_file, berth::app::berth_environment());
  if (!loaded) {
    std::cerr << "berth: " << loaded.error().message << "\n";
    return 2;
  }
  berth::app::Config config = std::move(loaded).value();
  auto apply = [&](const std::optional<std::string>& value, const char* path) {
    if (!value) return true;
    if (auto set = berth::app::set_config_value(config, path, *value); !set) {
      std::cerr << "berth: " << set.error().message << "\n";
      return false;
    }
    return true;
  };
  if (!apply(overrides.listen, "listen") || !apply(overrides.data_dir, "data_dir") ||
      !apply(overrides.tls_certificate, "tls.certificate") ||
      !apply(overrides.tls_private_key, "tls.private_key") || !apply(overrides.log_level, "log_level"))
    return 2;
  if (!berth::base::set_log_level(config.log_level)) {
    std::cerr << "berth: unknown log level '" << config.log_level << "'\n";
    return 2;
  }

  if (*serve) return berth::app::serve(config);
  if (*fsck) return berth::app::fsck(config);
  if (*gc) {
    if (gc_grace) {
      berth::app::Config parsed = config;
      if (auto set = berth::app::set_config_value(parsed, "gc.grace", *gc_grace); !set) {
        std::cerr << "berth: --grace: " << set.error().message << "\n";
        return 2;
      }
      gc_request.grace = parsed.gc_grace;
    }
    return berth::app::garbage_collect(config, gc_request);
  }
  if (*backup) return berth::app::backup_command(config, backup_dir);
  if (*restore) return berth::app::restore_command(config, restore_dir);
  if (*export_app) {
    if (export_project.empty() && !export_all) {
      std::cerr << "berth export: name a --project or ask for --all\n";
      return 2;
    }
    return berth::app::export_command(config, export_project, export_dir);
  }
  if (*import_app) return berth::app::import_command(config, import_dir);
  if (*plan_set) return berth::app::plan_command(config, "set", plan_name);
  if (*plan_show) return berth::app::plan_command(config, "show", "");
  if (*admin) return berth::app::admin(config, admin_request);
  if (*scan) return berth::app::scan_command(config, scan_request);
  if (*vulndb_import) return berth::app::vulndb_import(config, import_request);
  if (*vulndb_info) return berth::app::vulndb_info(config);
  return 2;
}
