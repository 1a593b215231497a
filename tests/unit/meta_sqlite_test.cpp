// Tests of meta::Database's promises against the SQLite back end, one temp dir per test.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "meta/database.h"
#include "meta/sqlite.h"
#include "temp_dir.h"

namespace berth::meta {
namespace {

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

std::string digest_of(const std::string& seed) {
  std::string hex = std::to_string(std::hash<std::string>{}(seed));
  return "sha256:" + std::string(64 - std::min<std::size_t>(hex.size(), 64), '0') + hex;
}

ManifestRecord manifest(const std::string& repository, const std::string& seed, std::string subject = "") {
  ManifestRecord m;
  m.repository = repository;
  m.digest = digest_of(seed);
  m.media_type = "application/vnd.oci.image.manifest.v1+json";
  m.size = 1234;
  m.subject = std::move(subject);
  m.annotations_json = R"({"org.example":"x"})";
  m.created = std::chrono::system_clock::now();
  return m;
}

class MetaSqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::make_temp_dir("berth-meta");
    ASSERT_FALSE(dir_.empty());
    reopen();
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }

  std::string path() const { return (dir_ / "meta.db").string(); }

  void reopen() {
    db_.reset();
    auto opened = open_sqlite(path());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    db_ = std::move(opened->registry);
  }

  void put(const ManifestRecord& m, const std::string& tag = "", const ManifestReferences& refs = {}) {
    auto s = db_->put_manifest(m, refs, tag);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  Strings tags(const std::string& repository, Page page = {}) {
    auto r = db_->list_tags(repository, page);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : Strings{};
  }

  Strings repositories(Page page = {}) {
    auto r = db_->list_repositories(page);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : Strings{};
  }

  std::optional<std::int64_t> linked(const std::string& repository, const std::string& digest) {
    auto r = db_->linked_blob_size(repository, digest);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : std::nullopt;
  }

  fs::path dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(MetaSqliteTest, PutAndGetManifestWithTag) {
  auto m = manifest("library/app", "m1", digest_of("s"));
  m.artifact_type = "application/vnd.example";
  put(m, "latest");

  auto got = db_->get_manifest("library/app", m.digest);
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  const ManifestRecord& r = **got;
  EXPECT_EQ(r.repository, "library/app");
  EXPECT_EQ(r.digest, m.digest);
  EXPECT_EQ(r.media_type, m.media_type);
  EXPECT_EQ(r.artifact_type, "application/vnd.example");
  EXPECT_EQ(r.size, 1234);
  EXPECT_EQ(r.subject, m.subject);
  EXPECT_EQ(r.annotations_json, m.annotations_json);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(r.created.time_since_epoch()),
            std::chrono::duration_cast<std::chrono::milliseconds>(m.created.time_since_epoch()));

  auto tag = db_->resolve_tag("library/app", "latest");
  ASSERT_TRUE(tag.ok());
  EXPECT_EQ(tag->value_or(""), m.digest);
  EXPECT_TRUE(*db_->repository_exists("library/app"));
}

TEST_F(MetaSqliteTest, UnknownManifestTagAndRepositoryAreAbsentNotErrors) {
  put(manifest("a", "m1"));
  auto m = db_->get_manifest("a", digest_of("other"));
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->has_value());
  auto other_repo = db_->get_manifest("b", digest_of("m1"));
  ASSERT_TRUE(other_repo.ok());
  EXPECT_FALSE(other_repo->has_value());
  auto t = db_->resolve_tag("a", "nope");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->has_value());
  EXPECT_FALSE(*db_->repository_exists("b"));
  EXPECT_TRUE(db_->tags_of("b", digest_of("m1"))->empty());
}

TEST_F(MetaSqliteTest, EmptyManifestSubjectAndArtifactTypeReadBackEmpty) {
  auto m = manifest("a", "m1");
  m.annotations_json = "";
  put(m);
  auto got = db_->get_manifest("a", m.digest);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->subject, "");
  EXPECT_EQ((*got)->artifact_type, "");
  EXPECT_EQ((*got)->annotations_json, "");
}

TEST_F(MetaSqliteTest, PutManifestRecordsLinksAndClearsPendingItsOwnBlob) {
  auto m = manifest("a", "m1");
  ASSERT_TRUE(db_->begin_blob(m.digest).ok());
  put(m);
  EXPECT_EQ(db_->blob_size(m.digest)->value_or(-1), 1234);
  EXPECT_EQ(linked("a", m.digest).value_or(-1), 1234);
  EXPECT_FALSE(linked("b", m.digest).has_value());
  EXPECT_TRUE(db_->take_pending_blobs()->empty());
}

TEST_F(MetaSqliteTest, RePuttingTheSameDigestKeepsTheRowAndRetags) {
  auto m = manifest("a", "m1");
  m.created = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'000'000));
  put(m, "v1");
  auto again = m;
  again.created = std::chrono::system_clock::time_point(std::chrono::milliseconds(2'000'000));
  again.annotations_json = R"({"changed":"yes"})";
  put(again, "v2");

  auto got = db_->get_manifest("a", m.digest);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->created, m.created);
  EXPECT_EQ((*got)->annotations_json, m.annotations_json);
  EXPECT_EQ(*db_->tags_of("a", m.digest), (Strings{"v1", "v2"}));
}

