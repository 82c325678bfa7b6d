// The SQLite folder's parts of migrations, which sqlite_migrate.cpp puts together.
#pragma once

#include "migrate/alter.hpp"

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace alchemy::detail {
/// The tables of the main database, in no particular order (sqlite_inspect.cpp).
std::vector<Table> inspect_sqlite(Connection& conn, std::span<const std::string> exclude);
}  // namespace alchemy::detail

namespace alchemy::migrate::detail {
/// Alters what SQLite's ALTER TABLE can and rebuilds the table for the rest (sqlite_alter.cpp).
std::unique_ptr<TableAlterer> make_sqlite_alterer(const DdlRenderer& ddl, const Dialect& dialect);
}  // namespace alchemy::migrate::detail
