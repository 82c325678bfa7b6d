// Renders statement parameters for the echo log, SQLAlchemy style: (1, 'john', NULL).
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/core/param.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace alchemy::detail {

/// Long strings are cut, blobs shown by size and control characters as \xNN: the log stays
/// readable and a value can never start a line of its own.
std::string render_params(std::span<const Param> params);

/// "[1000 rows; first: (1, 'john')]" for a batch of rows of `per_row` parameters: only
/// the first row, as a batch of thousands would drown the log.
std::string render_batch(std::span<const Param> params, std::size_t per_row);

/// `COPY "table" ("a", "b") FROM STDIN`, what a bulk load amounts to.
std::string render_copy(const Dialect& dialect, std::string_view table,
                        std::span<const std::string_view> columns);
/// "[1 row]", "[1000 rows]".
std::string render_row_count(std::size_t rows);

}  // namespace alchemy::detail
