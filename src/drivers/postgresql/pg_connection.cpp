// Statement execution over libpq: parameters in binary, results in binary, named
// prepared statements cached per SQL text (or unnamed ones behind PgBouncer).
#include "drivers/postgresql/pg_connection.hpp"

#include "drivers/postgresql/pg_errors.hpp"

#include <fmt/format.h>

namespace alchemy::detail::pg {
namespace {

// Enough for the statements of a typical application; each costs server memory.
constexpr std::size_t statement_cache_capacity = 256;
constexpr int binary_results = 1;

void discard_notice(void*, const char*) {}

}  // namespace

PgConnection::PgConnection(ConnectionHandle connection, bool server_prepared_statements)
    : connection_(std::move(connection)),
      server_prepared_statements_(server_prepared_statements),
      statements_(statement_cache_capacity) {
    PQsetNoticeProcessor(connection_.get(), discard_notice, nullptr);
    // Binary timestamps are exact instants, but converting a timestamptz parameter into
    // a `timestamp` column (and back) goes through the session's zone; UTC keeps
    // alchemy's "microseconds since 1970 UTC" true for both column types.
    execute_script("SET TIME ZONE 'UTC'");
}

Cursor& PgConnection::execute(std::string_view sql, std::span<const Param> params) {
    params_.encode(params, sql);
    PGresult* raw = begin_pending_              ? run_with_begin(sql)
                    : server_prepared_statements_ ? execute_prepared(sql)
                                                  : PQexecParams(connection_.get(), terminated(sql), params_.count(),
                                       params_.types().data(), params_.values(),
                                       params_.lengths(), params_.formats(), binary_results);
    auto result = checked(raw, sql);
    auto& cursor = idle_cursor();
    cursor.open(std::move(result), sql);
    return cursor;
}

PGresult* PgConnection::execute_prepared(std::string_view sql) {
    const PreparedStatement* statement = statements_.find(sql, params_);
    PGresult* raw = run(statement ? *statement : prepare(sql));
    if (is_unknown_statement(raw)) {
        // Someone ran DEALLOCATE ALL or DISCARD ALL; the next execution prepares afresh.
        statements_.drop(sql);
    } else if (is_stale_cached_plan(raw)) {
        statements_.retire(sql);
        // Outside a transaction nothing was lost by the failure, so try once more;
        // inside one the transaction is aborted and the caller must decide.
        if (PQtransactionStatus(connection_.get()) == PQTRANS_IDLE) {
            PQclear(raw);
            raw = run(prepare(sql));
        }
    }
    return raw;
}

PGresult* PgConnection::run(const PreparedStatement& statement) {
    params_.widen_integers(statement.parameter_types);
    return PQexecPrepared(connection_.get(), statement.name.c_str(), params_.count(),
                          params_.values(), params_.lengths(), params_.formats(),
                          binary_results);
}

const PreparedStatement& PgConnection::prepare(std::string_view sql) {
    deallocate_retired_statements();
    statements_.types_to_prepare(sql, params_, prepare_types_);
    auto name = statements_.next_name();
    checked(PQprepare(connection_.get(), name.c_str(), terminated(sql), params_.count(),
                      prepare_types_.data()),
            sql);
    return statements_.add(sql, std::move(name), prepare_types_);
}

void PgConnection::deallocate_retired_statements() {
    // Any statement fails in an aborted transaction; wait for it to end.
    if (statements_.retired().empty() ||
        PQtransactionStatus(connection_.get()) == PQTRANS_INERROR)
        return;
    std::string sql;
    for (const auto& name : statements_.retired()) sql += fmt::format("DEALLOCATE {};", name);
    statements_.clear_retired();
    checked(PQexec(connection_.get(), sql.c_str()), sql);
}

void PgConnection::execute_script(std::string_view sql) {
    // BEGIN waits for the statement that follows it, saving a round trip per transaction.
    if (sql == "BEGIN" && !in_transaction()) {
        begin_pending_ = true;
        return;
    }
    if (begin_pending_) {
        begin_pending_ = false;
        if (sql == "COMMIT" || sql == "ROLLBACK") return;  // nothing ran, nothing to end
        const std::string script = "BEGIN; " + std::string(sql);
        checked(PQexec(connection_.get(), script.c_str()), sql);
        return;
    }
    checked(PQexec(connection_.get(), terminated(sql)), sql);
}

PGresult* PgConnection::run_with_begin(std::string_view sql) {
    begin_pending_ = false;
    const PreparedStatement* statement = nullptr;
    if (server_prepared_statements_) {
        statement = statements_.find(sql, params_);
        if (!statement) statement = &prepare(sql);
    }
    PGconn* connection = connection_.get();
    const char* text = statement ? nullptr : terminated(sql);
    if (PQenterPipelineMode(connection) != 1 ||
        PQsendQueryParams(connection, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) != 1 ||
        !send_pipelined(statement, text) || PQpipelineSync(connection) != 1) {
        broken_ = true;  // the pipeline is in an unknown state
        fail(nullptr, sql);
    }
    // Each statement's results end with a null; the sync comes last.
    const ResultHandle begin(PQgetResult(connection));
    while (PGresult* extra = PQgetResult(connection)) PQclear(extra);
    PGresult* result = PQgetResult(connection);
    while (PGresult* extra = PQgetResult(connection)) PQclear(extra);
    const ResultHandle sync(PQgetResult(connection));
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC || PQexitPipelineMode(connection) != 1) {
        PQclear(result);
        broken_ = true;
        fail(nullptr, sql);
    }
    if (!begin || PQresultStatus(begin.get()) != PGRES_COMMAND_OK) {
        PQclear(result);
        fail(begin.get(), "BEGIN");
    }
    if (is_unknown_statement(result)) statements_.drop(sql);
    else if (is_stale_cached_plan(result)) statements_.retire(sql);
    return result;
}

