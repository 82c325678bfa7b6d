// Streamed statements (stream_results): the rows come from the server one result at a
// time, in libpq's single-row mode, as the cursor asks for them, so a result of any size
// takes the client memory of one row. A streamed statement travels in one pipeline, in
// the one round trip an executed statement takes:
//
//   [BEGIN, when deferred]  [SAVEPOINT, inside a transaction]  statement  [RELEASE]  Sync
//
// Why single-row mode rather than DECLARE ... CURSOR and FETCH: on a million narrow rows
// it finished sooner (the server computes rows while the client reads them, where each
// FETCH waits for the client to ask), and it serves any statement, under AUTOCOMMIT too,
// where a cursor would need a transaction of its own.
//
// Why the savepoint: a stream closed before its end has its statement cancelled (PQcancel
// takes a few ms, where reading the rest of a million rows takes half a second), and a
// cancelled statement aborts the transaction it runs in. Rolled back to the savepoint,
// the statement alone is undone and the transaction goes on. A statement that completes
// has the pipelined RELEASE drop the savepoint, at no round trip of its own.
//
// While the statement streams, libpq can send nothing else, so any other statement throws
// InvalidRequestError: making way for it by reading the remaining rows into memory would
// break the memory bound that streaming promises, without a word.
#include "alchemy/core/error.hpp"
#include "drivers/postgresql/pg_connection.hpp"

#include <memory>
#include <optional>
#include <utility>

namespace alchemy::detail::pg {
namespace {

constexpr const char* savepoint_sql = "SAVEPOINT alchemy_stream";
constexpr const char* release_sql = "RELEASE SAVEPOINT alchemy_stream";
constexpr const char* undo_sql = "ROLLBACK TO SAVEPOINT alchemy_stream; RELEASE SAVEPOINT alchemy_stream";

bool is_statement_end(ExecStatusType status) {
    return status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY;
}

struct CancelFreer {
    void operator()(PGcancel* cancel) const noexcept { PQfreeCancel(cancel); }
};

/// Asks the server to stop the statement running on `connection`. If the request fails,
/// the statement runs to its end and its rows are read instead.
void cancel_statement(PGconn* connection) noexcept {
    const std::unique_ptr<PGcancel, CancelFreer> cancel(PQgetCancel(connection));
    char error[256];
    if (cancel) PQcancel(cancel.get(), error, sizeof error);
}

}  // namespace

void PgConnection::refuse_while_streaming() const {
    if (streaming_)
        throw InvalidRequestError(
            "alchemy: this connection is streaming the rows of a statement, and PostgreSQL runs "
            "one statement at a time on a connection; read the streamed result to the end or "
            "close it before running another statement");
}

Cursor& PgConnection::stream(std::string_view sql, std::span<const Param> params) {
    refuse_while_streaming();
    settle();
    auto& cursor = idle_cursor();
    params_.encode(params, sql);
    require_utf8(sql);
    require_utc_for_timestamps(sql);
    cursor.open(start_stream(sql), sql, this);
    return cursor;
}

ResultHandle PgConnection::start_stream(std::string_view sql) {
    for (bool retried = false;; retried = true) {
        const PreparedStatement* statement = statement_for(sql);
        const bool begin = std::exchange(begin_pending_, false);
        stream_savepoint_ = begin || in_transaction();
        send_stream(statement, sql, begin);
        ResultHandle first = first_streamed_result(begin);
        const auto status = first ? PQresultStatus(first.get()) : PGRES_FATAL_ERROR;
        if (status == PGRES_SINGLE_TUPLE) return first;
        if (is_copy(status)) discard_rest_of_statement(status);
        end_stream();
        if (is_statement_end(status)) return first;
        if (is_copy(status)) {
            // Inside a transaction the server reads the pipelined RELEASE as the COPY's data
            // and falls out of step, which end_stream() found: the error says so.
            auto refused = copy_unsupported();
            refused.connection_invalidated = broken_;
            raise(std::move(refused), sql);
        }
        // Only this statement ran since the savepoint (or in its own implicit transaction),
        // so a failure the statement cache caused costs nothing to undo and try again.
        if (!retried && repair_statement(first.get(), sql)) {
            if (stream_savepoint_) checked(PQexec(connection_.get(), undo_sql), undo_sql);
            continue;
        }
        fail(first.get(), sql);
    }
}

void PgConnection::send_stream(const PreparedStatement* statement, std::string_view sql, bool begin) {
    PGconn* connection = connection_.get();
    const char* text = statement ? nullptr : terminated(sql);
    streaming_ = PQenterPipelineMode(connection) == 1;
    if (!streaming_ || (begin && !send_command(pending_begin_.c_str())) ||
        (stream_savepoint_ && !send_command(savepoint_sql)) || !send_pipelined(statement, text) ||
        (stream_savepoint_ && !send_command(release_sql)) || PQpipelineSync(connection) != 1) {
        streaming_ = false;
        lose(sql);  // the pipeline is in an unknown state
    }
}

ResultHandle PgConnection::first_streamed_result(bool begin) {
    PGconn* connection = connection_.get();
    for (int ahead = (begin ? 1 : 0) + (stream_savepoint_ ? 1 : 0); ahead > 0; --ahead) {
        ResultHandle command(PQgetResult(connection));
        if (!command || PQresultStatus(command.get()) != PGRES_COMMAND_OK) return command;
        while (PGresult* extra = PQgetResult(connection)) PQclear(extra);  // its closing null
    }
    // The statement heads the pipeline now and none of its results was read, which is
    // when libpq accepts single-row mode for it.
    PQsetSingleRowMode(connection);
    return ResultHandle(PQgetResult(connection));
}

ResultHandle PgConnection::next_streamed_result(std::string_view sql) {
    ResultHandle result(PQgetResult(connection_.get()));
    const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_SINGLE_TUPLE) return result;
    // The statement's end, or its failure, which leaves the transaction as a failed
    // executed statement would: aborted, or lost with the connection.
    std::optional<Failure> failure;
    if (!is_statement_end(status)) failure = describe_failure(connection_.get(), result.get());
    end_stream();
    if (!failure) return result;
    if (failure->connection_invalidated) broken_ = true;
    raise(std::move(*failure), sql);
}

