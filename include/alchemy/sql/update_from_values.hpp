// One UPDATE for many rows, each with its own values: the rows arrive as a VALUES list
// joined to the table by key, so the database plans and runs one statement instead of
// one per row (the ORM's flush on PostgreSQL).
//
//   UPDATE "t" SET "a" = "sa_values"."column1"
//   FROM (VALUES (CAST($1 AS INTEGER), CAST($2 AS BIGINT)), ($3, $4)) AS "sa_values"
//   WHERE "t"."id" = "sa_values"."column2"
//
// Part of what the sql layer exports to the ORM (src/orm/model_statements.cpp renders its
// flush with it), not a detail of the sql layer; users write typed update<T>() instead.
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/schema/table.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace alchemy::detail {

/// A column set to fixed SQL text (sa::onupdate()'s) rather than a bound value.
struct SqlAssignment {
    std::size_t column;
    std::string_view sql;
};

/// UPDATE `table` SET each of `set_columns` from a VALUES list of `rows` rows, and each
/// of `set_sql` to its SQL, joined on `match_columns` (indexes into table.columns)
/// [RETURNING the `returning` columns of the updated rows]. Each VALUES row binds the
/// set values, then the match values. On PostgreSQL the first row's casts give the
/// VALUES columns their types; SQLite needs none.
std::string render_update_from_values(const Dialect& dialect, const Table& table,
                                      std::span<const std::size_t> set_columns,
                                      std::span<const std::size_t> match_columns, std::size_t rows,
                                      std::span<const SqlAssignment> set_sql = {},
                                      std::span<const std::size_t> returning = {});

}  // namespace alchemy::detail
