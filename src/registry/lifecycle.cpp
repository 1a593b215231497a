// Registry's storage lifecycle: the quota and storage-cap checks of a push, the events they
// raise, and online garbage collection (the protocol is on the architecture page).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <future>
#include <thread>

#include "base/log.h"
#include "registry/registry.h"

namespace berth::registry {

using oci::ErrorCode;
using oci::make_error;

namespace {

constexpr std::size_t kGcBatch = 8192;  // blobs doomed per transaction (and then removed)

oci::Error internal(std::string_view what, const base::Error& error) {
  BERTH_LOG_ERROR("{}: {}", what, error.message);
  return make_error(ErrorCode::internal, std::string(what));
}

std::string link_key(const std::string& repository, const std::string& digest) {
  return repository + '@' + digest;
}

// Sizes as Harbor writes them in quota messages: binary units, one decimal ("1.5 MiB").
std::string human_size(std::int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes < 0 ? 0 : bytes);
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  if (unit == 0)
    std::snprintf(text, sizeof text, "%lld B", static_cast<long long>(bytes < 0 ? 0 : bytes));
  else
    std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
  return text;
}

}  // namespace

void Registry::set_storage_cap(std::int64_t bytes, const std::string& plan) {
  {
    std::lock_guard lock(plan_mutex_);
    storage_cap_ = bytes;
    plan_ = plan;
  }
  meta_.set_storage_cap(bytes);
}

Status Registry::begin_blob(const std::string& digest) {
  // Garbage collection removes a doomed file right after dooming it; a batch takes
  // milliseconds, so a push that wants the same digest waits that long.
  constexpr auto kPatience = std::chrono::seconds(30);
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  auto delay = std::chrono::milliseconds(2);
  for (;;) {
    auto pending = meta_.begin_blob(digest);
    if (pending) return {};
    if (pending.error().code != base::Errc::conflict || std::chrono::steady_clock::now() >= deadline)
      return internal("recording a blob failed", pending.error());
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(50));
  }
}

Status Registry::check_blob_headroom(const std::string& repository, const oci::Digest& digest,
                                     std::uint64_t size) {
  std::int64_t cap = -1;
  std::string plan;
  {
    std::lock_guard lock(plan_mutex_);
    cap = storage_cap_;
    plan = plan_;
  }
  const std::string project(repository.substr(0, repository.find('/')));
  auto usage = meta_.project_storage(project);
  if (!usage) return internal("reading the project's storage usage failed", usage.error());
  if (usage->hard < 0 && cap < 0) return {};
  auto used = meta_.project_uses(project, digest.str());
  if (!used) return internal("reading the project's storage usage failed", used.error());
  if (*used) return {};  // counted already: storing it again adds nothing
  meta::StorageOutcome outcome;
  outcome.project = project;
  outcome.added = static_cast<std::int64_t>(size);
  outcome.used = usage->used;
  outcome.hard = usage->hard;
  outcome.registry_cap = cap;
  if (usage->hard >= 0 && usage->used + outcome.added > usage->hard) {
    outcome.refused = meta::StorageOutcome::Refusal::project_quota;
  } else if (cap >= 0) {
    auto total = meta_.registry_storage();
    if (!total) return internal("reading the registry's storage usage failed", total.error());
    outcome.registry_used = *total;
    if (*total + outcome.added > cap) outcome.refused = meta::StorageOutcome::Refusal::registry_cap;
  }
  if (outcome.refused == meta::StorageOutcome::Refusal::none) return {};
  return report_storage(repository, digest.str(), outcome, true);
}

Status Registry::report_storage(const std::string& repository, const std::string& digest,
                                const meta::StorageOutcome& outcome, bool refused) {
  auto emit = [&](StorageEvent::Kind kind, const std::string& message) {
    if (options_.on_storage_event)
      options_.on_storage_event(StorageEvent{kind, repository, outcome.project, digest, message});
  };
  if (refused) {
    std::string message;
    if (outcome.refused == meta::StorageOutcome::Refusal::registry_cap) {
      std::string plan;
      {
        std::lock_guard lock(plan_mutex_);
        plan = plan_;
      }
      message = "the registry's plan " + plan + " allows " + human_size(outcome.registry_cap) +
                " of storage and " + human_size(outcome.registry_used) + " are used: adding " +
                human_size(outcome.added) +
                " would exceed it. Delete artifacts (the space is free at once) or upgrade the plan";
    } else {
      message = "adding " + human_size(outcome.added) +
                " of storage resource, which when updated to current usage of " + human_size(outcome.used) +
                " will exceed the configured upper limit of " + human_size(outcome.hard) + ".";
    }
    emit(StorageEvent::Kind::quota_exceed, message);
    return make_error(ErrorCode::denied, message);
  }
  // A warning when this push took the project across 85 % of its quota.
  if (outcome.hard > 0 && outcome.added > 0) {
    const double threshold = 0.85 * static_cast<double>(outcome.hard);
    const double before = static_cast<double>(outcome.used);
    const double after = static_cast<double>(outcome.used + outcome.added);
    if (before < threshold && after >= threshold)
      emit(StorageEvent::Kind::quota_warning,
           "quota usage reach 85%: resource storage used " + human_size(outcome.used + outcome.added) +
               " of " + human_size(outcome.hard) + " (project " + outcome.project + ")");
  }
  return {};
}

