// What SQLite takes as a column's DEFAULT, for its DDL (sqlite_ddl.cpp) and its
// ALTER TABLE (sqlite_alter.cpp).
#pragma once

#include <string_view>

namespace alchemy::detail {
/// A signed number, a '...' or X'...' literal, NULL, TRUE or FALSE: the defaults
/// ALTER TABLE ... ADD COLUMN accepts, and CREATE TABLE accepts without parentheses.
bool sqlite_is_constant_default(std::string_view sql) noexcept;
}  // namespace alchemy::detail
