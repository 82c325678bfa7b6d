// SQLite's Dialect: positional "?" placeholders, the two isolation levels it has, and its
// spelling of operators and casts.
#include "drivers/sqlite/sqlite_dialect.hpp"

#include "alchemy/core/error.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <limits>

namespace alchemy::detail::sqlite {

void SqliteDialect::append_placeholder(std::string& out, int) const { out += '?'; }

// The NULL-safe comparisons are IS and IS NOT; LIKE already ignores ASCII case.
std::string_view SqliteDialect::operator_spelling(std::string_view op) const noexcept {
    if (op == "IS NOT DISTINCT FROM") return "IS";
    if (op == "IS DISTINCT FROM") return "IS NOT";
    if (op == "ILIKE") return "LIKE";
    if (op == "NOT ILIKE") return "NOT LIKE";
    return op;
}

// SQLite decides a cast by type affinity, so its names are those of the affinities:
// DATETIME would be NUMERIC and turn '2024-05-01 ...' into 2024, where TEXT keeps the
// timestamp text.
std::string_view SqliteDialect::cast_type(std::string_view portable) const noexcept {
    if (portable == "SMALLINT" || portable == "BIGINT") return "INTEGER";
    if (portable == "DOUBLE PRECISION") return "REAL";
    if (portable == "TIMESTAMP" || portable == "DATE") return "TEXT";
    return portable;
}

// SQLite transactions are serializable; only a shared-cache connection can be told to
// read uncommitted data, and that is connection state. SQLAlchemy's pysqlite dialect uses
// the same two pragmas.
std::string SqliteDialect::connection_isolation_sql(IsolationLevel level) const {
    switch (level) {
    case IsolationLevel::serializable: return "PRAGMA read_uncommitted = 0";
    case IsolationLevel::read_uncommitted: return "PRAGMA read_uncommitted = 1";
    default:
        throw ArgumentError(
            fmt::format("alchemy: SQLite does not support isolation_level '{}'; use SERIALIZABLE, "
                        "READ UNCOMMITTED or AUTOCOMMIT",
                        to_string(level)));
    }
}

std::string SqliteDialect::begin_sql(std::optional<IsolationLevel> level) const {
    if (level) connection_isolation_sql(*level);  // refuses the levels SQLite lacks
    return "BEGIN";
}

// The level is connection state here, which one transaction cannot change exactly; a
// read-only transaction is PRAGMA query_only for its duration. It begins DEFERRED even
// on a connection whose transactions begin IMMEDIATE (sqlite_driver.cpp): it never needs
// the write lock, so it must not keep writers waiting.
TransactionSql SqliteDialect::transaction_sql(const TransactionOptions& options,
                                              std::optional<IsolationLevel> connection_level) const {
    if (options.isolation_level) {
        connection_isolation_sql(*options.isolation_level);  // refuses the levels SQLite lacks
        const auto current = connection_level.value_or(IsolationLevel::serializable);
        if (*options.isolation_level != current)
            throw ArgumentError(
                fmt::format("alchemy: SQLite sets the isolation level per connection, not per transaction; "
                            "call conn.set_isolation_level(sa::IsolationLevel::{}) before begin() instead",
                            *options.isolation_level == IsolationLevel::read_uncommitted ? "read_uncommitted"
                                                                                         : "serializable"));
    }
    if (!options.read_only) return {"BEGIN", {}, {}};
    return {"BEGIN DEFERRED", "PRAGMA query_only = 1", "PRAGMA query_only = 0"};
}

KeyNumberingSql SqliteDialect::key_numbering_sql(std::string_view table, std::string_view column) const {
    // A new row's key is one past the table's largest, or random once that is the largest
    // integer: the rows still to insert (?2) must fit below it. A key column with a
    // default is not the rowid's alias (whose default SQLite ignores), and the default
    // gives keys in any order. The INSERT names the table bare, so it is main's unless
    // temp has one of that name, and a temporary trigger may watch a table of main. Names
    // compare as SQLite's do.
    const auto key = quote_identifier(column);
    const auto from = quote_identifier(table);
    KeyNumberingSql sql;
    sql.check = fmt::format(
        "SELECT CASE WHEN coalesce((SELECT max({}) FROM {}), 0) > 9223372036854775807 - ?2"
        " OR EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?3 COLLATE NOCASE"
        " AND dflt_value IS NOT NULL) THEN 0"
        " WHEN EXISTS (SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE)"
        " AND NOT EXISTS (SELECT 1 FROM main.sqlite_master WHERE type = 'trigger' AND tbl_name = ?1 COLLATE "
        "NOCASE) AND NOT EXISTS (SELECT 1 FROM temp.sqlite_master WHERE tbl_name = ?1 COLLATE NOCASE) THEN 2"
        " ELSE 1 END",
        key, from);
    // The INSERT stored all its rows (?1: an ON CONFLICT IGNORE clause may skip some
    // silently), the last is the table's largest key, and that key is its rowid: the key
    // column is the rowid's alias (INTEGER PRIMARY KEY; elsewhere SQLite generates none).
    sql.last_key = fmt::format(
        "SELECT CASE WHEN changes() = ?1 AND max({0}) = last_insert_rowid() AND (SELECT {0} FROM {1} WHERE "
        "rowid = last_insert_rowid()) = last_insert_rowid() THEN last_insert_rowid() END FROM {1}",
        key, from);
    return sql;
}

}  // namespace alchemy::detail::sqlite
