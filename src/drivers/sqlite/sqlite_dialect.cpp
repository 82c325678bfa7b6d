// SQLite's Dialect: positional "?" placeholders and the two isolation levels it has.
#include "drivers/sqlite/sqlite_dialect.hpp"

#include "alchemy/core/error.hpp"

#include <fmt/format.h>

namespace alchemy::detail::sqlite {

void SqliteDialect::append_placeholder(std::string& out, int) const { out += '?'; }

// SQLite transactions are serializable; only a shared-cache connection can be told to
// read uncommitted data, and that is connection state. SQLAlchemy's pysqlite dialect uses
// the same two pragmas.
std::string SqliteDialect::connection_isolation_sql(IsolationLevel level) const {
    switch (level) {
    case IsolationLevel::serializable: return "PRAGMA read_uncommitted = 0";
    case IsolationLevel::read_uncommitted: return "PRAGMA read_uncommitted = 1";
    default:
        throw ArgumentError(fmt::format(
            "alchemy: SQLite does not support isolation_level '{}'; use SERIALIZABLE, "
            "READ UNCOMMITTED or AUTOCOMMIT",
            to_string(level)));
    }
}

std::string SqliteDialect::begin_sql(std::optional<IsolationLevel> level) const {
    if (level) connection_isolation_sql(*level);  // refuses the levels SQLite lacks
    return "BEGIN";
}

}  // namespace alchemy::detail::sqlite
