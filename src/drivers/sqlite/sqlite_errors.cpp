// The one place SQLite's result codes become SQLSTATEs, so that src/core/error.cpp
// picks the same exception class for SQLite as for PostgreSQL.
#include "drivers/sqlite/sqlite_errors.hpp"

#include "alchemy/core/error.hpp"
#include "core/printable.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace alchemy::detail::sqlite {
namespace {

// SQLITE_ERROR covers every compile-time failure; its message is the only detail.
std::string_view sqlstate_for_generic_error(std::string_view message) noexcept {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> fragments{{
        {"syntax error", "42601"},
        {"incomplete input", "42601"},
        {"no such table", "42P01"},
        {"no such column", "42703"},
        {"has no column named", "42703"},
        {"no such function", "42883"},
        {"no such index", "42704"},
        {"duplicate column name", "42701"},
        {"already exists", "42P07"},
        // A LIKE or GLOB pattern longer than SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 54000,
        // program_limit_exceeded, as PostgreSQL reports its own limits.
        {"pattern too complex", "54000"},
    }};
    if (message.starts_with("near ")) return "42601";
    for (const auto& [fragment, sqlstate] : fragments)
        if (message.find(fragment) != std::string_view::npos) return sqlstate;
    return "42000";
}

std::string_view sqlstate_for_constraint(int extended_code) noexcept {
    switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID: return "23505";
    case SQLITE_CONSTRAINT_FOREIGNKEY: return "23503";
    case SQLITE_CONSTRAINT_NOTNULL: return "23502";
    case SQLITE_CONSTRAINT_CHECK: return "23514";
    default: return "23000";
    }
}

}  // namespace

std::string_view sqlstate_for(int extended_code, std::string_view message) noexcept {
    switch (extended_code & 0xff) {
    case SQLITE_ERROR: return sqlstate_for_generic_error(message);
    case SQLITE_CONSTRAINT: return sqlstate_for_constraint(extended_code);
    case SQLITE_BUSY:
        // In WAL mode a reader that cannot become a writer must restart its transaction.
        return extended_code == SQLITE_BUSY_SNAPSHOT ? "40001" : "55P03";
    case SQLITE_LOCKED: return "55P03";
    case SQLITE_ABORT: return "40000";
    case SQLITE_INTERRUPT: return "57014";
    case SQLITE_CANTOPEN: return "08001";
    case SQLITE_PROTOCOL: return "08P01";
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_NOLFS: return "58030";
    case SQLITE_FULL: return "53100";
    case SQLITE_NOMEM: return "53200";
    case SQLITE_TOOBIG: return "22001";
    case SQLITE_MISMATCH: return "22P02";
    case SQLITE_RANGE: return "22003";
    case SQLITE_READONLY: return "25006";
    case SQLITE_PERM:
    case SQLITE_AUTH: return "42501";
    case SQLITE_MISUSE: return "42000";
    case SQLITE_INTERNAL: return "XX000";
    default: return "HY000";
    }
}

bool is_fatal(int extended_code) noexcept {
    const int primary = extended_code & 0xff;
    return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB || primary == SQLITE_IOERR;
}

void raise_error(Handle& handle, int extended_code, std::string message, std::string_view sql) {
    const bool fatal = is_fatal(extended_code);
    if (fatal) handle.broken = true;
    std::string sqlstate(sqlstate_for(extended_code, message));
    if (sqlstate == "54000" && handle.db)
        // SQLite's text does not say which limit: name it, with this connection's value.
        message += fmt::format(
            " (the pattern is longer than SQLite's LIKE pattern limit, "
            "SQLITE_LIMIT_LIKE_PATTERN_LENGTH = {} bytes)",
            sqlite3_limit(handle.db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, -1));
    // SQLite's messages may quote values: a CHECK or RAISE() text, a file name.
    throw_database_error(std::move(sqlstate), printable(message), std::string(sql), fatal);
}

}  // namespace alchemy::detail::sqlite