Result<GcReport> Registry::collect_garbage(const GcOptions& options) {
  GcReport report;
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  auto cancelled = [&] {
    if (options.cancelled && options.cancelled()) report.cancelled = true;
    return report.cancelled;
  };
  const auto started = std::chrono::steady_clock::now();
  log(std::string("garbage collection started") + (options.dry_run ? " (dry run)" : "") + ", grace period " +
      std::to_string(options.grace.count()) + " s" +
      (options.delete_untagged ? ", deleting untagged artifacts" : ""));

  // 1. Untagged artifacts, when asked: their blobs then become unreferenced.
  if (options.delete_untagged) {
    meta::ArtifactRef after;
    for (;;) {
      if (cancelled()) return report;
      auto untagged = meta_.untagged_artifacts(after, kGcBatch);
      if (!untagged) return internal("listing untagged artifacts failed", untagged.error());
      if (untagged->empty()) break;
      after = untagged->back();
      for (const auto& artifact : *untagged) {
        if (!options.dry_run) {
          auto deleted = delete_manifest(artifact.repository, artifact.digest);
          if (!deleted) {
            if (deleted.error().code == ErrorCode::manifest_unknown) continue;  // gone meanwhile
            return std::move(deleted).error();
          }
        }
        ++report.artifacts_deleted;
        log((options.dry_run ? "would delete untagged artifact " : "deleted untagged artifact ") +
            artifact.repository + "@" + artifact.digest);
      }
    }
  }

  // 2. Abandoned uploads.
  if (!options.dry_run)
    report.uploads_purged = purge_uploads(std::chrono::system_clock::now() - options.upload_max_age);

  // 3. Unreferenced blobs older than the grace period: in batches, each chosen and doomed in
  // one transaction of the metadata, then their files removed.
  const auto cutoff = std::chrono::system_clock::now() - options.grace;
  const unsigned workers = std::clamp(options.workers, 1u, 5u);
  std::string after;
  bool held = false;            // a backup's hold was seen (logged once)
  std::future<Status> removal;  // of the previous batch's files; it alone touches the blob counts meanwhile
  auto finish_removal = [&removal]() -> Status {
    if (!removal.valid()) return {};
    return removal.get();
  };
  for (;;) {
    if (cancelled()) break;
    if (options.dry_run) {
      auto candidates = meta_.gc_candidates(cutoff, after, kGcBatch);
      if (!candidates) return internal("listing unreferenced blobs failed", candidates.error());
      if (candidates->empty()) break;
      after = candidates->back().digest;
      for (const auto& blob : *candidates) {
        ++report.blobs_deleted;
        report.bytes_freed += static_cast<std::uint64_t>(blob.size);
      }
      continue;
    }
    auto doomed = meta_.doom_blobs(cutoff, after, kGcBatch);
    if (!doomed && doomed.error().code == base::Errc::conflict) {
      // A backup is copying blob files: nothing may go until it is done.
      if (!held) log("waiting: " + doomed.error().message);
      held = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    if (!doomed) {
      (void)finish_removal();
      return internal("deleting unreferenced blobs failed", doomed.error());
    }
    if (doomed->empty()) break;
    after = doomed->back().digest;
    // Cached links of doomed blobs are stale now.
    invalidate([&] {
      for (const auto& blob : *doomed)
        for (const auto& repository : blob.repositories) links_.erase(link_key(repository, blob.digest));
    });
    // The files go while the next batch is chosen and doomed: the database work and the
    // unlinks overlap. A batch's marks are cleared only once its files are gone.
    if (auto s = finish_removal(); !s) return std::move(s).error();
    removal =
        std::async(std::launch::async, [this, &report, workers, batch = std::move(*doomed)]() -> Status {
          std::vector<char> removed(batch.size(), 0);
          std::atomic<std::size_t> next{0};
          auto remove_files = [&] {
            for (std::size_t i = next++; i < batch.size(); i = next++) {
              auto digest = oci::Digest::parse(batch[i].digest);
              if (!digest) {
                removed[i] = 1;
                continue;
              }
              if (auto gone = blobs_.remove(*digest); gone)
                removed[i] = 1;
              else
                BERTH_LOG_WARN("gc: removing blob {} failed: {}", batch[i].digest, gone.error().message);
            }
          };
          {
            std::vector<std::jthread> pool;
            for (unsigned w = 1; w < std::min<std::size_t>(workers, batch.size()); ++w)
              pool.emplace_back(remove_files);
            remove_files();
          }
          std::vector<std::string> finished;
          for (std::size_t i = 0; i < batch.size(); ++i) {
            if (!removed[i]) continue;  // stays doomed: the next run or start-up tries again
            finished.push_back(batch[i].digest);
            ++report.blobs_deleted;
            report.bytes_freed += static_cast<std::uint64_t>(batch[i].size);
          }
          if (auto forgotten = meta_.forget_doomed(finished); !forgotten)
            return internal("deleting unreferenced blobs failed", forgotten.error());
          return {};
        });
  }
  if (auto s = finish_removal(); !s) return std::move(s).error();
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  log(std::string(report.cancelled ? "garbage collection stopped" : "garbage collection finished") + ": " +
      std::to_string(report.blobs_deleted) + " blob(s) " + (options.dry_run ? "would be " : "") +
      "deleted, " + human_size(static_cast<std::int64_t>(report.bytes_freed)) + " " +
      (options.dry_run ? "would be " : "") + "freed, " + std::to_string(report.artifacts_deleted) +
      " untagged artifact(s), " + std::to_string(report.uploads_purged) + " abandoned upload(s), in " +
      std::to_string(took.count()) + " ms");
  return report;
}

}  // namespace berth::registry
