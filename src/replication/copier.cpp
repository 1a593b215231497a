#include "replication/copier.h"

#include <thread>

#include "oci/manifest.h"

namespace berth::replication {
namespace {

using base::Errc;

constexpr int kMaxDepth = 8;

// Retrying cannot help these.
bool permanent(const base::Error& error) {
  return error.code == Errc::invalid_argument || error.code == Errc::corrupt ||
         error.code == Errc::cancelled || error.code == Errc::conflict;
}

// The cosign-style accessory tags of `digest` ("sha256-<hex>.sig", ".att", ".sbom").
bool accessory_tag_of(const std::string& tag, const std::string& digest) {
  const auto colon = digest.find(':');
  if (colon == std::string::npos) return false;
  const std::string prefix = digest.substr(0, colon) + "-" + digest.substr(colon + 1) + ".";
  return tag.starts_with(prefix) && tag.size() > prefix.size();
}

}  // namespace

Copier::Copier(Side& source, Side& destination, CopyOptions options)
    : source_(source), destination_(destination), options_(std::move(options)) {
  if (options_.chunk_size == 0) options_.chunk_size = 16u << 20;
  if (options_.speed_kb > 0) {
    // A second's worth per request at most, so the pace is kept smoothly.
    options_.chunk_size = std::max<std::uint64_t>(
        64 * 1024, std::min<std::uint64_t>(options_.chunk_size, options_.speed_kb * 1024));
  }
}

void Copier::log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

base::Status Copier::check_stop() const {
  if (options_.stopped && options_.stopped()) return base::make_error(Errc::cancelled, "stopped");
  return {};
}

bool Copier::wait(std::chrono::milliseconds duration) const {
  if (options_.sleep) return options_.sleep(duration);
  const auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until) {
    if (options_.stopped && options_.stopped()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(duration, std::chrono::milliseconds(50)));
  }
  return true;
}

