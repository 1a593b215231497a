// Harbor's garbage collection API: /system/gc (history), /system/gc/{id} (one run; PUT stops
// it), /system/gc/{id}/log, /system/gc/schedule (GET; POST/PUT: Manual runs now, None removes
// the schedule, the others set it). System administrators only. A run is a job of kind
// GARBAGE_COLLECTION (gc/gc_job.h).
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/rest/rest.h"
#include "gc/gc_job.h"
#include "jobs/runner.h"
#include "jobs/scheduler.h"

namespace berth::api::rest {
namespace {

namespace json = boost::json;

std::optional<http::Response> refuse(const Call& call) {
  if (call.context.jobs == nullptr || call.context.scheduler == nullptr)
    return error_response(503, "garbage collection is not available");
  if (!call.caller.principal.sysadmin)
    return error_response(403, "only system administrators may manage garbage collection");
  return std::nullopt;
}

json::object history_json(const meta::Job& job) {
  auto parameters = gc::from_payload(job.payload);
  const std::string trigger = parameters ? parameters->trigger : "MANUAL";
  const auto updated = job.finished.value_or(job.started.value_or(job.created));
  return json::object{
      {"id", job.id},
      {"job_name", gc::kJobKind},
      {"job_kind", trigger},
      {"job_parameters", job.payload},
      {"schedule", json::object{{"type", trigger == "SCHEDULE" ? "Schedule" : "Manual"}, {"cron", ""}}},
      {"job_status", meta::harbor_job_status(job.state)},
      {"deleted", false},
      {"creation_time", format_time(job.created)},
      {"update_time", format_time(updated)},
  };
}

// The job `gc_id` if it is a garbage collection. Errors: a 400 or 404 response.
base::Result<meta::Job, http::Response> find_run(Call& call) {
  auto id = parse_id(call, "gc_id");
  if (!id) return std::move(id).error();
  auto job = call.context.jobs->database().get_job(*id);
  if (!job) return internal_error("get gc", job.error());
  if (!*job || (*job)->kind != gc::kJobKind)
    return error_response(404, "garbage collection execution " + std::to_string(*id) + " not found");
  return std::move(**job);
}

// GET /system/gc?page=&page_size=: newest first.
Awaitable list_runs(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    meta::ListQuery query;
    query.offset = (page->page - 1) * page->page_size;
    query.limit = page->page_size;
    query.filters.push_back(meta::Filter{"kind", meta::Filter::Kind::exact, gc::kJobKind, {}, {}, {}});
    auto listed = call.context.jobs->database().list_jobs(query);
    if (!listed) return internal_error("list gc", listed.error());
    json::array items;
    for (const auto& job : listed->items) items.push_back(history_json(job));
    auto response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, listed->total);
    return response;
  });
}

Awaitable get_run(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  co_return co_await blocking(call, [&]() -> http::Response {
    auto job = find_run(call);
    if (!job) return std::move(job).error();
    return json_response(200, history_json(*job));
  });
}

Awaitable get_log(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  co_return co_await blocking(call, [&]() -> http::Response {
    auto job = find_run(call);
    if (!job) return std::move(job).error();
    http::Response response = empty_response(200);
    response.headers.set("Content-Type", "text/plain; charset=utf-8");
    response.body = job->progress;
    if (!job->error.empty() && job->progress.find(job->error) == std::string::npos)
      response.body += job->error + "\n";
    return response;
  });
}

// PUT /system/gc/{gc_id}: stops a run (a queued one at once, a running one between batches).
Awaitable stop_run(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  co_return co_await blocking(call, [&]() -> http::Response {
    auto job = find_run(call);
    if (!job) return std::move(job).error();
    if (auto s = call.context.jobs->cancel(job->id); !s) return internal_error("stop gc", s.error());
    call.context.iam.audit(call.caller, "stop", "garbage_collection", std::to_string(job->id), "", true);
    return empty_response(200);
  });
}

