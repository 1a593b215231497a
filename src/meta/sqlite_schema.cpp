#include "meta/sqlite_schema.h"

#include <iterator>

namespace berth::meta::sqlite {
namespace {

// Timestamps are unix milliseconds. Empty subjects are stored as NULL.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE repositories (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE TABLE blobs (
  digest TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE pending_blobs (
  digest TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE repository_blobs (
  repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  digest TEXT NOT NULL REFERENCES blobs(digest),
  PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX repository_blobs_by_digest ON repository_blobs(digest);
CREATE TABLE manifests (
  repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  digest TEXT NOT NULL REFERENCES blobs(digest),
  media_type TEXT NOT NULL,
  artifact_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  subject TEXT,
  annotations TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX manifests_by_subject ON manifests(repository_id, subject);
CREATE INDEX manifests_by_digest ON manifests(digest);
CREATE TABLE manifest_references (
  repository_id INTEGER NOT NULL,
  manifest_digest TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('blob', 'manifest')),
  child_digest TEXT NOT NULL,
  PRIMARY KEY (repository_id, manifest_digest, kind, child_digest),
  FOREIGN KEY (repository_id, manifest_digest)
    REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX manifest_references_by_child ON manifest_references(child_digest);
CREATE TABLE tags (
  repository_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  digest TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (repository_id, name),
  FOREIGN KEY (repository_id, digest) REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX tags_by_digest ON tags(repository_id, digest);
CREATE TABLE uploads (
  id TEXT PRIMARY KEY,
  repository TEXT NOT NULL,
  started_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX uploads_by_start ON uploads(started_at);
)sql";

// V2: what the management API reads (repository description, pull counts and times, last
// update), and identities and access: users, projects with their metadata and members,
// robot accounts with their permissions, portal sessions, the audit log.
//
// pulled_at = 0 means never pulled. repositories.updated_at starts as the latest of the
// repository's creation, its manifests' pushes and its tags' moves.
// Identity ids use AUTOINCREMENT so that an id is never reused after a delete: a stale
// reference (a token, a log line, a project's owner id) can never name someone else.
// users.email is '' when absent; only non-empty emails must be unique.
// robots.project_id is NULL for system robots (the API says 0), so that deleting a
// project removes its robots by cascade.
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE repositories ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE repositories ADD COLUMN pull_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE repositories ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE repositories SET updated_at = max(created_at,
  coalesce((SELECT max(m.created_at) FROM manifests m WHERE m.repository_id = repositories.id), 0),
  coalesce((SELECT max(t.updated_at) FROM tags t WHERE t.repository_id = repositories.id), 0));
ALTER TABLE manifests ADD COLUMN pulled_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tags ADD COLUMN pulled_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX manifests_by_repository_time ON manifests(repository_id, created_at);

CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL,
  realname TEXT NOT NULL,
  comment TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  sysadmin INTEGER NOT NULL CHECK (sysadmin IN (0, 1)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_by_email ON users(email) WHERE email <> '';

CREATE TABLE projects (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  owner_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE project_metadata (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (project_id, name)
) WITHOUT ROWID;
CREATE TABLE project_members (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (project_id, user_id)
);
CREATE INDEX project_members_by_user ON project_members(user_id);

CREATE TABLE robots (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  level TEXT NOT NULL,
  project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
  disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),
  expires_at INTEGER NOT NULL,
  duration_days INTEGER NOT NULL,
  creator TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX robots_by_project ON robots(project_id);
CREATE TABLE robot_permissions (
  robot_id INTEGER NOT NULL REFERENCES robots(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  namespace TEXT NOT NULL,
  resource TEXT NOT NULL,
  action TEXT NOT NULL,
  PRIMARY KEY (robot_id, position)
) WITHOUT ROWID;

CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  op_time INTEGER NOT NULL,
  username TEXT NOT NULL,
  client_ip TEXT NOT NULL,
  operation TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource TEXT NOT NULL,
  project TEXT NOT NULL,
  result TEXT NOT NULL,
  description TEXT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log(op_time);
CREATE INDEX audit_log_by_project ON audit_log(project, op_time);
CREATE INDEX audit_log_by_username ON audit_log(username, op_time);
CREATE INDEX audit_log_by_operation ON audit_log(operation, op_time);
CREATE INDEX audit_log_by_resource_type ON audit_log(resource_type, op_time);
CREATE INDEX audit_log_by_resource ON audit_log(resource, op_time);
)sql";

// The job queue and the cron schedules (meta/job_database.h). States: queued, running,
// succeeded, failed, cancelled. At most one queued or running job per dedupe key.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  dedupe_key TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_after INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  heartbeat_at INTEGER,
  worker TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  progress TEXT NOT NULL DEFAULT '',
  cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_due ON jobs(state, run_after, id);
CREATE INDEX jobs_by_kind ON jobs(kind, state);
CREATE INDEX jobs_by_finish ON jobs(finished_at) WHERE finished_at IS NOT NULL;
CREATE UNIQUE INDEX jobs_active_dedupe ON jobs(dedupe_key)
  WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running');
CREATE TABLE job_kinds (
  kind TEXT PRIMARY KEY,
  paused INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE job_schedules (
  name TEXT PRIMARY KEY,
  cron TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  max_attempts INTEGER NOT NULL,
  next_run INTEGER,
  last_run INTEGER,
  last_job_id INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX job_schedules_by_next_run ON job_schedules(next_run) WHERE next_run IS NOT NULL;
)sql";

// Scan results per manifest digest, the packages each result's inventory has (to find the
// results a vulnerability database change concerns), and the CVE allowlists (project 0 = the
// system's).
constexpr const char* kSchemaV4 = R"sql(
CREATE TABLE scan_reports (
  digest TEXT PRIMARY KEY,
  repository TEXT NOT NULL,
  status TEXT NOT NULL,
  db_version INTEGER NOT NULL DEFAULT 0,
  severity TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  report TEXT NOT NULL DEFAULT '',
  inventory TEXT NOT NULL DEFAULT '',
  vulnerabilities TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  sbom_digest TEXT NOT NULL DEFAULT '',
  started_at INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scan_reports_by_version ON scan_reports(status, db_version);
CREATE TABLE scan_packages (
  ecosystem TEXT NOT NULL,
  package TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (ecosystem, package, digest)
) WITHOUT ROWID;
CREATE INDEX scan_packages_by_digest ON scan_packages(digest);
CREATE TABLE cve_allowlists (
  project_id INTEGER PRIMARY KEY,
  expires_at INTEGER NOT NULL,
  items TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
)sql";

// V5: Harbor's artifact model. A manifest may be an accessory of another artifact of its
// repository (accessory_of: that artifact's digest; accessory_type: signature.cosign, ...):
// a manifest with a subject, or a cosign signature pushed under "sha256-<hex>.sig". Existing
// rows are classified the same way (a cosign tag is taken at its word: older rows kept no
// layer media types). Labels: global (project_id 0) and per project, attached to artifacts.
constexpr const char* kSchemaV5 = R"sql(
ALTER TABLE manifests ADD COLUMN accessory_of TEXT;
ALTER TABLE manifests ADD COLUMN accessory_type TEXT;
UPDATE manifests SET accessory_of = subject,
  accessory_type = CASE artifact_type
    WHEN 'application/vnd.cncf.notary.signature' THEN 'signature.notation'
    WHEN 'application/vnd.dev.cosign.artifact.sig.v1+json' THEN 'signature.cosign'
    WHEN 'application/vnd.goharbor.harbor.sbom.v1' THEN 'harbor.sbom'
    ELSE 'subject.accessory' END
  WHERE subject IS NOT NULL;
UPDATE manifests SET accessory_of = 'sha256:' || substr(t.name, 8, 64), accessory_type = 'signature.cosign'
  FROM tags t
  WHERE manifests.subject IS NULL AND t.repository_id = manifests.repository_id AND t.digest = manifests.digest
    AND t.name GLOB 'sha256-[0-9a-f]*.sig' AND length(t.name) = 75;
CREATE INDEX manifests_by_accessory ON manifests(repository_id, accessory_of) WHERE accessory_of IS NOT NULL;
CREATE TABLE labels (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  color TEXT NOT NULL DEFAULT '',
  scope TEXT NOT NULL CHECK (scope IN ('g', 'p')),
  project_id INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (name, scope, project_id)
);
CREATE INDEX labels_by_project ON labels(project_id);
CREATE TABLE artifact_labels (
  label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
  repository_id INTEGER NOT NULL,
  digest TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (repository_id, digest, label_id),
  FOREIGN KEY (repository_id, digest) REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX artifact_labels_by_label ON artifact_labels(label_id);
)sql";

// V6: storage lifecycle. Quotas: a project's hard limit (bytes, -1 = none) lives with the
// project; its usage is kept by project name, as repositories name their project, and
// changes in the transaction of the manifest write or delete that causes it. A project uses
// a blob while any of its manifests is stored under that digest or references it as a
// blob (project_blobs.refs counts those manifests), and the usage is the sum of the sizes
// of the blobs it uses, each once. Garbage collection: a link's last time (a blob is young
// while any repository linked it recently), and blobs being deleted (doomed_blobs: the row
// is gone, the file is being removed; no upload may store that digest until it is).
// Settings: the registry's plan.
constexpr const char* kSchemaV6 = R"sql(
ALTER TABLE repository_blobs ADD COLUMN linked_at INTEGER NOT NULL DEFAULT 0;
CREATE TABLE quotas (
  project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  hard_storage INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
INSERT INTO quotas(project_id, hard_storage, created_at, updated_at)
  SELECT id, -1, created_at, created_at FROM projects;
CREATE TABLE project_blobs (
  project TEXT NOT NULL,
  digest TEXT NOT NULL,
  refs INTEGER NOT NULL CHECK (refs >= 0),
  PRIMARY KEY (project, digest)
) WITHOUT ROWID;
CREATE TABLE project_usage (
  project TEXT PRIMARY KEY,
  used_storage INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO project_blobs(project, digest, refs)
  SELECT project, digest, count(*) FROM (
    SELECT CASE instr(r.name, '/') WHEN 0 THEN r.name ELSE substr(r.name, 1, instr(r.name, '/') - 1) END
             AS project, m.digest AS digest
      FROM manifests m JOIN repositories r ON r.id = m.repository_id
    UNION ALL
    SELECT CASE instr(r.name, '/') WHEN 0 THEN r.name ELSE substr(r.name, 1, instr(r.name, '/') - 1) END,
           mr.child_digest
      FROM manifest_references mr JOIN repositories r ON r.id = mr.repository_id WHERE mr.kind = 'blob')
  GROUP BY project, digest;
INSERT INTO project_usage(project, used_storage, updated_at)
  SELECT pb.project, sum(b.size), CAST(strftime('%s', 'now') AS INTEGER) * 1000
  FROM project_blobs pb JOIN blobs b ON b.digest = pb.digest GROUP BY pb.project;
CREATE TABLE doomed_blobs (
  digest TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// V7: tag immutability rules, per project (the selectors as the API's JSON).
constexpr const char* kSchemaV7 = R"sql(
CREATE TABLE immutable_rules (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  priority INTEGER NOT NULL,
  disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),
  rule TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX immutable_rules_by_project ON immutable_rules(project_id);
)sql";

// V8: tag retention: a policy per project, its executions and their tasks (one per repository,
// with its log).
constexpr const char* kSchemaV8 = R"sql(
CREATE TABLE retention_policies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL UNIQUE REFERENCES projects(id) ON DELETE CASCADE,
  policy TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE retention_executions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  policy_id INTEGER NOT NULL REFERENCES retention_policies(id) ON DELETE CASCADE,
  job_id INTEGER,
  status TEXT NOT NULL,
  trigger_kind TEXT NOT NULL,
  dry_run INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
  started_at INTEGER NOT NULL,
  ended_at INTEGER
);
CREATE INDEX retention_executions_by_policy ON retention_executions(policy_id, id);
CREATE TABLE retention_tasks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  execution_id INTEGER NOT NULL REFERENCES retention_executions(id) ON DELETE CASCADE,
  repository TEXT NOT NULL,
  status TEXT NOT NULL,
  total INTEGER NOT NULL,
  retained INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  log TEXT NOT NULL
);
CREATE INDEX retention_tasks_by_execution ON retention_tasks(execution_id, id);
)sql";

// V9: the by-digest index of repository links covers linked_at, so garbage collection's "linked
// since the cutoff?" check reads the index alone instead of one table row per link (listing
// the 339,000 unreferenced blobs of the lifecycle benchmark: 2.9 s before, 1.0 s after).
constexpr const char* kSchemaV9 = R"sql(
DROP INDEX repository_blobs_by_digest;
CREATE INDEX repository_blobs_by_digest ON repository_blobs(digest, linked_at);
)sql";

// V10: holds on garbage collection (a backup copying blob files keeps them from deletion until
// it is done, or until the hold expires if the backup died).
constexpr const char* kSchemaV10 = R"sql(
CREATE TABLE gc_holds (
  holder TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// V11: replication: other registries (their secrets sealed), policies, executions and tasks.
constexpr const char* kSchemaV11 = R"sql(
CREATE TABLE registries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  url TEXT NOT NULL,
  description TEXT NOT NULL,
  credential_type TEXT NOT NULL,
  access_key TEXT NOT NULL,
  sealed_secret TEXT NOT NULL,
  insecure INTEGER NOT NULL CHECK (insecure IN (0, 1)),
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE replication_policies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  src_registry_id INTEGER NOT NULL,
  dest_registry_id INTEGER NOT NULL,
  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  policy TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE replication_executions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  policy_id INTEGER NOT NULL REFERENCES replication_policies(id) ON DELETE CASCADE,
  job_id INTEGER,
  status TEXT NOT NULL,
  status_text TEXT NOT NULL,
  trigger_kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  total INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  succeed INTEGER NOT NULL,
  in_progress INTEGER NOT NULL,
  stopped INTEGER NOT NULL
);
CREATE INDEX replication_executions_by_policy ON replication_executions(policy_id, id);
CREATE TABLE replication_tasks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  execution_id INTEGER NOT NULL REFERENCES replication_executions(id) ON DELETE CASCADE,
  resource_type TEXT NOT NULL,
  src_resource TEXT NOT NULL,
  dst_resource TEXT NOT NULL,
  operation TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  log TEXT NOT NULL
);
CREATE INDEX replication_tasks_by_execution ON replication_tasks(execution_id, id);
)sql";

// V12: webhooks: policies per project, their executions (one per event) and tasks (one per target).
constexpr const char* kSchemaV12 = R"sql(
CREATE TABLE webhook_policies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  policy TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
);
CREATE TABLE webhook_executions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  policy_id INTEGER NOT NULL REFERENCES webhook_policies(id) ON DELETE CASCADE,
  event_type TEXT NOT NULL,
  status TEXT NOT NULL,
  status_message TEXT NOT NULL,
  payload TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER
);
CREATE INDEX webhook_executions_by_policy ON webhook_executions(policy_id, id);
CREATE TABLE webhook_tasks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  execution_id INTEGER NOT NULL REFERENCES webhook_executions(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  payload_format TEXT NOT NULL,
  status TEXT NOT NULL,
  status_message TEXT NOT NULL,
  run_count INTEGER NOT NULL,
  status_code INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  log TEXT NOT NULL
);
CREATE INDEX webhook_tasks_by_execution ON webhook_tasks(execution_id, id);
)sql";

// Append new steps; never edit a released one.
constexpr const char* kMigrations[] = {kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4,  kSchemaV5,  kSchemaV6,
                                       kSchemaV7, kSchemaV8, kSchemaV9, kSchemaV10, kSchemaV11, kSchemaV12};

}  // namespace

std::span<const char* const> schema_migrations() {
  return kMigrations;
}

}  // namespace berth::meta::sqlite
