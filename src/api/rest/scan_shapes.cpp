#include "api/rest/scan_shapes.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <chrono>

#include "scan/formats.h"

namespace berth::api::rest {
namespace json = boost::json;

json::object allowlist_json(const meta::CveAllowlist& list) {
  json::array items;
  for (const auto& id : list.cve_ids) items.push_back(json::object{{"cve_id", id}});
  json::object out{{"id", list.project_id + 1},
                   {"project_id", list.project_id},
                   {"items", std::move(items)},
                   {"creation_time", format_time(list.updated)},
                   {"update_time", format_time(list.updated)}};
  if (list.expires_at >= 0) out["expires_at"] = list.expires_at;
  return out;
}

base::Result<meta::CveAllowlist, http::Response> parse_allowlist(const json::object& body,
                                                                 std::int64_t project_id) {
  meta::CveAllowlist list;
  list.project_id = project_id;
  auto expires = int_member(body, "expires_at");
  if (!expires) return std::move(expires).error();
  list.expires_at = expires->value_or(-1);
  if (const auto* items = body.if_contains("items"); items != nullptr && !items->is_null()) {
    if (!items->is_array()) return error_response(400, "items must be an array of {\"cve_id\": ...}");
    for (const auto& item : items->get_array()) {
      if (!item.is_object()) return error_response(400, "items must be an array of {\"cve_id\": ...}");
      auto id = string_member(item.get_object(), "cve_id");
      if (!id) return std::move(id).error();
      if (!*id || (*id)->empty() || (*id)->size() > 128 || (*id)->find('\n') != std::string::npos)
        return error_response(400, "each item needs a cve_id");
      list.cve_ids.push_back(**id);
    }
  }
  return list;
}

json::object scan_overview_json(const meta::ScanRecord& r, std::string_view version) {
  json::object summary;
  if (!r.summary.empty()) {
    boost::system::error_code ec;
    json::value v = json::parse(r.summary, ec);
    if (!ec && v.is_object()) {
      summary = std::move(v.get_object());
      summary.erase("platforms");
    }
  }
  const auto seconds = [](auto d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); };
  const bool done = r.finished.time_since_epoch().count() != 0;
  json::object native{
      {"report_id", r.digest},
      {"scan_status", r.status},
      {"severity", r.severity.empty() ? "Unknown" : r.severity},
      {"duration",
       done && r.started.time_since_epoch().count() != 0 ? seconds(r.finished - r.started) : std::int64_t{0}},
      {"summary", std::move(summary)},
      {"start_time", format_time(r.started)},
      {"end_time", done ? format_time(r.finished) : std::string()},
      {"complete_percent", r.status == "Success" || r.status == "Error" ? 100 : 0},
      {"scanner", {{"name", "Berth"}, {"vendor", "Berth"}, {"version", version}}}};
  json::object out;
  out[scan::kHarborReportMediaType] = std::move(native);
  return out;
}

json::object sbom_overview_json(const meta::ScanRecord& r) {
  const bool done = r.finished.time_since_epoch().count() != 0;
  return json::object{{"start_time", format_time(r.started)},
                      {"end_time", done ? format_time(r.finished) : std::string()},
                      {"scan_status", r.sbom_digest.empty() ? r.status : std::string("Success")},
                      {"sbom_digest", r.sbom_digest},
                      {"report_id", r.digest}};
}

}  // namespace berth::api::rest