void Copier::pace(std::uint64_t bytes) {
  if (options_.speed_kb <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (paced_bytes_ == 0) pace_start_ = now;
  paced_bytes_ += bytes;
  const auto due = pace_start_ + std::chrono::milliseconds(paced_bytes_ * 1000 / (options_.speed_kb * 1024));
  if (due > now) wait(std::chrono::duration_cast<std::chrono::milliseconds>(due - now));
}

base::Status Copier::copy(const std::string& from, const std::string& to, const std::string& digest,
                          const std::vector<std::string>& tags) {
  if (auto s = copy_manifest(from, to, digest, 0); !s) return s;
  // Cosign-style accessories, which name their subject by tag rather than by a subject field.
  auto all = source_tags_.find(from);
  if (all == source_tags_.end()) {
    auto listed = source_.tags(from);
    if (!listed) return listed.error();
    all = source_tags_.emplace(from, std::move(*listed)).first;
  }
  std::vector<std::string> wanted = tags;
  for (const auto& tag : all->second) {
    if (!accessory_tag_of(tag, digest)) continue;
    auto target = source_.resolve(from, tag);
    if (!target) return target.error();
    if (!*target) continue;
    if (auto s = copy_manifest(from, to, **target, 1); !s) return s;
    if (auto s = set_tag(from, to, **target, tag); !s) return s;
  }
  for (const auto& tag : wanted) {
    if (auto s = set_tag(from, to, digest, tag); !s) return s;
  }
  return {};
}

base::Status Copier::set_tag(const std::string& from, const std::string& to, const std::string& digest,
                             const std::string& tag) {
  if (auto s = check_stop(); !s) return s;
  auto current = destination_.resolve(to, tag);
  if (!current) return current.error();
  if (*current && **current == digest) return {};
  if (*current && !options_.override) {
    ++stats_.tags_kept;
    log("tag " + to + ":" + tag + " points at " + **current + " at the destination; kept (override is off)");
    return {};
  }
  auto manifest = source_.manifest(from, digest);
  if (!manifest) return manifest.error();
  if (auto s = destination_.put_manifest(to, tag, *manifest); !s) return s;
  ++stats_.tags_set;
  log("tag " + to + ":" + tag + " -> " + digest);
  return {};
}

base::Status Copier::copy_manifest(const std::string& from, const std::string& to, const std::string& digest,
                                   int depth) {
  if (depth > kMaxDepth)
    return base::make_error(Errc::invalid_argument, "manifests nested too deep at " + digest);
  if (!done_.insert(to + "@" + digest).second) return {};
  if (auto s = check_stop(); !s) return s;
  auto present = destination_.resolve(to, digest);
  if (!present) return present.error();
  if (*present) {
    ++stats_.manifests_present;
  } else {
    auto manifest = source_.manifest(from, digest);
    if (!manifest) return manifest.error();
    auto parsed = oci::parse_manifest(manifest->bytes, manifest->media_type);
    if (!parsed) {
      return base::make_error(Errc::invalid_argument, "manifest " + from + "@" + digest +
                                                          " cannot be copied: " + parsed.error().message);
    }
    if (parsed->subject) {
      if (auto s = copy_manifest(from, to, parsed->subject->digest.str(), depth + 1); !s) return s;
    }
    for (const auto& child : parsed->manifests) {
      if (auto s = copy_manifest(from, to, child.digest.str(), depth + 1); !s) return s;
    }
    for (const auto& blob : parsed->blob_references()) {
      if (auto s = copy_blob(from, to, blob.digest.str(), static_cast<std::uint64_t>(blob.size)); !s)
        return s;
    }
    if (auto s = destination_.put_manifest(to, digest, *manifest); !s) return s;
    ++stats_.manifests_sent;
    log("manifest " + to + "@" + digest + " (" + manifest->media_type + ") copied");
  }
  auto referrers = source_.referrers(from, digest);
  if (!referrers) return referrers.error();
  for (const auto& referrer : *referrers) {
    if (auto s = copy_manifest(from, to, referrer, depth + 1); !s) return s;
  }
  return {};
}

base::Status Copier::copy_blob(const std::string& from, const std::string& to, const std::string& digest,
                               std::uint64_t size) {
  const std::string key = to + "@" + digest;
  if (done_.contains(key)) return {};
  if (auto s = check_stop(); !s) return s;
  auto present = destination_.has_blob(to, digest);
  if (!present) return present.error();
  if (*present) {
    ++stats_.blobs_present;
    done_.insert(key);
    sent_to_.emplace(digest, to);
    return {};
  }
  const auto elsewhere = sent_to_.find(digest);
  const std::string mount_from = elsewhere == sent_to_.end() ? std::string() : elsewhere->second;
  if (auto s = transfer(from, to, digest, size, mount_from); !s) return s;
  done_.insert(key);
  sent_to_.emplace(digest, to);
  return {};
}

base::Status Copier::transfer(const std::string& from, const std::string& to, const std::string& digest,
                              std::uint64_t size, const std::string& mount_from) {
  std::unique_ptr<BlobWriter> writer;
  base::Status last_error;
  for (int attempt = 1; attempt <= options_.blob_attempts; ++attempt) {
    if (attempt > 1) {
      const auto delay = options_.retry_base * (1 << std::min(attempt - 2, 6));
      log("blob " + digest + ": attempt " + std::to_string(attempt - 1) + " failed (" +
          last_error.error().message + "); retrying in " + std::to_string(delay.count()) + " ms");
      if (!wait(delay)) return base::make_error(Errc::cancelled, "stopped");
    }
    auto step = [&]() -> base::Status {
      if (!writer) {
        auto started = destination_.write_blob(to, digest, attempt == 1 ? mount_from : std::string());
        if (!started) return started.error();
        if (!*started) {
          ++stats_.blobs_mounted;
          log("blob " + digest + " mounted from " + mount_from);
          return {};
        }
        writer = std::move(*started);
      } else if (auto resumed = writer->resume(); !resumed) {
        // Unreachable: try again later. Anything else: the session is gone, start over.
        if (resumed.error().code != Errc::unavailable) writer.reset();
        return resumed;
      } else if (writer->offset() > 0) {
        log("blob " + digest + ": resuming at byte " + std::to_string(writer->offset()));
      }
      for (;;) {
        if (auto s = check_stop(); !s) return s;
        const std::uint64_t offset = writer->offset();
        const std::uint64_t length = std::min<std::uint64_t>(options_.chunk_size, size - offset);
        auto chunk = length == 0 ? base::Result<std::string>(std::string())
                                 : source_.read_blob(from, digest, offset, length);
        if (!chunk) return chunk.error();
        if (chunk->size() != length) {
          return base::make_error(Errc::unavailable, "blob " + digest + ": the source sent " +
                                                         std::to_string(chunk->size()) + " bytes at offset " +
                                                         std::to_string(offset) + ", not " +
                                                         std::to_string(length));
        }
        const bool last = offset + length >= size;
        if (last) {
          if (auto s = writer->finish(digest, *chunk); !s) return s;
        } else if (auto s = writer->write(*chunk); !s) {
          return s;
        }
        stats_.bytes_sent += length;
        pace(length);
        if (last) {
          ++stats_.blobs_sent;
          writer.reset();
          return {};
        }
      }
    };
    last_error = step();
    if (last_error) return {};
    if (permanent(last_error.error())) return last_error;
  }
  return base::make_error(last_error.error().code, "blob " + digest + ": gave up after " +
                                                       std::to_string(options_.blob_attempts) +
                                                       " attempts: " + last_error.error().message);
}

}  // namespace berth::replication
