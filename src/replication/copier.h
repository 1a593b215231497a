// replication::Copier: copies artifacts from one Side to another, as a registry client would,
// with the content unchanged (digests at the destination equal the source's).
//
// An artifact goes children first: an index's manifests, an image's config and layers, then
// the manifest itself by digest, then its referrers (signatures, SBOMs) and the cosign-style
// accessory tags ("sha256-<hex>.sig"), then its tags. What the destination already has is not
// sent again: a manifest it resolves, a blob a HEAD finds; a blob this copier already sent to
// another repository of the destination is mounted from there. A blob goes in chunks; when a
// chunk fails, the copier waits (backoff doubling from `retry_base`), asks the destination how
// much of the upload it holds and goes on from there, up to `blob_attempts` times; every
// attempt is logged.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "replication/side.h"

namespace berth::replication {

struct CopyOptions {
  std::uint64_t chunk_size = 16u << 20;  // bytes per request (a smaller blob goes in one request)
  std::int64_t speed_kb = 0;             // KB/s; 0 = unlimited
  bool override = true;                  // move destination tags that point elsewhere
  int blob_attempts = 5;
  std::chrono::milliseconds retry_base{500};
  std::function<bool()> stopped;                // polled between requests; may be empty
  std::function<void(const std::string&)> log;  // one line per event; may be empty
  // Waits between attempts; returns false when stopped. Default: sleeps in small steps.
  std::function<bool(std::chrono::milliseconds)> sleep;
};

struct CopyStats {
  std::size_t manifests_sent = 0;
  std::size_t manifests_present = 0;  // already at the destination
  std::size_t blobs_sent = 0;
  std::size_t blobs_present = 0;
  std::size_t blobs_mounted = 0;
  std::uint64_t bytes_sent = 0;
  std::size_t tags_set = 0;
  std::size_t tags_kept = 0;  // pointing elsewhere, left as they were (override off)
};

class Copier {
 public:
  Copier(Side& source, Side& destination, CopyOptions options);

  // Copies artifact `digest` of `from` (source) into `to` (destination) and points `tags` at it.
  // Errors: cancelled (stopped), and those of the sides.
  base::Status copy(const std::string& from, const std::string& to, const std::string& digest,
                    const std::vector<std::string>& tags);

  const CopyStats& stats() const { return stats_; }

 private:
  base::Status copy_manifest(const std::string& from, const std::string& to, const std::string& digest,
                             int depth);
  base::Status copy_blob(const std::string& from, const std::string& to, const std::string& digest,
                         std::uint64_t size);
  base::Status transfer(const std::string& from, const std::string& to, const std::string& digest,
                        std::uint64_t size, const std::string& mount_from);
  base::Status set_tag(const std::string& from, const std::string& to, const std::string& digest,
                       const std::string& tag);
  base::Status check_stop() const;
  void pace(std::uint64_t bytes);
  bool wait(std::chrono::milliseconds duration) const;
  void log(const std::string& line) const;

  Side& source_;
  Side& destination_;
  CopyOptions options_;
  CopyStats stats_;
  std::set<std::string> done_;                  // "<to>@<digest>" of manifests handled
  std::map<std::string, std::string> sent_to_;  // blob digest -> a destination repository holding it
  std::map<std::string, std::vector<std::string>> source_tags_;  // by source repository
  std::chrono::steady_clock::time_point pace_start_{};
  std::uint64_t paced_bytes_ = 0;
};

}  // namespace berth::replication