TEST_F(MetaSqliteTest, RetaggingPointsTheTagAtTheNewManifest) {
  auto m1 = manifest("a", "m1");
  auto m2 = manifest("a", "m2");
  put(m1, "latest");
  put(m2, "latest");
  EXPECT_EQ(db_->resolve_tag("a", "latest")->value_or(""), m2.digest);
  EXPECT_TRUE(db_->tags_of("a", m1.digest)->empty());
  EXPECT_EQ(*db_->tags_of("a", m2.digest), Strings{"latest"});
  // The old manifest stays, untagged.
  EXPECT_TRUE(db_->get_manifest("a", m1.digest)->has_value());
  EXPECT_EQ(tags("a"), Strings{"latest"});
}

TEST_F(MetaSqliteTest, DeleteManifestRemovesItsTagsReferencesAndLink) {
  auto child = manifest("a", "child");
  auto m = manifest("a", "m1");
  auto other = manifest("a", "m2");
  put(child);
  ASSERT_TRUE(db_->commit_blob("a", digest_of("layer"), 10, "").ok());
  put(m, "v1", {{digest_of("layer")}, {child.digest}});
  put(m, "v2");
  put(other, "v3");

  ASSERT_TRUE(db_->delete_manifest("a", m.digest).ok());
  EXPECT_FALSE(db_->get_manifest("a", m.digest)->has_value());
  EXPECT_FALSE(db_->resolve_tag("a", "v1")->has_value());
  EXPECT_FALSE(db_->resolve_tag("a", "v2")->has_value());
  EXPECT_EQ(tags("a"), Strings{"v3"});
  EXPECT_FALSE(linked("a", m.digest).has_value());
  // Its layer stays linked: it was uploaded to the repository on its own.
  EXPECT_TRUE(linked("a", digest_of("layer")).has_value());
  EXPECT_TRUE(db_->get_manifest("a", child.digest)->has_value());

  auto again = db_->delete_manifest("a", m.digest);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, base::Errc::not_found);
  auto unknown_repo = db_->delete_manifest("nope", m.digest);
  ASSERT_FALSE(unknown_repo.ok());
  EXPECT_EQ(unknown_repo.error().code, base::Errc::not_found);
  EXPECT_TRUE(db_->integrity_check().ok());
}

// Accessories (signatures, SBOMs) are listed under their subject, left out of the artifact
// listing, and deleted with their subject, recursively, in one transaction.
TEST_F(MetaSqliteTest, AccessoriesFollowTheirSubject) {
  auto subject = manifest("a", "subject");
  auto signature = manifest("a", "sig");
  signature.accessory_of = subject.digest;
  signature.accessory_type = "signature.cosign";
  auto sbom = manifest("a", "sbom", subject.digest);
  sbom.accessory_of = subject.digest;
  sbom.accessory_type = "harbor.sbom";
  auto sbom_signature = manifest("a", "sbom-sig", sbom.digest);
  sbom_signature.accessory_of = sbom.digest;
  sbom_signature.accessory_type = "signature.cosign";
  auto other = manifest("a", "other");
  put(subject, "v1");
  put(signature, "sha256-" + subject.digest.substr(7) + ".sig");
  put(sbom);
  put(sbom_signature);
  put(other, "v2");

  ListQuery all;
  all.limit = 0;
  auto listed = db_->list_artifacts("a", all);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  EXPECT_EQ(listed->total, 2);
  Strings shown;
  for (const auto& artifact : listed->items) shown.push_back(artifact.manifest.digest);
  std::sort(shown.begin(), shown.end());
  Strings expected{subject.digest, other.digest};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(shown, expected);

  auto accessories = db_->list_accessories("a", subject.digest, all);
  ASSERT_TRUE(accessories.ok()) << accessories.error().message;
  ASSERT_EQ(accessories->total, 2);
  for (const auto& accessory : accessories->items) EXPECT_EQ(accessory.manifest.accessory_of, subject.digest);
  auto stored = db_->get_manifest("a", signature.digest);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->accessory_type, "signature.cosign");

  auto deleted = db_->delete_manifest("a", subject.digest);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  Strings gone = *deleted;
  EXPECT_EQ(gone.front(), subject.digest);
  std::sort(gone.begin(), gone.end());
  Strings doomed{subject.digest, signature.digest, sbom.digest, sbom_signature.digest};
  std::sort(doomed.begin(), doomed.end());
  EXPECT_EQ(gone, doomed);
  for (const auto& digest : doomed) EXPECT_FALSE(db_->get_manifest("a", digest)->has_value()) << digest;
  EXPECT_EQ(tags("a"), Strings{"v2"});
  EXPECT_TRUE(db_->get_manifest("a", other.digest)->has_value());
  EXPECT_TRUE(db_->integrity_check().ok());
}

// Pushed first by digest, then again under a cosign tag: the row becomes an accessory.
TEST_F(MetaSqliteTest, AManifestPushedAgainAsASignatureBecomesAnAccessory) {
  auto subject = manifest("a", "subject");
  auto signature = manifest("a", "sig");
  put(subject);
  put(signature);
  signature.accessory_of = subject.digest;
  signature.accessory_type = "signature.cosign";
  put(signature, "sha256-" + subject.digest.substr(7) + ".sig");
  auto stored = db_->get_manifest("a", signature.digest);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->accessory_of, subject.digest);
}

