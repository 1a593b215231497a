// Turns a ListQuery (Harbor's q= filters, sort, page) into SQLite SQL for one listing.
// Internal to src/meta.
//
// Safety: field names and sort keys from the caller are only looked up in the listing's
// QuerySchema, whose SQL expressions come from code; every value the caller gives is
// bound as a '?' parameter. No caller text is ever part of the SQL.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "meta/query.h"
#include "meta/sqlite_core.h"

namespace berth::meta::sqlite {

// SQL text with its '?' parameters, in order.
struct SqlFragment {
  std::string sql;
  std::vector<SqlValue> params;
};

// How a field's values are read and compared.
enum class FieldType {
  text,         // compared as given; fuzzy = case-insensitive (ASCII) substring
  integer,      // base-10 int64
  time_millis,  // stored as unix milliseconds; values are unix seconds,
                // "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DDTHH:MM:SSZ" (UTC), each naming a whole second
  boolean,      // "true"/"false" (or "1"/"0"); the expression yields 1 or 0
};

// Filter kinds a field accepts, as a bit mask.
inline constexpr unsigned kExact = 1u << 0;
inline constexpr unsigned kFuzzy = 1u << 1;
inline constexpr unsigned kRange = 1u << 2;
inline constexpr unsigned kAnyOf = 1u << 3;
inline constexpr unsigned kAllOf = 1u << 4;  // only custom fields can state what "all of" means

struct QueryField {
  std::string name;        // as the caller spells it
  std::string expression;  // SQL expression over the listing's tables (trusted)
  FieldType type = FieldType::text;
  unsigned kinds = kExact;
  // For a field that is not one expression: builds the whole condition for a filter of
  // an accepted kind. `expression` and `type` are then unused.
  std::function<base::Result<SqlFragment>(const Filter&)> condition;
};

// A field that is one SQL expression.
inline QueryField column_field(std::string name, std::string expression, FieldType type, unsigned kinds) {
  return QueryField{std::move(name), std::move(expression), type, kinds, {}};
}

// A field whose condition `condition` builds.
inline QueryField custom_field(std::string name, unsigned kinds,
                               std::function<base::Result<SqlFragment>(const Filter&)> condition) {
  return QueryField{std::move(name), {}, FieldType::text, kinds, std::move(condition)};
}

struct SortField {
  std::string name;        // as the caller spells it
  std::string expression;  // SQL expression (trusted)
};

// What one listing accepts.
struct QuerySchema {
  std::vector<QueryField> fields;
  std::vector<SortField> sorts;
  std::string default_order;  // ORDER BY body when the query names no sort (trusted)
  std::string tie_break;      // appended to a requested sort, in its last key's direction
};

struct CompiledQuery {
  SqlFragment where;        // every filter's condition joined with AND; "1" if none
  std::string order_by;     // ORDER BY body
  std::int64_t limit = -1;  // SQLite LIMIT: -1 = none
  std::int64_t offset = 0;
};

// Errors: invalid_argument for a field or sort key the schema does not list ("unknown
// query field X"), a kind the field does not accept, or a value of the wrong type.
base::Result<CompiledQuery> compile_query(const ListQuery& query, const QuerySchema& schema);

// A time value of a query (see FieldType::time_millis) as unix seconds.
// Errors: invalid_argument.
base::Result<std::int64_t> parse_query_time(std::string_view value);

// `text` with LIKE's wildcards escaped (escape character '\'), wrapped in '%...%'.
std::string like_substring(std::string_view text);

// The fixed part of a listing: SELECT <columns> FROM <from> WHERE <base>.
struct ListingSql {
  std::string columns;
  std::string from;
  SqlFragment base;  // conditions every row meets; empty for none
};

// Runs the count and the page of a listing on `c`; `row` turns each result row (columns
// as ListingSql::columns lists them) into a T.
template <class T, class RowFn>
base::Result<Listing<T>> run_listing(Connection& c, const ListingSql& sql, const ListQuery& query,
                                     const QuerySchema& schema, RowFn&& row) {
  auto compiled = compile_query(query, schema);
  if (!compiled) return std::move(compiled).error();
  std::string where =
      sql.base.sql.empty() ? compiled->where.sql : "(" + sql.base.sql + ") AND " + compiled->where.sql;
  std::vector<SqlValue> params = sql.base.params;
  params.insert(params.end(), compiled->where.params.begin(), compiled->where.params.end());

  Listing<T> listing;
  {
    auto count = c.prepare_uncached("SELECT COUNT(*) FROM " + sql.from + " WHERE " + where);
    if (!count) return std::move(count).error();
    auto total = optional_int64(count->bind_all(params));
    if (!total) return std::move(total).error();
    listing.total = total->value_or(0);
  }
  auto page = c.prepare_uncached("SELECT " + sql.columns + " FROM " + sql.from + " WHERE " + where +
                                 " ORDER BY " + compiled->order_by + " LIMIT ? OFFSET ?");
  if (!page) return std::move(page).error();
  params.emplace_back(compiled->limit);
  params.emplace_back(compiled->offset);
  page->bind_all(params);
  for (;;) {
    auto next = page->step();
    if (!next) return std::move(next).error();
    if (!*next) return listing;
    listing.items.push_back(row(static_cast<const Statement&>(*page)));
  }
}

}  // namespace berth::meta::sqlite
