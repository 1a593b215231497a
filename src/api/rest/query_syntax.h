// Harbor's listing parameters as the management API reads them: the `q` filter language and
// the `sort` key. Pure; the listing's SQL is built from the result by meta (sqlite_query.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "meta/query.h"

namespace berth::api::rest {

// Parses q as the query string's decoding left it (Harbor decodes it once more when it still
// holds '%': clients send "tags%253Dnil" as well as "tags%3Dnil"): comma-separated terms
// "k=v" (exact; "k=\"v\"" quoted, "k=\\v" escaped), "k=~v" (fuzzy), "k=[a~b]" (range, one
// bound may be empty), "k={a b c}" (any of), "k=(a b c)" (all of). An empty q is no filter.
// Errors: the message of a 400.
base::Result<std::vector<meta::Filter>, std::string> parse_q(std::string_view q);

// The key a sort asks for: its first comma-separated key, "-" in front for descending.
// nullopt when that key is not a field name ([A-Za-z0-9_.-]+).
std::optional<std::string> parse_sort(std::string_view sort);

}  // namespace berth::api::rest