void PgConnection::flush_pending_begin() {
    if (!begin_pending_) return;
    begin_pending_ = false;
    checked(PQexec(connection_.get(), "BEGIN"), "BEGIN");
}

ResultHandle PgConnection::checked(PGresult* raw, std::string_view sql) {
    ResultHandle result(raw);
    const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    switch (status) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY: return result;
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_COPY_BOTH:
        result.reset();
        abandon_copy(status);
        raise_copy_unsupported(sql);
    default: fail(result.get(), sql);
    }
}

void PgConnection::fail(const PGresult* result, std::string_view sql) {
    auto failure = describe_failure(connection_.get(), result);
    if (failure.connection_invalidated) broken_ = true;
    raise(std::move(failure), sql);
}

void PgConnection::abandon_copy(ExecStatusType status) noexcept {
    PGconn* connection = connection_.get();
    if (status == PGRES_COPY_IN) {
        PQputCopyEnd(connection, "COPY FROM STDIN is not supported by alchemy");
    } else {
        char* row = nullptr;
        while (PQgetCopyData(connection, &row, 0) > 0) PQfreemem(row);
    }
    while (PGresult* rest = PQgetResult(connection)) PQclear(rest);
}

bool PgConnection::in_transaction() const noexcept {
    if (begin_pending_) return true;
    switch (PQtransactionStatus(connection_.get())) {
    case PQTRANS_ACTIVE:
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR: return true;
    default: return false;  // idle, or unknown because the connection is gone
    }
}

bool PgConnection::ping() noexcept {
    if (is_broken()) return false;
    // The empty query is answered even inside an aborted transaction, unlike SELECT 1.
    const ResultHandle result(PQexec(connection_.get(), ""));
    return result && PQresultStatus(result.get()) == PGRES_EMPTY_QUERY && !is_broken();
}

bool PgConnection::is_broken() const noexcept {
    return broken_ || PQstatus(connection_.get()) == CONNECTION_BAD;
}

const char* PgConnection::terminated(std::string_view sql) {
    sql_buffer_.assign(sql);
    return sql_buffer_.c_str();
}

PgCursor& PgConnection::idle_cursor() {
    for (auto& cursor : cursors_)
        if (!cursor->is_open()) return *cursor;
    return *cursors_.emplace_back(std::make_unique<PgCursor>());
}

}  // namespace alchemy::detail::pg
