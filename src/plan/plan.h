// Plans: what a registry sold as S, M or L may do (storage, requests in flight, scanning),
// and the plan a registry runs on now. The plan only ever goes up (S -> M -> L -> unlimited):
// a downgrade is refused. It is kept in the metadata (settings "plan"), so that a change made
// by `berth admin plan set` beside a running server reaches it (Current::refresh).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "meta/limits_database.h"

namespace berth::plan {

struct Limits {
  std::string name;                   // "S", "M", "L" or "unlimited"
  std::int64_t storage = -1;          // bytes every project together may use; -1 = no cap
  std::size_t parallel_requests = 0;  // /v2 and /api requests in flight; 0 = no cap
  bool scanning = true;               // vulnerability scanning and scan on push
};

// The four plans with their (configurable) sizes.
struct Catalog {
  std::vector<Limits> plans;  // in upgrade order: S, M, L, unlimited
  // Harbor-style defaults: S 200 GiB / 15 / no scanning, M 600 GiB / 45, L 5 TiB / 90.
  static Catalog standard();
  const Limits* find(const std::string& name) const;
  // Position in the upgrade order; -1 for an unknown name.
  int rank(const std::string& name) const;
};

// The plan in force. Thread-safe.
class Current {
 public:
  using Listener = std::function<void(const Limits&)>;

  Current(Catalog catalog, meta::LimitsDatabase& settings);

  // Starts on the stored plan, or on `configured` when nothing is stored yet or `configured`
  // is higher (an upgrade by configuration); a lower `configured` is ignored with a warning.
  // Errors: invalid_argument (unknown name), storage errors.
  base::Status load(const std::string& configured);
  Limits get() const;
  const Catalog& catalog() const { return catalog_; }
  // Called with the new plan after every change (and once by load).
  void on_change(Listener listener);
  // Moves to `name`. Errors: invalid_argument (unknown plan), conflict (a downgrade; the
  // message says from which to which). Moving to the plan in force changes nothing.
  base::Status upgrade(const std::string& name);
  // Re-reads the stored plan and applies it if another process upgraded it.
  void refresh();

 private:
  void apply(const Limits& limits);

  Catalog catalog_;
  meta::LimitsDatabase& settings_;
  mutable std::mutex mutex_;
  Limits current_;
  std::vector<Listener> listeners_;
};

// Stores an upgrade with no server involved (`berth admin plan set`): the same rules as
// Current::upgrade. Returns the plan stored before (empty if none).
base::Result<std::string> store_upgrade(const Catalog& catalog, meta::LimitsDatabase& settings,
                                        const std::string& configured, const std::string& name);

}  // namespace berth::plan
