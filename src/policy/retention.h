// Tag retention (Harbor's /retentions): a project's policy is an OR of up to 15 rules. Each
// rule names a template (latestPushedK, latestPulledN, nDaysSinceLastPush, nDaysSinceLastPull,
// latestActiveK, lastXDays, always, nothing) with its parameter, and selectors for the
// repositories it covers and the tags it looks at. In a repository some enabled rule covers,
// an artifact is kept when a rule covering it retains it, or when one of its tags is
// immutable; every other artifact of that repository goes. Repositories no rule covers are
// left alone. This module is pure: it parses and prints policies and decides, given the
// artifacts of one repository and the time, what stays.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "policy/selector.h"

namespace berth::policy {

inline constexpr std::size_t kMaxRetentionRules = 15;

struct RetentionRule {
  std::int64_t id = 0;
  std::int64_t priority = 0;
  bool disabled = false;
  std::string action = "retain";
  std::string template_name;
  boost::json::object params;                  // {"<template>": N} for the templates that take a number
  std::vector<Selector> tag_selectors;         // all must select an artifact (at least one)
  std::vector<Selector> repository_selectors;  // all must select the repository (at least one)
};

struct RetentionPolicy {
  std::int64_t id = 0;
  std::string algorithm = "or";
  std::vector<RetentionRule> rules;
  std::string trigger_kind = "Schedule";
  std::string cron;  // "" = runs only when triggered
  std::string scope_level = "project";
  std::int64_t project_id = 0;  // scope.ref
};

// Reads a policy from the API's JSON (Harbor's RetentionPolicy). Errors: invalid_argument
// with Harbor's text where it has one ("only 15 rules are allowed at most", "missing required
// parameter latestPushedK for rule latestPushedK", ...), conflict ("rule 1 is conflict with
// rule 0": two rules alike but for their ids).
base::Result<RetentionPolicy> parse_retention_policy(const boost::json::object& body);
boost::json::object retention_policy_json(const RetentionPolicy& policy);
// GET /retentions/metadatas: the templates and selector kinds, Harbor's first.
boost::json::object retention_metadata_json();

using TimePoint = std::chrono::system_clock::time_point;

// One artifact of a repository, as retention sees it.
struct RetentionCandidate {
  std::string digest;
  std::string kind = "image";
  std::vector<std::string> tags;
  std::vector<std::string> labels;
  TimePoint pushed;
  TimePoint pulled;  // the epoch if never pulled
  TimePoint created;
  bool immutable = false;  // one of its tags is immutable
};

enum class Retention { retain, remove, immutable };

// "RETAIN", "DEL", "IMMUTABLE" (the task log's words).
std::string_view retention_name(Retention retention);

// Whether some enabled rule covers `repository` (its name without the project).
bool retention_covers(const RetentionPolicy& policy, std::string_view repository);

// What becomes of each candidate of `repository` at `now`, in the candidates' order.
std::vector<Retention> evaluate_retention(const RetentionPolicy& policy, std::string_view repository,
                                          const std::vector<RetentionCandidate>& candidates, TimePoint now);

// The task log's table of candidates and their fate (Harbor's columns: Digest, Tag, Kind,
// Labels, PushedTime, PulledTime, CreatedTime, Retention; times as 2006/01/02 15:04:05 UTC,
// blank when never).
std::string retention_table(const std::vector<RetentionCandidate>& candidates,
                            const std::vector<Retention>& verdicts);

}  // namespace berth::policy
