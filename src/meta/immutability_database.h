// Tag immutability rules (Harbor's /projects/{p}/immutabletagrules), per project. A rule's
// selectors are kept as the JSON the API took; policy::Immutability interprets them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "meta/database.h"

namespace berth::meta {

struct ImmutableRuleRecord {
  std::int64_t id = 0;
  std::int64_t project_id = 0;
  std::int64_t priority = 0;
  bool disabled = false;
  std::string rule_json;  // template, action, params, tag_selectors, scope_selectors
  TimePoint created;
};

class ImmutabilityDatabase {
 public:
  virtual ~ImmutabilityDatabase() = default;

  // A project's rules by id.
  virtual base::Result<std::vector<ImmutableRuleRecord>> list_immutable_rules(std::int64_t project_id) = 0;
  // Stores a new rule unless the project has `max_rules` already. Returns its id.
  // Errors: out_of_range (too many rules).
  virtual base::Result<std::int64_t> create_immutable_rule(const ImmutableRuleRecord& rule,
                                                           std::size_t max_rules) = 0;
  // Replaces priority, disabled and the JSON of the project's rule. Errors: not_found.
  virtual base::Status update_immutable_rule(const ImmutableRuleRecord& rule) = 0;
  // Errors: not_found.
  virtual base::Status delete_immutable_rule(std::int64_t project_id, std::int64_t id) = 0;
};

}  // namespace berth::meta
