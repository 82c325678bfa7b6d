// BEGIN and ROLLBACK without round trips of their own.
//
// A plain BEGIN is not sent when asked for: it waits for the transaction's first
// statement and travels in the same pipeline, and a transaction that runs nothing ends
// without a word to the server. A first statement that is to be prepared sends the BEGIN
// ahead of its Parse instead, so that a failing Parse aborts the transaction.
//
// A ROLLBACK is sent at once, so the server ends the transaction and lets go of its locks
// at once, but its reply is not awaited: whatever runs next on the connection reads it
// first. When that is the next transaction's deferred BEGIN with its first statement,
// all three travel in one round trip, so a Session per request costs one round trip for
// a read, not two. A reply that reports a failure (in practice, a connection lost since)
// surfaces in that next call; the connection is then broken and replaced, as one that
// died while idle in the pool would be. pool_pre_ping reads the reply at checkout.
#include "alchemy/core/error.hpp"
#include "drivers/postgresql/pg_connection.hpp"

#include <utility>

namespace alchemy::detail::pg {
namespace {

/// "BEGIN" or "BEGIN ISOLATION LEVEL ...": one statement that only opens a transaction.
bool is_plain_begin(std::string_view sql) {
    return sql.starts_with("BEGIN") && (sql.size() == 5 || sql[5] == ' ') &&
           sql.find(';') == std::string_view::npos;
}

// What a failure in the reply of a ROLLBACK sent earlier is reported as: it surfaces in
// whichever call runs next on the connection.
constexpr std::string_view rollback_context = "ROLLBACK (of the connection's previous transaction)";

}  // namespace

void PgConnection::execute_script(std::string_view sql) {
    refuse_while_streaming();
    if (is_plain_begin(sql) && !in_transaction()) {
        pending_begin_.assign(sql);
        begin_pending_ = true;
        // With a ROLLBACK in flight the zone is known once its reply is read.
        settings_at_begin_ = rollback_in_flight_ ? std::nullopt : std::optional<bool>(settings_as_set());
        return;
    }
    if (begin_pending_ && (sql == "COMMIT" || sql == "ROLLBACK")) {
        begin_pending_ = false;
        return;  // nothing ran, nothing to end
    }
    if (sql == "ROLLBACK" && !begin_pending_ && in_transaction()) return send_rollback();
    settle();
    if (begin_pending_) {
        begin_pending_ = false;
        const std::string script = pending_begin_ + "; " + std::string(sql);
        checked(PQexec(connection_.get(), script.c_str()), sql);
        return;
    }
    checked(PQexec(connection_.get(), terminated(sql)), sql);
}

PGresult* PgConnection::run_with_begin(std::string_view sql) {
    for (bool retried = false;; retried = true) {
        // A statement prepared now has sent the BEGIN ahead of its Parse (see prepare()).
        const PreparedStatement* statement = statement_for(sql);
        PGresult* result =
            std::exchange(begin_pending_, false) ? pipeline_with_begin(statement, sql) : run(*statement);
        // Nothing but this statement ran in the new transaction: when it failed for the
        // statement cache's sake, ending the transaction and starting over loses nothing.
        if (retried || !repair_statement(result, sql)) return result;
        PQclear(result);
        checked(PQexec(connection_.get(), "ROLLBACK"), "ROLLBACK");
        begin_pending_ = true;  // the caller's transaction is still to begin
    }
}

PGresult* PgConnection::pipeline_with_begin(const PreparedStatement* statement, std::string_view sql) {
    PGconn* connection = connection_.get();
    const char* text = statement ? nullptr : terminated(sql);
    // A ROLLBACK in flight heads the pipeline already; its reply comes first.
    const bool after_rollback = std::exchange(rollback_in_flight_, false);
    if ((!after_rollback && PQenterPipelineMode(connection) != 1) || !send_command(pending_begin_.c_str()) ||
        !send_pipelined(statement, text) || PQpipelineSync(connection) != 1)
        lose(sql);  // the pipeline is in an unknown state
    if (after_rollback) read_rollback_reply();
    // Each statement's results end with a null; the sync comes last.
    const ResultHandle begin(PQgetResult(connection));
    while (PGresult* extra = PQgetResult(connection)) PQclear(extra);
    ResultHandle result(PQgetResult(connection));
    const auto status = PQresultStatus(result.get());
    discard_rest_of_statement(status);
    const ResultHandle sync(PQgetResult(connection));
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC || PQexitPipelineMode(connection) != 1)
        lose(sql);
    if (!begin || PQresultStatus(begin.get()) != PGRES_COMMAND_OK) fail(begin.get(), pending_begin_);
    if (is_copy(status)) raise(copy_unsupported(), sql);
    return result.release();
}

void PgConnection::flush_pending_begin() {
    refuse_while_streaming();
    settle();
    if (!begin_pending_) return;
    begin_pending_ = false;
    checked(PQexec(connection_.get(), pending_begin_.c_str()), pending_begin_);
}

void PgConnection::send_rollback() {
    PGconn* connection = connection_.get();
    if (PQenterPipelineMode(connection) != 1 || !send_command("ROLLBACK") || PQpipelineSync(connection) != 1)
        lose("ROLLBACK");  // the pipeline is in an unknown state
    rollback_in_flight_ = true;
    if (settings_as_set() && settings_at_begin_ != true) settle();
}

void PgConnection::settle() {
    if (!std::exchange(rollback_in_flight_, false)) return;
    read_rollback_reply();
    if (PQexitPipelineMode(connection_.get()) != 1) lose(rollback_context);
}

void PgConnection::read_rollback_reply() {
    PGconn* connection = connection_.get();
    const ResultHandle rollback(PQgetResult(connection));
    while (PGresult* extra = PQgetResult(connection)) PQclear(extra);  // its closing null
    const ResultHandle sync(PQgetResult(connection));
    // Anything but success leaves the connection in a state nobody knows: never reused.
    if (!rollback || PQresultStatus(rollback.get()) != PGRES_COMMAND_OK)
        lose(rollback_context, rollback.get());
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) lose(rollback_context);
    // What runs next on the connection begins here: a BEGIN sent with it, or one asked for
    // later (execute_script() asks settings_as_set() again then).
    settings_at_begin_ = settings_as_set();
}

}  // namespace alchemy::detail::pg