// A database written before accessories existed (schema v4) is classified on upgrade: its
// referrers by artifact type, its cosign tags by name.
// What schema v6 and later added, undone: a database as Berth left it before v6.
#define kUndoSchemaV6                                                                                    \
  "DROP INDEX repository_blobs_by_digest; CREATE INDEX repository_blobs_by_digest ON "                   \
  "repository_blobs(digest); "                                                                           \
  "ALTER TABLE repository_blobs DROP COLUMN linked_at; DROP TABLE quotas; DROP TABLE project_blobs; "    \
  "DROP TABLE project_usage; DROP TABLE doomed_blobs; DROP TABLE settings; DROP TABLE immutable_rules; " \
  "DROP TABLE retention_tasks; DROP TABLE retention_executions; DROP TABLE retention_policies; "         \
  "DROP TABLE gc_holds; DROP TABLE replication_tasks; DROP TABLE replication_executions; "               \
  "DROP TABLE replication_policies; DROP TABLE registries; DROP TABLE webhook_tasks; "                   \
  "DROP TABLE webhook_executions; DROP TABLE webhook_policies; "

TEST_F(MetaSqliteTest, TheUpgradeClassifiesExistingReferrersAndCosignTags) {
  auto subject = manifest("a", "subject");
  auto sbom = manifest("a", "sbom", subject.digest);
  sbom.artifact_type = "application/vnd.goharbor.harbor.sbom.v1";
  auto notation = manifest("a", "notation", subject.digest);
  notation.artifact_type = "application/vnd.cncf.notary.signature";
  auto other = manifest("a", "other", subject.digest);
  other.artifact_type = "application/vnd.example+json";
  auto signature = manifest("a", "sig");
  put(subject);
  put(sbom);
  put(notation);
  put(other);
  put(signature, "sha256-" + subject.digest.substr(7) + ".sig");
  db_.reset();
  // Back to schema v4, as an older Berth left it.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &raw), SQLITE_OK);
  char* error = nullptr;
  const int rc =
      sqlite3_exec(raw,
                   "DROP INDEX manifests_by_accessory; ALTER TABLE manifests DROP COLUMN accessory_of; "
                   "ALTER TABLE manifests DROP COLUMN accessory_type; DROP TABLE artifact_labels; "
                   "DROP TABLE labels; " kUndoSchemaV6 "PRAGMA user_version = 4;",
                   nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(raw);
  reopen();
  auto type_of = [&](const ManifestRecord& m) {
    auto stored = db_->get_manifest("a", m.digest);
    EXPECT_TRUE(stored.ok() && stored->has_value());
    return stored.ok() && stored->has_value() ? (*stored)->accessory_type + "|" + (*stored)->accessory_of
                                              : std::string();
  };
  EXPECT_EQ(type_of(subject), "|");
  EXPECT_EQ(type_of(sbom), "harbor.sbom|" + subject.digest);
  EXPECT_EQ(type_of(notation), "signature.notation|" + subject.digest);
  EXPECT_EQ(type_of(other), "subject.accessory|" + subject.digest);
  EXPECT_EQ(type_of(signature), "signature.cosign|" + subject.digest);
}

TEST_F(MetaSqliteTest, DeleteTagKeepsTheManifest) {
  auto m = manifest("a", "m1");
  put(m, "v1");
  put(m, "v2");
  ASSERT_TRUE(db_->delete_tag("a", "v1").ok());
  EXPECT_FALSE(db_->resolve_tag("a", "v1")->has_value());
  EXPECT_TRUE(db_->get_manifest("a", m.digest)->has_value());
  EXPECT_EQ(*db_->tags_of("a", m.digest), Strings{"v2"});

  auto again = db_->delete_tag("a", "v1");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, base::Errc::not_found);
  EXPECT_EQ(db_->delete_tag("nope", "v2").error().code, base::Errc::not_found);
}

TEST_F(MetaSqliteTest, ListTagsIsLexicalByteOrderWithPaging) {
  auto m = manifest("a", "m1");
  for (const char* t : {"v1.9", "latest", "v1.10", "Z", "a", "_x", "v2"}) put(m, t);
  const Strings all{"Z", "_x", "a", "latest", "v1.10", "v1.9", "v2"};
  EXPECT_EQ(tags("a"), all);

  EXPECT_EQ(tags("a", {.last = std::nullopt, .limit = 3}), (Strings{"Z", "_x", "a"}));
  EXPECT_EQ(tags("a", {.last = "a", .limit = 3}), (Strings{"latest", "v1.10", "v1.9"}));
  EXPECT_EQ(tags("a", {.last = "v1.9", .limit = 3}), Strings{"v2"});
  EXPECT_EQ(tags("a", {.last = "v2", .limit = 3}), Strings{});
  EXPECT_EQ(tags("a", {.last = "b", .limit = std::nullopt}), (Strings{"latest", "v1.10", "v1.9", "v2"}));
  // `last` need not be an existing tag.
  EXPECT_EQ(tags("a", {.last = "m", .limit = 1}), Strings{"v1.10"});
  EXPECT_EQ(tags("a", {.last = std::nullopt, .limit = 0}), Strings{});

  // Walking pages of two returns every tag exactly once.
  Strings walked;
  Page page{.last = std::nullopt, .limit = 2};
  for (;;) {
    Strings chunk = tags("a", page);
    if (chunk.empty()) break;
    walked.insert(walked.end(), chunk.begin(), chunk.end());
    page.last = chunk.back();
  }
  EXPECT_EQ(walked, all);
}

