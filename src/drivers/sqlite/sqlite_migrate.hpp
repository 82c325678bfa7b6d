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
/// A UNIQUE, CHECK or FOREIGN KEY constraint of a CREATE TABLE.
struct SqliteConstraintFacts {
    std::string name;        ///< as inspect_sqlite() names it, given or not
    std::string definition;  ///< "UNIQUE (a, b)", "CHECK (a > 0)", "FOREIGN KEY (a) REFERENCES t"
};
/// A PRIMARY KEY, UNIQUE or NOT NULL constraint of a CREATE TABLE, with its conflict
/// clause: what a statement that breaks it does instead of failing.
struct SqliteConflictFacts {
    std::string constraint;  ///< "PRIMARY KEY (a, b)", "UNIQUE (a)", "NOT NULL (a)"
    /// "REPLACE", "IGNORE", "FAIL" or "ROLLBACK"; empty for none, or ABORT (the default).
    std::string resolution;
};
/// What CREATE TABLE says of a table that inspect_sqlite() does not report.
struct SqliteTableFacts {
    std::vector<SqliteColumnFacts> columns;  ///< in order
    bool strict = false;
    bool without_rowid = false;
    /// The columns of each foreign key DEFERRABLE INITIALLY DEFERRED: checked at COMMIT,
    /// not at each statement.
    std::vector<std::vector<std::string>> deferred_foreign_keys;
    /// The columns of every foreign key.
    std::vector<std::vector<std::string>> foreign_keys;
    std::vector<SqliteConstraintFacts> constraints;
    std::vector<SqliteConflictFacts> conflicts;
};
/// The facts of `table` as its CREATE TABLE text `sql` gives them.
SqliteTableFacts sqlite_table_facts(std::string_view table, std::string_view sql);
/// Whether a key of the CREATE INDEX text `sql` has a collation or an order written out,
/// which Index cannot describe.
bool sqlite_index_has_key_options(std::string_view sql);
/// The statement that fires the CREATE TRIGGER text `sql`: "INSERT", "UPDATE" or "DELETE".
std::string_view sqlite_trigger_event(std::string_view sql);
}  // namespace alchemy::detail

namespace alchemy::migrate::detail {
/// The comment line (without its "-- ") by which a rebuild says that it drops a constraint
/// of the table on purpose: "rebuild of TABLE drops constraint NAME". sqlite_alter.cpp
/// writes one for each constraint the models no longer have; the revision guard
/// (sqlite_migrate.cpp) refuses to lose any other.
inline constexpr std::string_view rebuild_of = "rebuild of ";
inline constexpr std::string_view drops_constraint = " drops constraint ";

/// Alters what SQLite's ALTER TABLE can and rebuilds the table for the rest (sqlite_alter.cpp).
std::unique_ptr<TableAlterer> make_sqlite_alterer(const DdlRenderer& ddl, const Dialect& dialect);
}  // namespace alchemy::migrate::detail
