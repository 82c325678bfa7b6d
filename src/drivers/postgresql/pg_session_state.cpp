// PgConnection::record_session_state() and restore_session_state(): what a borrower's own
// SQL can leave on a server session for the next borrower. A temporary table hides the
// table of its name, so the next borrower's committed rows would go into it and vanish
// with the session; a SET search_path sends them to another schema; a role, a session
// advisory lock, a LISTEN or a held cursor stays. Putting each back by hand would miss
// what the list does not name, so a session whose state differs from what it had when
// it was made is closed instead: the pool opens a fresh one.
#include "drivers/postgresql/pg_connection.hpp"

#include <string>

namespace alchemy::detail::pg {
namespace {

constexpr const char* session_state_sql =
    "SELECT concat_ws('|', session_user, current_user, "
    "(SELECT md5(string_agg(name || '=' || setting, ',' ORDER BY name)) FROM pg_settings), "
    "(SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()), "
    "(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()), "
    "(SELECT count(*) FROM pg_listening_channels()), "
    "(SELECT count(*) FROM pg_cursors WHERE is_holdable))";

}  // namespace

std::string PgConnection::session_state() {
    std::string state;
    auto& rows = execute(session_state_sql, {});
    while (rows.next()) state = rows.read_text(0);
    rows.close();  // the borrower's cursors hold no rows of ours
    return state;
}

void PgConnection::record_session_state() { recorded_state_ = session_state(); }

bool PgConnection::restore_session_state() { return session_state() == recorded_state_; }

}  // namespace alchemy::detail::pg
