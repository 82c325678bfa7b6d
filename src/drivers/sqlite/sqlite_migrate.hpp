// The SQLite folder's parts of migrations, which sqlite_migrate.cpp puts together.
#pragma once

#include "migrate/alter.hpp"

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy::detail {
/// The tables of the main database, in no particular order (sqlite_inspect.cpp).
std::vector<Table> inspect_sqlite(Connection& conn, std::span<const std::string> exclude);

/// What a column's definition in CREATE TABLE says that inspect_sqlite() does not report.
struct SqliteColumnFacts {
    std::string name;
    std::optional<std::string> collation;  ///< COLLATE name, as written
    bool autoincrement = false;
    bool generated = false;  ///< [GENERATED ALWAYS] AS (expression)
};
/// The columns of `table` as its CREATE TABLE text `sql` defines them, in order.
std::vector<SqliteColumnFacts> sqlite_column_facts(std::string_view table, std::string_view sql);
}  // namespace alchemy::detail

namespace alchemy::migrate::detail {
/// Alters what SQLite's ALTER TABLE can and rebuilds the table for the rest (sqlite_alter.cpp).
std::unique_ptr<TableAlterer> make_sqlite_alterer(const DdlRenderer& ddl, const Dialect& dialect);
}  // namespace alchemy::migrate::detail
