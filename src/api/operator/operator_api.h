// The operator API (/operator/v1): what the provider running the registry asks of it, on a
// listener of its own (operator.listen) behind a bearer token of its own. Today: the registry's
// facts (GET /operator/v1/registry), its plan (GET/PUT /operator/v1/plan), its backups
// (GET/POST /operator/v1/backups, GET /operator/v1/backups/runs/{id}), and exports and imports
// (GET/POST /operator/v1/exports, POST /operator/v1/imports, GET /operator/v1/exports/runs/{id}).
#pragma once

#include <filesystem>
#include <string>

#include "http/exchange.h"
#include "jobs/runner.h"
#include "layout/transfer_jobs.h"
#include "meta/database.h"
#include "plan/plan.h"
#include "registry/registry.h"

namespace berth::api::operator_api {

struct Context {
  std::string token;  // the bearer token every request must carry
  std::string name;   // the registry's name (its external URL)
  std::string version;
  plan::Current& plan;
  meta::Database& metadata;
  registry::Registry& registry;
  // Backups: where the server writes them (empty = off), the schedule and how many it keeps.
  jobs::Runner* jobs = nullptr;
  std::filesystem::path backup_dir;
  std::string backup_schedule;
  std::size_t backup_keep = 0;
  // Exports and imports as jobs (null = off: they need backup.dir, under which exports go).
  layout::JobSources* transfers = nullptr;
};

http::Handler make_handler(Context& context);

}  // namespace berth::api::operator_api
