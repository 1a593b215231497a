// The SQLite back end of the metadata: one database file behind both interfaces.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "meta/database.h"
#include "meta/iam_database.h"
#include "meta/immutability_database.h"
#include "meta/job_database.h"
#include "meta/label_database.h"
#include "meta/limits_database.h"
#include "meta/replication_database.h"
#include "meta/retention_database.h"
#include "meta/scan_database.h"
#include "meta/webhook_database.h"

namespace berth::meta {

// The interfaces over one file; they share its writer connection and reader pool, so
// they may be used together from any thread.
struct SqliteMetadata {
  std::unique_ptr<Database> registry;
  std::unique_ptr<IamDatabase> iam;
  std::unique_ptr<JobDatabase> jobs;    // the job queue and schedules
  std::unique_ptr<ScanDatabase> scans;  // scan results and CVE allowlists
  std::unique_ptr<LabelDatabase> labels;
  std::unique_ptr<LimitsDatabase> limits;  // quotas and settings
  std::unique_ptr<ImmutabilityDatabase> immutability;
  std::unique_ptr<RetentionDatabase> retention;
  std::unique_ptr<ReplicationDatabase> replication;
  std::unique_ptr<WebhookDatabase> webhooks;
};

// Opens (creating if needed) the SQLite database at `path` in WAL mode and applies
// the schema migrations. Errors: io_error, corrupt, unsupported (written by a newer
// Berth).
base::Result<SqliteMetadata> open_sqlite(const std::string& path);

}  // namespace berth::meta