TEST_F(MetaSqliteTest, ListTagsOfUnknownRepositoryIsNotFoundButEmptyRepositoryIsEmpty) {
  auto r = db_->list_tags("nope", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::not_found);

  put(manifest("untagged", "m1"));
  auto empty = db_->list_tags("untagged", {});
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_TRUE(empty->empty());

  ASSERT_TRUE(db_->commit_blob("mounted", digest_of("l"), 1, "").ok());
  EXPECT_TRUE(db_->list_tags("mounted", {})->empty());
}

TEST_F(MetaSqliteTest, TagsAreScopedToTheirRepository) {
  put(manifest("a", "m1"), "latest");
  put(manifest("b", "m2"), "stable");
  EXPECT_EQ(tags("a"), Strings{"latest"});
  EXPECT_EQ(tags("b"), Strings{"stable"});
  EXPECT_FALSE(db_->resolve_tag("b", "latest")->has_value());
}

TEST_F(MetaSqliteTest, ListRepositoriesIsLexicalWithPaging) {
  EXPECT_TRUE(repositories().empty());
  for (const char* r : {"b/x", "a", "library/app", "B", "a/b"}) put(manifest(r, "m"));
  EXPECT_EQ(repositories(), (Strings{"B", "a", "a/b", "b/x", "library/app"}));
  EXPECT_EQ(repositories({.last = std::nullopt, .limit = 2}), (Strings{"B", "a"}));
  EXPECT_EQ(repositories({.last = "a", .limit = 2}), (Strings{"a/b", "b/x"}));
  EXPECT_EQ(repositories({.last = "b/x", .limit = 2}), Strings{"library/app"});
  EXPECT_EQ(repositories({.last = "library/app", .limit = 2}), Strings{});
}

TEST_F(MetaSqliteTest, RepositoriesAreCreatedByPushOrMountOnly) {
  ASSERT_TRUE(db_->create_upload({"u1", "uploading", std::chrono::system_clock::now()}).ok());
  ASSERT_TRUE(db_->begin_blob(digest_of("x")).ok());
  EXPECT_FALSE(*db_->repository_exists("uploading"));
  ASSERT_TRUE(db_->add_blob(digest_of("x"), 3).ok());
  ASSERT_TRUE(db_->link_blob("mounted", digest_of("x")).ok());
  EXPECT_TRUE(*db_->repository_exists("mounted"));
  EXPECT_EQ(repositories(), Strings{"mounted"});
  // A failed mount creates nothing (the transaction is whole or nothing).
  EXPECT_EQ(db_->link_blob("failed", digest_of("unknown")).error().code, base::Errc::not_found);
  EXPECT_FALSE(*db_->repository_exists("failed"));
}

TEST_F(MetaSqliteTest, ReferrersBySubject) {
  auto subject = manifest("a", "subject");
  put(subject, "v1");
  auto sig = manifest("a", "signature", subject.digest);
  sig.artifact_type = "application/vnd.dev.cosign";
  sig.created = std::chrono::system_clock::time_point(std::chrono::milliseconds(2000));
  auto sbom = manifest("a", "sbom", subject.digest);
  sbom.created = std::chrono::system_clock::time_point(std::chrono::milliseconds(1000));
  put(sig);
  put(sbom);
  put(manifest("b", "elsewhere", subject.digest));  // other repository: not a referrer in a
  put(manifest("a", "unrelated"));

  auto r = db_->referrers("a", subject.digest);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].digest, sbom.digest);
  EXPECT_EQ((*r)[1].digest, sig.digest);
  EXPECT_EQ((*r)[1].artifact_type, "application/vnd.dev.cosign");
  EXPECT_EQ((*r)[1].subject, subject.digest);
  EXPECT_TRUE(db_->referrers("a", digest_of("none"))->empty());
  EXPECT_TRUE(db_->referrers("nope", subject.digest)->empty());
  // A referrer may be pushed before its subject.
  put(manifest("c", "early", digest_of("later")));
  EXPECT_EQ(db_->referrers("c", digest_of("later"))->size(), 1u);
}

TEST_F(MetaSqliteTest, MissingReferences) {
  auto child = manifest("a", "child");
  put(child);
  ASSERT_TRUE(db_->commit_blob("a", digest_of("config"), 5, "").ok());
  ASSERT_TRUE(db_->commit_blob("b", digest_of("layer-in-b"), 5, "").ok());
  put(manifest("b", "child-in-b"));

  ManifestReferences refs{
      {digest_of("config"), digest_of("layer-in-b"), digest_of("never"), digest_of("never")},
      {child.digest, digest_of("child-in-b")}};
  auto missing = db_->missing_references("a", refs);
  ASSERT_TRUE(missing.ok()) << missing.error().message;
  EXPECT_EQ(missing->blobs, (Strings{digest_of("layer-in-b"), digest_of("never")}));
  EXPECT_EQ(missing->manifests, Strings{digest_of("child-in-b")});

  // A stored manifest's own digest counts as a linked blob of its repository.
  auto as_blob = db_->missing_references("a", {{child.digest}, {}});
  ASSERT_TRUE(as_blob.ok());
  EXPECT_TRUE(as_blob->blobs.empty());

  auto unknown = db_->missing_references("nope", {{digest_of("config")}, {child.digest}});
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->blobs, Strings{digest_of("config")});
  EXPECT_EQ(unknown->manifests, Strings{child.digest});

  auto none = db_->missing_references("a", {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->blobs.empty() && none->manifests.empty());
}