// The parameters of a schedule request. Errors: a 400 response with Harbor's text.
base::Result<gc::Parameters, http::Response> parse_parameters(const json::object& body) {
  gc::Parameters out;
  const auto* parameters = body.if_contains("parameters");
  if (parameters == nullptr || parameters->is_null()) return out;
  if (!parameters->is_object()) return error_response(400, "parameters must be an object");
  const auto& object = parameters->get_object();
  auto untagged = bool_member(object, "delete_untagged");
  if (!untagged) return std::move(untagged).error();
  auto dry_run = bool_member(object, "dry_run");
  if (!dry_run) return std::move(dry_run).error();
  out.delete_untagged = untagged->value_or(false);
  out.dry_run = dry_run->value_or(false);
  if (const auto* workers = object.if_contains("workers"); workers != nullptr && !workers->is_null()) {
    if (!workers->is_int64()) return error_response(400, "workers should be integer format");
    const auto n = workers->get_int64();
    if (n < 1 || n > 5)
      return error_response(400, "Error: Invalid number of workers:" + std::to_string(n) +
                                     ". Workers must be greater than 0 and less than or equal to 5.");
    out.workers = static_cast<int>(n);
  }
  return out;
}

json::object schedule_json(const std::optional<meta::Schedule>& schedule) {
  json::object inner{{"type", "None"}, {"cron", ""}};
  std::string parameters = "{}";
  if (schedule) {
    inner["cron"] = schedule->cron;
    inner["type"] = schedule->cron == "0 0 * * * *"   ? "Hourly"
                    : schedule->cron == "0 0 0 * * *" ? "Daily"
                    : schedule->cron == "0 0 0 * * 0" ? "Weekly"
                                                      : "Custom";
    if (schedule->next_run) inner["next_scheduled_time"] = format_time(*schedule->next_run);
    parameters = schedule->payload;
  }
  return json::object{{"schedule", std::move(inner)},
                      {"job_parameters", parameters},
                      {"job_name", ""},
                      {"job_kind", schedule ? schedule->cron : ""}};
}

Awaitable get_schedule(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  co_return co_await blocking(call, [&]() -> http::Response {
    auto schedule = call.context.scheduler->get(gc::kScheduleName);
    if (!schedule) return internal_error("read gc schedule", schedule.error());
    return json_response(200, schedule_json(*schedule));
  });
}

Awaitable set_schedule(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto requested = parse_schedule(*body);
  if (!requested) co_return std::move(requested).error();
  auto parameters = parse_parameters(*body);
  if (!parameters) co_return std::move(parameters).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    if (requested->type == "Manual") {
      meta::NewJob job;
      job.kind = gc::kJobKind;
      job.payload = gc::to_payload(*parameters);
      job.max_attempts = 1;
      auto queued = call.context.jobs->enqueue(job);
      if (!queued) return internal_error("start gc", queued.error());
      call.context.iam.audit(call.caller, "create", "garbage_collection", std::to_string(queued->id), "",
                             true, job.payload);
      return created_response("/system/gc/" + std::to_string(queued->id));
    }
    if (requested->type == "None") {
      if (auto s = call.context.scheduler->remove(gc::kScheduleName);
          !s && s.error().code != base::Errc::not_found)
        return internal_error("delete gc schedule", s.error());
      call.context.iam.audit(call.caller, "delete", "garbage_collection", "schedule", "", true);
      return empty_response(200);
    }
    gc::Parameters scheduled = *parameters;
    scheduled.trigger = "SCHEDULE";
    jobs::ScheduleSpec spec{gc::kScheduleName, requested->cron, gc::kJobKind, gc::to_payload(scheduled), 1};
    if (auto s = call.context.scheduler->set(spec); !s) {
      if (s.error().code == base::Errc::invalid_argument)
        return error_response(400, "invalid cron string for scheduled gc: " + requested->cron +
                                       ", error: " + s.error().message);
      return internal_error("set gc schedule", s.error());
    }
    call.context.iam.audit(call.caller, "update", "garbage_collection", "schedule", "", true,
                           requested->cron);
    return empty_response(call.request().method == http::Method::post ? 201 : 200);
  });
}

}  // namespace

std::vector<Route> gc_routes() {
  using http::Method;
  return {
      {Method::get, "/system/gc", list_runs},
      {Method::get, "/system/gc/schedule", get_schedule},
      {Method::post, "/system/gc/schedule", set_schedule},
      {Method::put, "/system/gc/schedule", set_schedule},
      {Method::get, "/system/gc/{gc_id}", get_run},
      {Method::put, "/system/gc/{gc_id}", stop_run},
      {Method::get, "/system/gc/{gc_id}/log", get_log},
  };
}

}  // namespace berth::api::rest
