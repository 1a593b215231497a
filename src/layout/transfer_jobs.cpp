#include "layout/transfer_jobs.h"

#include <boost/json.hpp>
#include <ctime>

#include "backup/backup.h"
#include "base/log.h"

namespace berth::layout {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string field(const std::string& payload, std::string_view key) {
  boost::system::error_code ec;
  auto parsed = json::parse(payload, ec);
  if (ec || !parsed.is_object()) return {};
  const auto* v = parsed.as_object().if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

// `path` made absolute and normal, if it lies under `root`.
std::optional<fs::path> inside(const fs::path& root, const fs::path& path) {
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(root, ec);
  const fs::path full = fs::weakly_canonical(path.is_absolute() ? path : root / path, ec);
  if (ec) return std::nullopt;
  auto [end, _] = std::mismatch(base.begin(), base.end(), full.begin(), full.end());
  if (end != base.end()) return std::nullopt;
  return full;
}

std::string describe(const Report& report) {
  return std::to_string(report.projects) + " project(s), " + std::to_string(report.repositories) +
         " repositories, " + std::to_string(report.manifests) + " manifests, " +
         std::to_string(report.blobs) + " blob files";
}

}  // namespace

std::string export_payload(const std::string& project) {
  return json::serialize(json::object{{"project", project}});
}

base::Result<std::string> import_payload(const JobSources& sources, const std::string& dir) {
  auto full = inside(sources.dir, dir);
  if (!full)
    return base::make_error(base::Errc::invalid_argument,
                            "the import must come from under " + sources.dir.string());
  return json::serialize(json::object{{"dir", full->string()}});
}

std::vector<std::string> list_exports(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir / "exports", ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory() && it->path().filename().string().front() != '.')
      out.push_back(it->path().filename().string());
  std::sort(out.rbegin(), out.rend());
  return out;
}

base::Status register_jobs(jobs::Runner& runner, JobSources& sources) {
  auto with_log = [&sources](jobs::Context& context, std::string& log) {
    Catalog catalog = sources.catalog;
    catalog.log = [&context, &log](const std::string& line) {
      log += line + "\n";
      context.report_progress(log);
    };
    return catalog;
  };
  if (auto s =
          runner.handle(kExportJob,
                        [&sources, with_log](const meta::Job& job, jobs::Context& context) -> base::Status {
                          std::string log;
                          Catalog catalog = with_log(context, log);
                          const std::string project = field(job.payload, "project");
                          backup::GcHold hold(catalog.metadata, "export job " + std::to_string(job.id));
                          if (auto held = hold.renew(); !held) return held;
                          catalog.keep_alive = [&hold, &context]() -> base::Status {
                            if (context.stop_requested())
                              return base::make_error(base::Errc::cancelled, "stopped");
                            return hold.renew();
                          };
                          const fs::path target = sources.dir / "exports" /
                                                  ((project.empty() ? "all" : project) + "-" + utc_stamp());
                          std::error_code ec;
                          fs::create_directories(target.parent_path(), ec);
                          auto report = export_projects(catalog, sources.blobs, project, target);
                          if (!report) {
                            catalog.log("export failed: " + report.error().message);
                            if (report.error().code == base::Errc::not_found) context.fail_for_good();
                            return report.error();
                          }
                          catalog.log("exported " + describe(*report) + " to " + target.string());
                          BERTH_LOG_INFO("export to {}: {}", target.string(), describe(*report));
                          return base::ok_status();
                        });
      !s)
    return s;
  return runner.handle(kImportJob,
                       [&sources, with_log](const meta::Job& job, jobs::Context& context) -> base::Status {
                         std::string log;
                         Catalog catalog = with_log(context, log);
                         const std::string dir = field(job.payload, "dir");
                         auto report = import_projects(catalog, sources.registry, sources.owner, dir);
                         if (!report) {
                           catalog.log("import failed: " + report.error().message);
                           context.fail_for_good();  // the same export would fail the same way
                           return report.error();
                         }
                         catalog.log("imported " + describe(*report) + " from " + dir);
                         BERTH_LOG_INFO("import from {}: {}", dir, describe(*report));
                         return base::ok_status();
                       });
}

}  // namespace berth::layout
