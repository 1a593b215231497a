#include "gc/gc_job.h"

#include <boost/json.hpp>

#include "base/log.h"

namespace berth::gc {
namespace {

constexpr std::size_t kMaxLogBytes = 256 * 1024;  // the log kept with the job

}  // namespace

std::string to_payload(const Parameters& parameters) {
  return boost::json::serialize(boost::json::object{{"delete_untagged", parameters.delete_untagged},
                                                    {"dry_run", parameters.dry_run},
                                                    {"workers", parameters.workers},
                                                    {"trigger", parameters.trigger}});
}

base::Result<Parameters> from_payload(const std::string& payload) {
  boost::system::error_code ec;
  auto value = boost::json::parse(payload, ec);
  if (ec || !value.is_object())
    return base::make_error(base::Errc::invalid_argument, "gc payload is not JSON");
  const auto& object = value.get_object();
  Parameters out;
  if (const auto* v = object.if_contains("delete_untagged"); v != nullptr && v->is_bool())
    out.delete_untagged = v->get_bool();
  if (const auto* v = object.if_contains("dry_run"); v != nullptr && v->is_bool())
    out.dry_run = v->get_bool();
  if (const auto* v = object.if_contains("workers"); v != nullptr && v->is_int64())
    out.workers = static_cast<int>(v->get_int64());
  if (const auto* v = object.if_contains("trigger"); v != nullptr && v->is_string())
    out.trigger = std::string(v->get_string());
  if (out.workers < 1 || out.workers > 5)
    return base::make_error(base::Errc::invalid_argument, "workers must be 1 to 5");
  return out;
}

base::Status register_job(jobs::Runner& runner, registry::Registry& registry, JobOptions options) {
  return runner.handle(kJobKind,
                       [&registry, options](const meta::Job& job, jobs::Context& context) -> base::Status {
                         auto parameters = from_payload(job.payload);
                         if (!parameters) {
                           context.fail_for_good();
                           return parameters.error();
                         }
                         std::string log;
                         auto add = [&](const std::string& line) {
                           if (log.size() + line.size() + 1 > kMaxLogBytes) return;
                           log += line;
                           log += '\n';
                           context.report_progress(log);
                         };
                         add("Garbage Collection parameters: [delete_untagged: " +
                             std::string(parameters->delete_untagged ? "true" : "false") +
                             ", dry_run: " + (parameters->dry_run ? "true" : "false") +
                             ", workers: " + std::to_string(parameters->workers) + "]");
                         registry::GcOptions gc;
                         gc.grace = options.grace;
                         gc.upload_max_age = options.upload_max_age;
                         gc.delete_untagged = parameters->delete_untagged;
                         gc.dry_run = parameters->dry_run;
                         gc.workers = static_cast<unsigned>(parameters->workers);
                         gc.cancelled = [&context] { return context.stop_requested(); };
                         gc.log = add;
                         auto report = registry.collect_garbage(gc);
                         if (!report) {
                           add("garbage collection failed: " + report.error().message);
                           return base::make_error(base::Errc::internal, report.error().message);
                         }
                         if (report->cancelled) {
                           add("received the stop signal, quit GC job.");
                           return base::make_error(base::Errc::cancelled, "stopped");
                         }
                         BERTH_LOG_INFO("gc: {} blob(s), {} byte(s), {} untagged artifact(s){}",
                                        report->blobs_deleted, report->bytes_freed, report->artifacts_deleted,
                                        parameters->dry_run ? " (dry run)" : "");
                         return base::ok_status();
                       });
}

}  // namespace berth::gc
