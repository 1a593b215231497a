// The job service dashboard: Harbor's /jobservice/queues (GET: each job type's pending
// count, latency and pause flag; PUT /jobservice/queues/{job_type}: stop, pause or resume
// a queue, "all" for every one) and PUT /jobservice/jobs/{job_id} (stop a job, "all" for
// every running one), with Berth's GET /jobservice/jobs and /jobservice/jobs/{job_id}
// (the jobs themselves). System administrators only, as Harbor's jobservice-monitor
// permission. Backed by jobs::Runner (Context::jobs); 503 when the server has none.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "api/rest/rest.h"
#include "jobs/runner.h"

namespace berth::api::rest {
namespace {

namespace json = boost::json;

constexpr std::string_view kAll = "all";

// The runner, or the answer when the caller may not use the job service or there is none.
base::Result<jobs::Runner*, http::Response> job_service(const Call& call) {
  if (!call.caller.principal.sysadmin)
    return error_response(403, "only system administrators may use the job service");
  if (call.context.jobs == nullptr) return error_response(503, "the job service is not running");
  return call.context.jobs;
}

http::Response job_error(std::string_view what, const base::Error& error) {
  if (error.code == base::Errc::invalid_argument) return error_response(400, error.message);
  if (error.code == base::Errc::not_found) return error_response(404, error.message);
  return internal_error(what, error);
}

json::value time_or_null(const std::optional<std::chrono::system_clock::time_point>& time) {
  if (!time) return nullptr;
  return json::value(format_time(*time));
}

json::object job_json(const meta::Job& job) {
  json::object out;
  out["id"] = job.id;
  out["kind"] = job.kind;
  out["state"] = std::string(meta::job_state_name(job.state));
  out["attempts"] = job.attempts;
  out["max_attempts"] = job.max_attempts;
  out["dedupe_key"] = job.dedupe_key ? json::value(*job.dedupe_key) : json::value(nullptr);
  out["creation_time"] = format_time(job.created);
  out["run_after"] = format_time(job.run_after);
  out["start_time"] = time_or_null(job.started);
  out["end_time"] = time_or_null(job.finished);
  out["heartbeat_time"] = time_or_null(job.heartbeat);
  out["worker"] = job.worker;
  out["progress"] = job.progress;
  out["error"] = job.error;
  out["cancel_requested"] = job.cancel_requested;
  return out;
}

// GET /jobservice/queues: Harbor's JobQueue (job_type, count = queued jobs, latency =
// seconds the longest-waiting due job has waited, paused) and Berth's running count.
Awaitable list_queues(Call& call) {
  auto runner = job_service(call);
  if (!runner) co_return std::move(runner).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto queues = (*runner)->queues();
    if (!queues) return job_error("list job queues", queues.error());
    const auto now = std::chrono::system_clock::now();
    json::array items;
    for (const auto& queue : *queues) {
      std::int64_t latency = 0;
      if (queue.stats.oldest_due && *queue.stats.oldest_due < now)
        latency = std::chrono::duration_cast<std::chrono::seconds>(now - *queue.stats.oldest_due).count();
      items.push_back(json::object{
          {"job_type", queue.stats.kind},
          {"count", queue.stats.queued},
          {"latency", latency},
          {"paused", queue.stats.paused},
          {"running", queue.stats.running},
      });
    }
    return json_response(200, items);
  });
}

// PUT /jobservice/queues/{job_type} {"action": "stop" | "pause" | "resume"}: stop cancels
// the queued jobs (running ones go on), pause keeps them queued without running them.
Awaitable act_on_queue(Call& call) {
  auto runner = job_service(call);
  if (!runner) co_return std::move(runner).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto action = string_member(*body, "action");
  if (!action) co_return std::move(action).error();
  if (!*action) co_return error_response(400, "action is required: stop, pause or resume");
  if (**action != "stop" && **action != "pause" && **action != "resume")
    co_return error_response(400, "invalid action \"" + **action + "\": stop, pause or resume");
  const std::string job_type = call.param("job_type");
  co_return co_await blocking(call, [&]() -> http::Response {
    jobs::Runner& jobs = **runner;
    std::vector<std::string> kinds;
    if (job_type == kAll) {
      auto queues = jobs.queues();
      if (!queues) return job_error("list job queues", queues.error());
      for (const auto& queue : *queues) kinds.push_back(queue.stats.kind);
    } else {
      auto known = meta::valid_job_kind(job_type) ? jobs.knows_kind(job_type) : base::Result<bool>(false);
      if (!known) return job_error("find job type", known.error());
      if (!*known) return error_response(404, "job type " + job_type + " not found");
      kinds.push_back(job_type);
    }
    if (**action == "stop") {
      auto stopped =
          jobs.cancel_queued(job_type == kAll ? std::nullopt : std::optional<std::string>(job_type));
      if (!stopped) return job_error("stop job queue", stopped.error());
      return empty_response(200);
    }
    for (const auto& kind : kinds) {
      auto done = **action == "pause" ? jobs.pause(kind) : jobs.resume(kind);
      if (!done) return job_error("pause job queue", done.error());
    }
    return empty_response(200);
  });
}

// GET /jobservice/jobs: q on kind (exact, ~fuzzy, {a b}), state ({queued running ...}),
// id, creation_time (range); sort id, creation_time, start_time, end_time (default -id).
Awaitable list_jobs(Call& call) {
  auto runner = job_service(call);
  if (!runner) co_return std::move(runner).error();
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  auto query = parse_list_query(call.request(), *page);
  if (!query) co_return std::move(query).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto listing = (*runner)->database().list_jobs(*query);
    if (!listing) return job_error("list jobs", listing.error());
    json::array items;
    for (const auto& job : listing->items) items.push_back(job_json(job));
    http::Response response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, listing->total);
    return response;
  });
}

// GET /jobservice/jobs/{job_id}: the job, with its payload.
Awaitable get_job(Call& call) {
  auto runner = job_service(call);
  if (!runner) co_return std::move(runner).error();
  auto id = parse_id(call, "job_id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto job = (*runner)->database().get_job(*id);
    if (!job) return job_error("get job", job.error());
    if (!*job) return error_response(404, "job " + std::to_string(*id) + " not found");
    json::object out = job_json(**job);
    boost::system::error_code ec;
    json::value payload = json::parse((*job)->payload, ec);
    out["payload"] = ec ? json::value((*job)->payload) : std::move(payload);
    return json_response(200, out);
  });
}

// PUT /jobservice/jobs/{job_id}: stops a job (a queued one is cancelled, a running one is
// told to stop); "all" stops every running job. A finished job is left as it is.
Awaitable stop_job(Call& call) {
  auto runner = job_service(call);
  if (!runner) co_return std::move(runner).error();
  if (call.param("job_id") == kAll) {
    co_return co_await blocking(call, [&]() -> http::Response {
      auto stopped = (*runner)->cancel_running();
      if (!stopped) return job_error("stop jobs", stopped.error());
      return empty_response(200);
    });
  }
  auto id = parse_id(call, "job_id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto state = (*runner)->cancel(*id);
    if (!state) return job_error("stop job", state.error());
    return empty_response(200);
  });
}

}  // namespace

std::vector<Route> jobservice_routes() {
  using http::Method;
  return {
      {Method::get, "/jobservice/queues", list_queues},
      {Method::put, "/jobservice/queues/{job_type}", act_on_queue},
      {Method::get, "/jobservice/jobs", list_jobs},
      {Method::get, "/jobservice/jobs/{job_id}", get_job},
      {Method::put, "/jobservice/jobs/{job_id}", stop_job},
  };
}

}  // namespace berth::api::rest
