// Harbor's listing language (api/rest/query_syntax.h: `q` and `sort`) through the SQL it becomes
// (meta/sqlite_query.h) on a real SQLite metadata database, for every listing that takes it.
// Input: q, then optionally a newline and sort.
// Checks: a listing answers rows or invalid_argument (a field, kind or value it does not take),
// never another error: SQLite refusing the SQL built from a query would be a bug.
#include <chrono>
#include <functional>

#include "api/rest/query_syntax.h"
#include "fuzz_support.h"
#include "meta/sqlite.h"

namespace {

using namespace berth;

meta::SqliteMetadata& metadata() {
  static meta::SqliteMetadata db = [] {
    auto opened = meta::open_sqlite((fuzz::scratch_dir() / "meta.db").string());
    if (!opened) {
      std::fprintf(stderr, "query_fuzz: %s\n", opened.error().message.c_str());
      std::abort();
    }
    // One row in each listing, so that conditions and orders are evaluated, not only prepared.
    meta::User user;
    user.username = "admin";
    user.email = "admin@example.com";
    user.password_hash = "$argon2id$v=19$m=7168,t=5,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
    user.sysadmin = true;
    auto user_id = opened->iam->create_user(user);
    meta::Project project;
    project.name = "library";
    project.owner_id = user_id ? *user_id : 1;
    project.metadata["public"] = "true";
    (void)opened->iam->create_project(project);
    meta::ManifestRecord manifest;
    manifest.repository = "library/app";
    manifest.digest = "sha256:" + std::string(64, 'a');
    manifest.media_type = "application/vnd.oci.image.manifest.v1+json";
    manifest.size = 2;
    manifest.created = std::chrono::system_clock::now();
    if (auto put = opened->registry->put_manifest(manifest, {}, "latest"); !put) {
      std::fprintf(stderr, "query_fuzz: %s\n", put.error().message.c_str());
      std::abort();
    }
    return std::move(*opened);
  }();
  return db;
}

template <class Listing>
void check_listing(const base::Result<Listing>& listing) {
  if (listing) {
    FUZZ_CHECK(listing->total >= 0);
    return;
  }
  if (listing.error().code != base::Errc::invalid_argument) {
    std::fprintf(stderr, "listing failed: %s\n", listing.error().message.c_str());
    FUZZ_CHECK(listing.error().code == base::Errc::invalid_argument);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_logs();
  (void)metadata();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [q, sort] = fuzz::split_once(fuzz::as_text(data, size), '\n');
  meta::ListQuery query;
  auto filters = api::rest::parse_q(q);
  if (!filters) {
    FUZZ_CHECK(!filters.error().empty());
    return 0;
  }
  query.filters = std::move(*filters);
  if (!sort.empty()) {
    auto key = api::rest::parse_sort(sort);
    if (!key) return 0;
    query.sort = std::move(*key);
  }
  auto& db = metadata();
  check_listing(db.iam->list_users(query));
  check_listing(db.iam->list_projects(query, std::nullopt, false));
  check_listing(db.iam->list_projects(query, 1, true));
  check_listing(db.iam->list_members(1, query));
  check_listing(db.iam->list_robots(query));
  check_listing(db.iam->list_audit(query));
  check_listing(db.jobs->list_jobs(query));
  check_listing(db.registry->list_repository_summaries("library", query));
  check_listing(db.registry->list_artifacts("library/app", query));
  return 0;
}
