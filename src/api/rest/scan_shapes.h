// Internal to api/rest: the JSON shapes of scanning that several resources share: a CVE
// allowlist (system and project), and an artifact's scan and SBOM overviews.
#pragma once

#include <boost/json/object.hpp>

#include "api/rest/rest.h"
#include "meta/scan_database.h"

namespace berth::api::rest {

// Harbor's CVEAllowlist: {id, project_id, expires_at, items: [{cve_id}], creation_time, update_time}.
boost::json::object allowlist_json(const meta::CveAllowlist& list);
// Reads a CVEAllowlist body. Errors: a 400 response.
base::Result<meta::CveAllowlist, http::Response> parse_allowlist(const boost::json::object& body,
                                                                 std::int64_t project_id);

// Harbor's scan_overview value: {"<report mime type>": NativeReportSummary}.
boost::json::object scan_overview_json(const meta::ScanRecord& record, std::string_view version);
// Harbor's sbom_overview (start/end time, scan_status, sbom_digest, duration).
boost::json::object sbom_overview_json(const meta::ScanRecord& record);

}  // namespace berth::api::rest
