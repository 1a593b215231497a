#include "backup/backup_job.h"

#include <boost/json.hpp>
#include <ctime>

#include "base/log.h"

namespace berth::backup {

std::string job_payload(const std::string& trigger) {
  return boost::json::serialize(boost::json::object{{"trigger", trigger}});
}

std::string name_for(std::chrono::system_clock::time_point when) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "berth-%Y%m%dT%H%M%SZ", &utc);
  return text;
}

base::Status register_job(jobs::Runner& runner, const Sources& sources, JobOptions options) {
  return runner.handle(
      kJobKind, [&sources, options](const meta::Job&, jobs::Context& context) -> base::Status {
        std::string log;
        Sources with_log = sources;
        with_log.log = [&](const std::string& line) {
          log += line;
          log += '\n';
          context.report_progress(log);
        };
        std::filesystem::path target = options.dir / name_for(std::chrono::system_clock::now());
        for (int n = 2; std::filesystem::exists(target); ++n)
          target = options.dir / (name_for(std::chrono::system_clock::now()) + "-" + std::to_string(n));
        std::error_code ec;
        std::filesystem::create_directories(options.dir, ec);
        auto taken = take(with_log, target);
        if (!taken) {
          with_log.log("backup failed: " + taken.error().message);
          return taken.error();
        }
        auto pruned = prune(options.dir, options.keep);
        if (!pruned) {
          with_log.log("removing old backups failed: " + pruned.error().message);
          return pruned.error();
        }
        for (const auto& name : *pruned) with_log.log("removed the old backup " + name);
        BERTH_LOG_INFO("backup {}: {} blob(s), {} byte(s)", taken->name, taken->blobs, taken->bytes);
        return base::ok_status();
      });
}

}  // namespace berth::backup
