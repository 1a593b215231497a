// replication::Policy: a replication policy as Harbor's API shapes it, and the rules it
// applies: which repositories and tags it selects, and where each repository lands.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "meta/replication_database.h"

namespace berth::replication {

struct Filter {
  std::string type;                 // name, tag, label, resource
  std::string value;                // name, tag: a doublestar pattern; resource: image or artifact
  std::vector<std::string> labels;  // label
  std::string decoration;           // matches or excludes (tag and label only)
};

struct Policy {
  std::int64_t id = 0;
  std::string name;
  std::string description;
  std::int64_t src_registry_id = 0;   // 0 = this registry: push mode
  std::int64_t dest_registry_id = 0;  // 0 = this registry: pull mode
  std::string dest_namespace;
  int dest_namespace_replace_count = -1;
  std::string trigger = "manual";  // manual, scheduled, event_based
  std::string cron;                // scheduled
  std::vector<Filter> filters;
  bool replicate_deletion = false;
  bool override = false;
  bool enabled = true;
  std::int64_t speed_kb = 0;  // KB/s per transfer; 0 = unlimited
  bool copy_by_chunk = false;
  bool single_active_replication = false;
  std::chrono::system_clock::time_point created;  // filled by reads
  std::chrono::system_clock::time_point updated;

  bool push() const { return src_registry_id == 0; }
};

// A policy from Harbor's ReplicationPolicy JSON (a PUT replaces the whole policy, as Harbor's).
// Errors: invalid_argument, with Harbor's messages.
base::Result<Policy> parse_policy(const boost::json::object& body);
// The policy as the API shows it, without the registries (the caller adds them).
boost::json::object policy_json(const Policy& policy);

meta::ReplicationPolicyRecord to_record(const Policy& policy);
// Errors: corrupt (a stored policy that does not parse).
base::Result<Policy> from_record(const meta::ReplicationPolicyRecord& record);

// The policy's name filter selects `repository` (a source repository path).
bool selects_repository(const Policy& policy, std::string_view repository);
// Its tag filters select `tag`.
bool selects_tag(const Policy& policy, std::string_view tag);
// Its label filters select an artifact with these labels.
bool selects_labels(const Policy& policy, const std::vector<std::string>& labels);
// Its resource filter lets this kind of artifact through ("image" or "artifact").
bool selects_resource(const Policy& policy, std::string_view kind);

// Where a source repository lands at the destination (dest_namespace and the flattening of
// dest_namespace_replace_count, as Harbor maps it). Errors: invalid_argument (more levels
// than the path has).
base::Result<std::string> destination_repository(const Policy& policy, const std::string& source);

}  // namespace berth::replication