TEST_F(MetaSqliteTest, BlobLinksAreScopedToRepositories) {
  const std::string d = digest_of("layer");
  ASSERT_TRUE(db_->commit_blob("a", d, 42, "").ok());
  EXPECT_EQ(linked("a", d).value_or(-1), 42);
  EXPECT_FALSE(linked("b", d).has_value());
  EXPECT_EQ(db_->blob_size(d)->value_or(-1), 42);

  ASSERT_TRUE(db_->link_blob("b", d).ok());
  ASSERT_TRUE(db_->link_blob("b", d).ok());  // idempotent
  EXPECT_EQ(linked("b", d).value_or(-1), 42);

  ASSERT_TRUE(db_->unlink_blob("a", d).ok());
  EXPECT_FALSE(linked("a", d).has_value());
  EXPECT_EQ(linked("b", d).value_or(-1), 42);
  EXPECT_EQ(db_->unlink_blob("a", d).error().code, base::Errc::not_found);
  EXPECT_EQ(db_->unlink_blob("nope", d).error().code, base::Errc::not_found);

  auto unknown = db_->link_blob("a", digest_of("unknown"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, base::Errc::not_found);
  EXPECT_FALSE(db_->blob_size(digest_of("unknown"))->has_value());
}

TEST_F(MetaSqliteTest, CommitBlobClearsPendingEntryAndUpload) {
  const std::string d = digest_of("layer");
  ASSERT_TRUE(db_->create_upload({"u1", "a", std::chrono::system_clock::now()}).ok());
  ASSERT_TRUE(db_->create_upload({"u2", "a", std::chrono::system_clock::now()}).ok());
  ASSERT_TRUE(db_->begin_blob(d).ok());
  ASSERT_TRUE(db_->commit_blob("a", d, 7, "u1").ok());
  EXPECT_FALSE(db_->get_upload("u1")->has_value());
  EXPECT_TRUE(db_->get_upload("u2")->has_value());
  EXPECT_TRUE(db_->take_pending_blobs()->empty());
  // Committing again (same content pushed twice) is harmless.
  ASSERT_TRUE(db_->commit_blob("a", d, 7, "").ok());
  EXPECT_EQ(linked("a", d).value_or(-1), 7);
}

TEST_F(MetaSqliteTest, PendingBlobLifecycle) {
  ASSERT_TRUE(db_->begin_blob(digest_of("b")).ok());
  ASSERT_TRUE(db_->begin_blob(digest_of("a")).ok());
  ASSERT_TRUE(db_->begin_blob(digest_of("a")).ok());  // already pending: ignored
  auto pending = db_->take_pending_blobs();
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  Strings expected{digest_of("a"), digest_of("b")};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*pending, expected);
  EXPECT_TRUE(db_->take_pending_blobs()->empty());

  // Recovery registers the one whose file exists; add_blob is idempotent.
  ASSERT_TRUE(db_->add_blob(digest_of("a"), 9).ok());
  ASSERT_TRUE(db_->add_blob(digest_of("a"), 9).ok());
  EXPECT_EQ(db_->blob_size(digest_of("a"))->value_or(-1), 9);
  EXPECT_FALSE(linked("x", digest_of("a")).has_value());
  EXPECT_FALSE(*db_->repository_exists("x"));
}

TEST_F(MetaSqliteTest, PendingBlobsSurviveRestart) {
  ASSERT_TRUE(db_->begin_blob(digest_of("a")).ok());
  reopen();
  EXPECT_EQ(*db_->take_pending_blobs(), Strings{digest_of("a")});
}

TEST_F(MetaSqliteTest, AllBlobsListsEveryRecordedBlob) {
  ASSERT_TRUE(db_->add_blob(digest_of("x"), 1).ok());
  ASSERT_TRUE(db_->commit_blob("a", digest_of("y"), 2, "").ok());
  auto m = manifest("a", "m");
  put(m);
  auto all = db_->all_blobs();
  ASSERT_TRUE(all.ok()) << all.error().message;
  std::vector<std::pair<std::string, std::int64_t>> expected{
      {digest_of("x"), 1}, {digest_of("y"), 2}, {m.digest, 1234}};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*all, expected);
}

