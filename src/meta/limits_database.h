// Limits: projects' storage quotas as Harbor's /quotas API shows them, and the registry's
// settings that outlive a restart (the plan). The usage itself is kept by meta::Database, in the
// transactions that change it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "meta/database.h"
#include "meta/query.h"

namespace berth::meta {

// A project's quota. Its id is the project's id.
struct Quota {
  std::int64_t id = 0;
  std::int64_t project_id = 0;
  std::string project_name;
  std::string owner_name;
  std::int64_t hard = -1;  // bytes; -1 = none
  std::int64_t used = 0;
  TimePoint created;
  TimePoint updated;
};

class LimitsDatabase {
 public:
  virtual ~LimitsDatabase() = default;

  // Fields: reference ("project"), reference_id (a project id; exact, any_of), project_name
  // (exact, fuzzy). Sort: creation_time, update_time, hard.storage, used.storage; default id.
  virtual base::Result<Listing<Quota>> list_quotas(const ListQuery& query) = 0;
  virtual base::Result<std::optional<Quota>> get_quota(std::int64_t id) = 0;
  // Sets a project's hard limit (-1 = none). Errors: not_found.
  virtual base::Status set_quota(std::int64_t id, std::int64_t hard) = 0;

  // A named setting, if set.
  virtual base::Result<std::optional<std::string>> get_setting(const std::string& name) = 0;
  virtual base::Status set_setting(const std::string& name, const std::string& value) = 0;
};

}  // namespace berth::meta
