// The data directory opened for use: blob store, metadata database, and an exclusive
// lock so that two processes (a server and an offline `berth gc`, say) never write it
// at the same time.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "blob/store.h"
#include "meta/database.h"
#include "meta/iam_database.h"
#include "meta/immutability_database.h"
#include "meta/job_database.h"
#include "meta/label_database.h"
#include "meta/limits_database.h"
#include "meta/replication_database.h"
#include "meta/retention_database.h"
#include "meta/scan_database.h"
#include "meta/sqlite.h"
#include "meta/webhook_database.h"

namespace berth::app {

struct Storage {
  base::UniqueFd lock;
  std::unique_ptr<blob::Store> blobs;
  std::unique_ptr<meta::Database> metadata;
  std::unique_ptr<meta::IamDatabase> iam;                    // same file as `metadata`
  std::unique_ptr<meta::JobDatabase> jobs;                   // same file: the job queue and schedules
  std::unique_ptr<meta::ScanDatabase> scans;                 // same file: scan results, CVE allowlists
  std::unique_ptr<meta::LabelDatabase> labels;               // same file: labels and their attachments
  std::unique_ptr<meta::LimitsDatabase> limits;              // same file: quotas and settings (the plan)
  std::unique_ptr<meta::ImmutabilityDatabase> immutability;  // same file: tag immutability rules
  std::unique_ptr<meta::RetentionDatabase> retention;        // same file: tag retention policies and runs
  std::unique_ptr<meta::ReplicationDatabase> replication;    // same file: registries, replication
  std::unique_ptr<meta::WebhookDatabase> webhooks;           // same file: webhook policies, deliveries
};

// Creates the directory if needed, takes its lock, opens the blob store (filesystem)
// and the metadata (SQLite, <data_dir>/meta.db: registry, identities/access, jobs, scans).
// Errors: unavailable if another process holds the lock; io_error; corrupt.
base::Result<Storage> open_storage(const std::string& data_dir);

// The data directory opened beside a server that may be running there (no lock: SQLite serves
// both processes), for commands that read it and hold garbage collection off (backup, export).
// Errors: not_found (no registry there), io_error, corrupt.
struct SharedStorage {
  meta::SqliteMetadata metadata;
  std::unique_ptr<blob::Store> blobs;
};
base::Result<SharedStorage> open_beside_server(const std::string& data_dir);

}  // namespace berth::app