// Usage counts each blob once per project, changes with the manifest writes and deletes that
// cause it, and verify_usage recomputes it from scratch.
TEST_F(MetaSqliteTest, UsageCountsEachBlobOncePerProjectAndVerifies) {
  auto usage = [&](const std::string& project) { return db_->project_storage(project)->used; };
  ASSERT_TRUE(db_->commit_blob("p/a", digest_of("layer"), 1000, "").ok());
  ASSERT_TRUE(db_->commit_blob("p/a", digest_of("config"), 10, "").ok());
  EXPECT_EQ(usage("p"), 0) << "blobs count once a manifest uses them";
  put(manifest("p/a", "one"), "v1", {{digest_of("layer"), digest_of("config")}, {}});
  EXPECT_EQ(usage("p"), 1000 + 10 + 1234);
  put(manifest("p/a", "one"), "again", {{digest_of("layer"), digest_of("config")}, {}});
  EXPECT_EQ(usage("p"), 2244) << "a retag adds nothing";
  ASSERT_TRUE(db_->link_blob("p/b", digest_of("layer")).ok());
  ASSERT_TRUE(db_->link_blob("p/b", digest_of("config")).ok());
  put(manifest("p/b", "one"), "", {{digest_of("layer"), digest_of("config")}, {}});
  EXPECT_EQ(usage("p"), 2244) << "the same content in another repository of the project";
  ASSERT_TRUE(db_->link_blob("q/c", digest_of("layer")).ok());
  put(manifest("q/c", "two"), "", {{digest_of("layer")}, {}});
  EXPECT_EQ(usage("q"), 1000 + 1234) << "another project pays for its own copy";
  EXPECT_EQ(*db_->registry_storage(), 2244 + 2234);
  EXPECT_TRUE(db_->verify_usage()->empty());

  ASSERT_TRUE(db_->delete_manifest("p/a", digest_of("one")).ok());
  EXPECT_EQ(usage("p"), 2244) << "p/b still uses everything";
  ASSERT_TRUE(db_->delete_repository("p/b").ok());
  EXPECT_EQ(usage("p"), 0);
  EXPECT_EQ(usage("q"), 2234);
  auto problems = db_->verify_usage();
  ASSERT_TRUE(problems.ok()) << problems.error().message;
  EXPECT_TRUE(problems->empty()) << problems->front();

  // An accounting gone wrong is reported.
  db_.reset();
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE project_usage SET used_storage = 7 WHERE project = 'q'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  reopen();
  auto found = db_->verify_usage();
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front(), "project q uses 2234 bytes, recorded 7");
}

TEST_F(MetaSqliteTest, TheUpgradeToSchema6CountsWhatIsStored) {
  ASSERT_TRUE(db_->commit_blob("p/a", digest_of("layer"), 1000, "").ok());
  put(manifest("p/a", "one"), "v1", {{digest_of("layer")}, {}});
  ASSERT_TRUE(db_->link_blob("p/b", digest_of("layer")).ok());
  put(manifest("p/b", "two"), "v1", {{digest_of("layer")}, {}});
  db_.reset();
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &raw), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(raw, kUndoSchemaV6 "PRAGMA user_version = 5;", nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(raw);
  reopen();
  EXPECT_EQ(db_->project_storage("p")->used, 1000 + 1234 + 1234);
  EXPECT_TRUE(db_->verify_usage()->empty());
}

// Garbage collection's view: a blob is collectable once no manifest is stored under it or
// references it, no commit is pending, and its row and every link are older than the cutoff.
TEST_F(MetaSqliteTest, GcCandidatesAreUnusedUnpendingAndOlderThanTheCutoff) {
  ASSERT_TRUE(db_->add_blob(digest_of("orphan"), 1).ok());
  ASSERT_TRUE(db_->commit_blob("a", digest_of("linked"), 2, "").ok());
  ASSERT_TRUE(db_->add_blob(digest_of("pending"), 3).ok());
  ASSERT_TRUE(db_->begin_blob(digest_of("pending")).ok());
  ASSERT_TRUE(db_->commit_blob("a", digest_of("used"), 4, "").ok());
  put(manifest("a", "m"), "", {{digest_of("used")}, {}});
  ASSERT_TRUE(db_->unlink_blob("a", digest_of("used")).ok());  // still used by the manifest
  ASSERT_TRUE(db_->commit_blob("a", digest_of("unlinked"), 5, "").ok());
  ASSERT_TRUE(db_->unlink_blob("a", digest_of("unlinked")).ok());

  // Every write above is strictly older than `now`, every write below strictly younger.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto now = std::chrono::system_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto young = db_->gc_candidates(now - std::chrono::hours(1), "", 100);
  ASSERT_TRUE(young.ok()) << young.error().message;
  EXPECT_TRUE(young->empty()) << "everything was just written";

  const auto later = now + std::chrono::minutes(1);
  auto listed = db_->gc_candidates(later, "", 100);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  Strings candidates;
  for (const auto& c : *listed) candidates.push_back(c.digest);
  Strings expected{digest_of("orphan"), digest_of("linked"), digest_of("unlinked")};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(candidates, expected);
  auto paged = db_->gc_candidates(later, expected[0], 1);
  ASSERT_TRUE(paged.ok());
  ASSERT_EQ(paged->size(), 1u);
  EXPECT_EQ(paged->front().digest, expected[1]);

  // Dooming decides again: a blob linked since the listing (young again) is spared; paged
  // like the listing.
  ASSERT_TRUE(db_->link_blob("b", digest_of("linked")).ok());
  Strings expected_gone{digest_of("orphan"), digest_of("unlinked")};
  std::sort(expected_gone.begin(), expected_gone.end());
  Strings gone;
  for (;;) {
    auto doomed = db_->doom_blobs(now, gone.empty() ? "" : gone.back(), 1);
    ASSERT_TRUE(doomed.ok()) << doomed.error().message;
    if (doomed->empty()) break;
    ASSERT_EQ(doomed->size(), 1u);
    if (doomed->front().digest == digest_of("unlinked")) {
      EXPECT_TRUE(doomed->front().repositories.empty());  // its only link was removed
    }
    gone.push_back(doomed->front().digest);
  }
  EXPECT_EQ(gone, expected_gone);
  EXPECT_FALSE(db_->blob_size(digest_of("orphan"))->has_value());
  EXPECT_TRUE(db_->blob_size(digest_of("linked"))->has_value());
  EXPECT_TRUE(db_->blob_size(digest_of("used"))->has_value());
  EXPECT_TRUE(db_->blob_size(digest_of("m"))->has_value());

  // While doomed, the digest cannot be stored again; once its file is gone, it can.
  auto busy = db_->begin_blob(digest_of("orphan"));
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code, base::Errc::conflict);
  EXPECT_EQ(*db_->doomed_blobs(), expected_gone);
  ASSERT_TRUE(db_->forget_doomed(gone).ok());
  EXPECT_TRUE(db_->doomed_blobs()->empty());
  EXPECT_TRUE(db_->begin_blob(digest_of("orphan")).ok());

  // Once the manifest is gone, it and its layer become garbage.
  ASSERT_TRUE(db_->delete_manifest("a", digest_of("m")).ok());
  auto after = db_->gc_candidates(later, "", 100);
  ASSERT_TRUE(after.ok());
  Strings after_digests;
  for (const auto& c : *after) after_digests.push_back(c.digest);
  EXPECT_NE(std::find(after_digests.begin(), after_digests.end(), digest_of("m")), after_digests.end());
  EXPECT_NE(std::find(after_digests.begin(), after_digests.end(), digest_of("used")), after_digests.end());
  EXPECT_TRUE(db_->integrity_check().ok());
}

