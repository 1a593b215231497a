// The JSON of a plan with the storage it has used, as /systeminfo and the operator API show it:
// {"name", "storage_limit" (bytes, -1 = none), "storage_used", "parallel_requests" (0 = none),
// "scanning"}.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>

#include "plan/plan.h"

namespace berth::api::rest {

inline boost::json::object plan_json(const plan::Limits& plan, std::int64_t used) {
  return boost::json::object{
      {"name", plan.name},         {"storage_limit", plan.storage},
      {"storage_used", used},      {"parallel_requests", static_cast<std::int64_t>(plan.parallel_requests)},
      {"scanning", plan.scanning},
  };
}

}  // namespace berth::api::rest
