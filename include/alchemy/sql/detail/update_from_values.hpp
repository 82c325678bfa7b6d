// One UPDATE for many rows, each with its own values: the rows arrive as a VALUES list
// joined to the table by key, so the database plans and runs one statement instead of
// one per row (the ORM's flush on PostgreSQL).
//
//   UPDATE "t" SET "a" = "sa_values"."column1"
//   FROM (VALUES (CAST($1 AS INTEGER), CAST($2 AS BIGINT)), ($3, $4)) AS "sa_values"
//   WHERE "t"."id" = "sa_values"."column2"
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/schema/table.hpp"

#include <cstddef>
#include <span>
#include <string>

namespace alchemy::detail {

/// UPDATE `table` SET each of `set_columns` from a VALUES list of `rows` rows, joined on
/// `match_columns` (both indexes into table.columns). Each VALUES row binds the set
/// values, then the match values. On PostgreSQL the first row's casts give the VALUES
/// columns their types; SQLite needs none.
std::string render_update_from_values(const Dialect& dialect, const Table& table,
                                      std::span<const std::size_t> set_columns,
                                      std::span<const std::size_t> match_columns, std::size_t rows);

}  // namespace alchemy::detail
