// SqliteConnection::record_session_state() and restore_session_state(): what a borrower's
// own SQL can leave on a connection for the next one, put back before the pool hands it on.
// A temporary table hides the main table of its name, so the next borrower's committed
// rows would go into it and vanish with the connection; PRAGMA foreign_keys = OFF would let
// its writes skip their checks; an attached database would stay attached.
#include "drivers/drivers.hpp"
#include "drivers/sqlite/sqlite_connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace alchemy::detail::sqlite {
namespace {

/// The connection's own PRAGMAs that change what a statement checks or does, or how
/// durably it commits.
constexpr std::array<std::string_view, 11> kept_pragmas{
    "foreign_keys",   "recursive_triggers", "ignore_check_constraints",
    "query_only",     "legacy_alter_table", "reverse_unordered_selects",
    "trusted_schema", "writable_schema",    "synchronous",
    "busy_timeout",   "automatic_index"};

std::string pragma_values_sql() {
    std::string sql = "SELECT * FROM ";
    for (std::size_t i = 0; i < kept_pragmas.size(); ++i)
        sql += fmt::format("{}pragma_{}()", i == 0 ? "" : ", ", kept_pragmas[i]);
    return sql;
}

}  // namespace

std::vector<std::int64_t> SqliteConnection::pragma_values() {
    static const std::string sql = pragma_values_sql();
    std::vector<std::int64_t> values;
    // Read to the end and closed: a statement left stepping would hold a read transaction
    // open, and with it SQLite's lock.
    auto& rows = execute(sql, {});
    while (rows.next())
        for (std::size_t i = 0; i < kept_pragmas.size(); ++i)
            values.push_back(rows.read_int(static_cast<int>(i)));
    rows.close();
    return values;
}

std::vector<std::string> SqliteConnection::attached_databases() {
    std::vector<std::string> names;
    auto& rows = execute("SELECT name FROM pragma_database_list WHERE name NOT IN ('main', 'temp')", {});
    while (rows.next()) names.emplace_back(rows.read_text(0));
    rows.close();
    return names;
}

void SqliteConnection::record_session_state() {
    recorded_pragmas_ = pragma_values();
    recorded_databases_ = attached_databases();
}

bool SqliteConnection::restore_session_state() {
    const auto& dialect = sqlite_driver().dialect();
    const auto values = pragma_values();
    for (std::size_t i = 0; i < values.size() && i < recorded_pragmas_.size(); ++i)
        if (values[i] != recorded_pragmas_[i])
            execute_script(fmt::format("PRAGMA {} = {}", kept_pragmas[i], recorded_pragmas_[i]));

    // Triggers first: one on a main table fires on the next borrower's writes to it.
    std::vector<std::pair<std::string, std::string>> temporary;  // kind, name
    auto& rows = execute(
        "SELECT type, name FROM temp.sqlite_master WHERE type IN ('trigger', 'view', 'table') "
        "ORDER BY CASE type WHEN 'trigger' THEN 0 WHEN 'view' THEN 1 ELSE 2 END",
        {});
    while (rows.next()) temporary.emplace_back(rows.read_text(0), rows.read_text(1));
    rows.close();
    for (const auto& [kind, name] : temporary)  // the kinds are keywords too
        execute_script(fmt::format("DROP {} IF EXISTS temp.{}", kind, dialect.quote_identifier(name)));

    const auto databases = attached_databases();
    for (const auto& name : databases)
        if (std::find(recorded_databases_.begin(), recorded_databases_.end(), name) ==
            recorded_databases_.end())
            execute_script("DETACH DATABASE " + dialect.quote_identifier(name));
    // One the connection had and a borrower detached cannot come back from here.
    return std::all_of(recorded_databases_.begin(), recorded_databases_.end(), [&](const std::string& name) {
        return std::find(databases.begin(), databases.end(), name) != databases.end();
    });
}

}  // namespace alchemy::detail::sqlite
