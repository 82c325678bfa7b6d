// Helpers for each backend's catalog reader (MigrateBackend::inspect in
// migrate/backend.hpp), which reads the tables it finds into the schema layer's types.
// inspect.cpp chooses the reader, orders the result and owns the transaction.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/schema/table.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy::detail {

/// True when `table` is one of the names inspect() was asked to leave out.
bool is_excluded(std::string_view table, std::span<const std::string> exclude) noexcept;

/// The offset of the parenthesis closing the one at `open`, skipping text in single or
/// double quotes; npos if there is none.
std::size_t closing_paren(std::string_view sql, std::size_t open) noexcept;
/// `sql` without the parentheses that enclose all of it: "((a > 0))" -> "a > 0".
std::string_view without_enclosing_parens(std::string_view sql) noexcept;

}  // namespace alchemy::detail
