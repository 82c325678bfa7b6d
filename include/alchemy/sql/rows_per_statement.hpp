// How many rows one multi-row statement carries: INSERT ... VALUES of many objects
// (insert.hpp, bulk_insert.hpp) and the ORM's UPDATE ... FROM (VALUES ...). The one rule:
// as many rows as the database's limit on bound parameters allows, at most
// max_rows_per_statement.
//
// Why a function of the Dialect and not of the connection: the SQL text of a full batch
// is rendered once per statement type and dialect (sql_cache.hpp), so the rows in a full
// batch must be the same for every connection of a dialect. Dialect::parameter_limit() is
// therefore each database's documented default, not what one connection reports.
//
// Part of what the sql layer exports, not a detail of it: the ORM's flush cuts its
// INSERT and UPDATE batches by the same rule (src/orm/model_statements.cpp).
#pragma once

#include "alchemy/core/dialect.hpp"

#include <algorithm>
#include <cstddef>

namespace alchemy::detail {

/// Past about 1000 rows a statement saves nothing more per row, while its text, parse and
/// plan keep growing with it (SQLite: about 1 µs of prepare per row).
inline constexpr std::size_t max_rows_per_statement = 1000;

/// Rows of `params_per_row` parameters that fit one statement of at most `limit`
/// parameters when `other_params` go to the rest of it (an upsert's SET, say): at least
/// one, at most max_rows_per_statement.
constexpr std::size_t rows_per_statement(std::size_t limit, std::size_t params_per_row,
                                         std::size_t other_params = 0) noexcept {
    const std::size_t room = limit > other_params ? limit - other_params : 0;
    return std::clamp<std::size_t>(room / std::max<std::size_t>(params_per_row, 1), 1,
                                   max_rows_per_statement);
}

/// The rule for `dialect`; see the file comment.
inline std::size_t rows_per_statement(const Dialect& dialect, std::size_t params_per_row,
                                      std::size_t other_params = 0) noexcept {
    return rows_per_statement(dialect.parameter_limit(), params_per_row, other_params);
}

}  // namespace alchemy::detail