TEST_F(MetaSqliteTest, AHoldKeepsGarbageCollectionFromDoomingUntilReleasedOrExpired) {
  ASSERT_TRUE(db_->add_blob(digest_of("a"), 1).ok());
  ASSERT_TRUE(db_->add_blob(digest_of("b"), 1).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto now = std::chrono::system_clock::now();
  ASSERT_TRUE(db_->hold_blobs("backup x", now + std::chrono::minutes(5)).ok());
  auto held = db_->doom_blobs(now, "", 1);
  ASSERT_FALSE(held.ok());
  EXPECT_EQ(held.error().code, base::Errc::conflict);
  EXPECT_NE(held.error().message.find("backup x"), std::string::npos) << held.error().message;
  EXPECT_TRUE(db_->doomed_blobs()->empty()) << "nothing was doomed under the hold";
  EXPECT_TRUE(db_->blob_size(digest_of("a"))->has_value());

  ASSERT_TRUE(db_->release_blobs("backup x").ok());
  auto doomed = db_->doom_blobs(now, "", 1);
  ASSERT_TRUE(doomed.ok()) << doomed.error().message;
  EXPECT_EQ(doomed->size(), 1u);

  // A hold whose holder died ends by itself.
  ASSERT_TRUE(db_->hold_blobs("backup y", std::chrono::system_clock::now() - std::chrono::seconds(1)).ok());
  auto expired = db_->doom_blobs(now, doomed->front().digest, 1);
  ASSERT_TRUE(expired.ok()) << expired.error().message;
  EXPECT_EQ(expired->size(), 1u);
}

TEST_F(MetaSqliteTest, SnapshotWritesAConsistentSelfContainedCopyAndListsItsBlobs) {
  ASSERT_TRUE(db_->commit_blob("a", digest_of("layer"), 3, "").ok());
  put(manifest("a", "m"), "v1", {{digest_of("layer")}, {}});
  const std::string copy = (dir_ / "copy.db").string();
  Strings listed;
  auto taken = db_->snapshot(copy, [&](const std::string& digest, std::int64_t) {
    listed.push_back(digest);
    // Writes after the copy began are not in it.
    return db_->add_blob(digest_of("later" + digest), 1);
  });
  ASSERT_TRUE(taken.ok()) << taken.error().message;
  Strings expected{digest_of("layer"), digest_of("m")};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(listed, expected);
  EXPECT_FALSE(fs::exists(copy + "-wal")) << "the copy is one file";
  auto opened = open_sqlite(copy);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened->registry->list_tags("a", {}), Strings{"v1"});
  EXPECT_EQ(opened->registry->all_blobs()->size(), 2u);
  EXPECT_TRUE(opened->registry->integrity_check().ok());

  auto again = db_->snapshot(copy, [](const std::string&, std::int64_t) { return base::ok_status(); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, base::Errc::already_exists);
}

TEST_F(MetaSqliteTest, Uploads) {
  using std::chrono::milliseconds;
  const TimePoint t0(milliseconds(1'700'000'000'000));
  ASSERT_TRUE(db_->create_upload({"u-old", "a", t0}).ok());
  ASSERT_TRUE(db_->create_upload({"u-mid", "b", t0 + milliseconds(10)}).ok());
  ASSERT_TRUE(db_->create_upload({"u-new", "a", t0 + milliseconds(20)}).ok());

  auto dup = db_->create_upload({"u-old", "a", t0});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, base::Errc::already_exists);

  auto got = db_->get_upload("u-mid");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->id, "u-mid");
  EXPECT_EQ((*got)->repository, "b");
  EXPECT_EQ((*got)->started, t0 + milliseconds(10));
  EXPECT_FALSE(db_->get_upload("nope")->has_value());

  auto before = db_->uploads_started_before(t0 + milliseconds(20));
  ASSERT_TRUE(before.ok()) << before.error().message;
  ASSERT_EQ(before->size(), 2u);
  EXPECT_EQ((*before)[0].id, "u-old");
  EXPECT_EQ((*before)[1].id, "u-mid");
  EXPECT_TRUE(db_->uploads_started_before(t0)->empty());

  ASSERT_TRUE(db_->delete_upload("u-old").ok());
  EXPECT_FALSE(db_->get_upload("u-old")->has_value());
  EXPECT_TRUE(db_->delete_upload("u-old").ok());  // idempotent
  EXPECT_EQ(db_->uploads_started_before(t0 + milliseconds(100))->size(), 2u);
}

