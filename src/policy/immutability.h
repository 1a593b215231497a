// Tag immutability (Harbor's immutabletagrules): a project's rules, each a repository selector
// and a tag selector (doublestar patterns, "repoMatches"/"repoExcludes" and "matches"/"excludes"),
// enabled or not. A tag is immutable when any enabled rule of its project selects it; then it
// cannot be pushed to another digest, moved, or deleted, nor can its artifact. Rules are cached
// per project and the cache is dropped by every change made here.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "iam/service.h"
#include "meta/immutability_database.h"
#include "policy/selector.h"

namespace berth::policy {

inline constexpr std::size_t kMaxImmutableRules = 15;

struct ImmutableRule {
  std::int64_t id = 0;
  std::int64_t project_id = 0;
  std::int64_t priority = 0;
  bool disabled = false;
  std::string action = "immutable";
  std::string template_name = "immutable_template";
  Selector tag;
  Selector repository;
};

// Reads a rule from the API's JSON. Errors: invalid_argument naming what is wrong.
base::Result<ImmutableRule> parse_immutable_rule(const boost::json::object& body);
// The API's JSON of a rule (Harbor's ImmutableRule).
boost::json::object immutable_rule_json(const ImmutableRule& rule);
// Whether the enabled rule selects `tag` of `repository` (the name without its project).
bool selects(const ImmutableRule& rule, std::string_view repository, std::string_view tag);

class Immutability {
 public:
  Immutability(meta::ImmutabilityDatabase& database, iam::Service& iam) : db_(database), iam_(iam) {}

  // Whether `tag` of `repository` ("project/name") is immutable. A project without rules costs
  // one cached look-up. Errors: the database's.
  base::Result<bool> is_immutable(const std::string& repository, const std::string& tag);

  base::Result<std::vector<ImmutableRule>> list(std::int64_t project_id);
  // Errors: out_of_range (15 rules already), conflict (the same rule exists), the database's.
  base::Result<std::int64_t> create(const ImmutableRule& rule);
  // Errors: not_found, conflict.
  base::Status update(const ImmutableRule& rule);
  base::Status remove(std::int64_t project_id, std::int64_t id);

 private:
  base::Result<std::shared_ptr<const std::vector<ImmutableRule>>> rules_of(std::int64_t project_id);
  void forget(std::int64_t project_id);

  meta::ImmutabilityDatabase& db_;
  iam::Service& iam_;
  std::mutex mutex_;
  std::map<std::int64_t, std::shared_ptr<const std::vector<ImmutableRule>>> cache_;  // guarded by mutex_
};

}  // namespace berth::policy