void PgConnection::abandon_stream() noexcept {
    PGconn* connection = connection_.get();
    // Rows that already arrived cost nothing to skip; a statement still sending them is
    // cancelled rather than read to its end.
    PQconsumeInput(connection);
    bool ended = false;
    while (!ended && PQisBusy(connection) == 0) {
        const ResultHandle result(PQgetResult(connection));
        ended = !result || PQresultStatus(result.get()) != PGRES_SINGLE_TUPLE;
    }
    if (!ended) cancel_statement(connection);
    end_stream();
    // However the statement ended, undoing it alone keeps the transaction usable. Should
    // that fail, the connection is given up, which the next statement reports.
    if (broken_ || !stream_savepoint_ || PQtransactionStatus(connection) != PQTRANS_INERROR) return;
    const ResultHandle undone(PQexec(connection, undo_sql));
    if (PQresultStatus(undone.get()) != PGRES_COMMAND_OK) broken_ = true;
}

void PgConnection::end_stream() noexcept {
    PGconn* connection = connection_.get();
    streaming_ = false;
    // Rows, command results and the nulls between them, up to the Sync's result.
    for (;;) {
        const ResultHandle result(PQgetResult(connection));
        if (PQstatus(connection) == CONNECTION_BAD) break;
        if (!result) continue;  // the null that closes one statement's results
        const auto status = PQresultStatus(result.get());
        if (status == PGRES_PIPELINE_SYNC && PQexitPipelineMode(connection) == 1) return;
        if (status == PGRES_PIPELINE_SYNC || is_copy(status)) break;
    }
    broken_ = true;  // the pipeline is in an unknown state
}

}  // namespace alchemy::detail::pg
