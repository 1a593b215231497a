// The plans as configured (plans.*), and `berth admin plan set|show`.
#pragma once

#include <string>

#include "app/config.h"
#include "plan/plan.h"

namespace berth::app {

// The S, M, L and unlimited plans with the configured sizes.
plan::Catalog plan_catalog(const Config& config);

// `berth admin plan set NAME` (upgrade only) and `berth admin plan show`. They work beside a
// running server: only the plan setting is written (one SQLite transaction), and the server
// applies it within a second. Exit code 0 on success, 1 when refused, 2 on failure.
int plan_command(const Config& config, const std::string& action, const std::string& name);

}  // namespace berth::app