TEST_F(MetaSqliteTest, PutManifestWithMissingReferencesWritesNothing) {
  ASSERT_TRUE(db_->commit_blob("library/app", digest_of("config"), 2, "").ok());
  auto m = manifest("library/app", "m1");
  auto refused = db_->put_manifest(m, {{digest_of("config"), digest_of("absent layer")}, {}}, "latest");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, base::Errc::not_found);
  EXPECT_NE(refused.error().message.find(digest_of("absent layer")), std::string::npos)
      << refused.error().message;
  auto child = db_->put_manifest(m, {{}, {digest_of("absent child")}}, "latest");
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.error().code, base::Errc::not_found);
  EXPECT_FALSE(db_->resolve_tag("library/app", "latest")->has_value());
  EXPECT_FALSE(db_->get_manifest("library/app", m.digest)->has_value());
}

TEST_F(MetaSqliteTest, ReopeningKeepsTheData) {
  auto m = manifest("library/app", "m1");
  ASSERT_TRUE(db_->commit_blob("library/app", digest_of("layer"), 99, "").ok());
  put(m, "latest", {{digest_of("layer")}, {}});
  ASSERT_TRUE(db_->create_upload({"u1", "library/app", std::chrono::system_clock::now()}).ok());

  reopen();
  EXPECT_EQ(db_->resolve_tag("library/app", "latest")->value_or(""), m.digest);
  EXPECT_TRUE(db_->get_manifest("library/app", m.digest)->has_value());
  EXPECT_EQ(linked("library/app", digest_of("layer")).value_or(-1), 99);
  EXPECT_TRUE(db_->get_upload("u1")->has_value());
  EXPECT_EQ(repositories(), Strings{"library/app"});
  // And it stays writable.
  put(manifest("library/app", "m2"), "next");
  EXPECT_EQ(tags("library/app"), (Strings{"latest", "next"}));
}

TEST_F(MetaSqliteTest, ConcurrentWritersAndReadersAllLand) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::atomic<int> failures{0};
  std::atomic<bool> writing{true};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        auto m = manifest("repo" + std::to_string(t % 3), "m" + id);
        if (!db_->put_manifest(m, {}, "tag" + id).ok()) ++failures;
      }
    });
  }
  // Readers run alongside the writers and must never fail.
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      while (writing) {
        if (!db_->list_repositories({}).ok() || !db_->check().ok()) ++failures;
        auto t = db_->list_tags("repo0", {});
        if (!t.ok() && t.error().code != base::Errc::not_found) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  writing = false;
  for (auto& th : readers) th.join();

  EXPECT_EQ(failures.load(), 0);
  std::size_t total = 0;
  for (int r = 0; r < 3; ++r) total += tags("repo" + std::to_string(r)).size();
  EXPECT_EQ(total, static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(db_->all_blobs()->size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_TRUE(db_->integrity_check().ok());
}

TEST_F(MetaSqliteTest, CheckAndIntegrityCheckPass) {
  put(manifest("a", "m"), "v1");
  auto c = db_->check();
  EXPECT_TRUE(c.ok()) << c.error().message;
  auto i = db_->integrity_check();
  EXPECT_TRUE(i.ok()) << i.error().message;
}

TEST_F(MetaSqliteTest, OpeningAFileThatIsNotADatabaseIsCorrupt) {
  db_.reset();
  std::string garbage = (dir_ / "garbage.db").string();
  {
    std::ofstream out(garbage, std::ios::binary);
    out << std::string(8192, 'x');
  }
  auto r = open_sqlite(garbage);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::corrupt) << r.error().message;
}

TEST_F(MetaSqliteTest, OpeningInAMissingDirectoryIsAnIoError) {
  auto r = open_sqlite((dir_ / "no" / "such" / "meta.db").string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::io_error) << r.error().message;
}

TEST_F(MetaSqliteTest, SchemaFromANewerBuildIsRejected) {
  db_.reset();
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "PRAGMA user_version = 1000", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  auto r = open_sqlite(path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::unsupported) << r.error().message;
}

}  // namespace
}  // namespace berth::meta
