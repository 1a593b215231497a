#include "jobs/housekeeping.h"

#include "base/log.h"

namespace berth::jobs {

base::Status register_job_purge(Runner& runner, std::chrono::seconds keep) {
  meta::JobDatabase& db = runner.database();
  return runner.handle(kPurgeJobsKind, [&db, keep](const meta::Job&, Context& context) -> base::Status {
    auto purged = db.purge_finished(std::chrono::system_clock::now() - keep);
    if (!purged) return std::move(purged).error();
    context.report_progress("deleted " + std::to_string(*purged) + " finished job(s)");
    if (*purged > 0) BERTH_LOG_INFO("jobs: deleted {} finished job(s)", *purged);
    return base::ok_status();
  });
}

base::Status schedule_job_purge(Scheduler& scheduler, const std::string& cron) {
  return scheduler.set(ScheduleSpec{kPurgeJobsSchedule, cron, kPurgeJobsKind, "{}", 1});
}

}  // namespace berth::jobs
