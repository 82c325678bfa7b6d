// execute_batch over libpq's pipeline mode: one statement, many rows, without waiting a
// network round trip per row. The statement is prepared beforehand, outside the
// pipeline, so the pipeline carries only Bind/Execute messages.
#include "alchemy/core/error.hpp"
#include "drivers/drivers.hpp"
#include "drivers/postgresql/pg_connection.hpp"

#include <exception>

namespace alchemy::detail::pg {
namespace {

// Rows sent before their results are read. libpq reads while it waits to write, but a
// bounded chunk also bounds what piles up in memory on either side.
constexpr std::size_t rows_per_sync = 500;
constexpr int binary_results = 1;

}  // namespace

void PgConnection::execute_batch(std::string_view sql, std::span<const Param> params,
                                 std::size_t params_per_row, std::span<std::int64_t> rows_affected) {
    const auto rows = execute_batch_rows(params.size(), params_per_row, rows_affected.size());
    require_utf8(sql);
    // Outside a transaction each synced chunk commits on its own (the server runs the
    // statements before a Sync as one implicit transaction).
    const bool autocommit = !in_transaction();
    const bool begins_here = begin_pending_;  // nothing ran before it in the transaction
    std::size_t done = 0;                     // rows of chunks that succeeded
    std::size_t in_flight = 0;                // rows of the chunk being synced
    bool retried = false;
    try {
        flush_pending_begin();
        const auto row = [&](std::size_t i) { return params.subspan(i * params_per_row, params_per_row); };
        PGconn* connection = connection_.get();
        while (done < rows) {
            params_.encode(row(done), sql);
            require_utc_for_timestamps(sql);
            const PreparedStatement* statement = statement_for(sql, rows - done);
            // Without prepared statements every row carries the SQL text, NUL-terminated.
            const char* text = statement ? nullptr : terminated(sql);
            if (PQenterPipelineMode(connection) != 1) fail(nullptr, sql);

            std::size_t sent = 0;
            std::exception_ptr local_error;  // raised here rather than by the server
            try {
                do {
                    if (sent > 0) {
                        params_.encode(row(done + sent), sql);
                        require_utc_for_timestamps(sql);
                        // A row whose types the statement was not prepared for (a NULL
                        // becoming a value, an int4 an int8) starts a chunk of its own,
                        // which prepares it again outside the pipeline.
                        if (statement && statements_.find(sql, params_) != statement) break;
                    }
                    if (!send_pipelined(statement, text)) fail(nullptr, sql);
                    ++sent;
                } while (sent < rows_per_sync && done + sent < rows);
            } catch (...) {
                if (broken_) throw;  // nothing left to read on a lost connection
                local_error = std::current_exception();
            }

            // A failure the server reported for a row sent earlier came first, so it wins.
            in_flight = sent;
            bool repaired = false;
            if (auto failure = finish_pipeline(sql, rows_affected.subspan(done, sent), repaired)) {
                if (failure->connection_invalidated) broken_ = true;
                // It failed for the statement cache's sake (a pooler ran it on another
                // server session), now repaired; starting the chunk over loses nothing
                // where the failure undid only this chunk, as execute() retries.
                if (repaired && !retried && !local_error && !broken_ &&
                    (autocommit || (begins_here && done == 0))) {
                    retried = true;
                    if (!autocommit) {
                        checked(PQexec(connection, "ROLLBACK"), "ROLLBACK");
                        begin_pending_ = true;
                        flush_pending_begin();
                    }
                    continue;
                }
                raise(std::move(*failure), sql);
            }
            in_flight = 0;
            done += sent;
            if (local_error) std::rethrow_exception(local_error);
        }
    } catch (const DatabaseError& error) {
        if (!autocommit) throw;
        rethrow_with_batch_progress(error, {rows, done, broken_ ? in_flight : 0});
    }
}

bool PgConnection::send_pipelined(const PreparedStatement* statement, const char* sql) {
    PGconn* connection = connection_.get();
    if (!statement)
        return PQsendQueryParams(connection, sql, params_.count(), params_.types().data(), params_.values(),
                                 params_.lengths(), params_.formats(), binary_results) == 1;
    params_.widen_integers(statement->parameter_types);
    return PQsendQueryPrepared(connection, statement->name.c_str(), params_.count(), params_.values(),
                               params_.lengths(), params_.formats(), binary_results) == 1;
}

bool PgConnection::send_command(const char* sql) {
    return PQsendQueryParams(connection_.get(), sql, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
}

std::optional<Failure> PgConnection::finish_pipeline(std::string_view sql, std::span<std::int64_t> affected,
                                                     bool& repaired) {
    PGconn* connection = connection_.get();
    // The pipeline is in an unknown state: only a new connection is safe.
    const auto lost = [&] { return lost_failure(); };
    if (PQpipelineSync(connection) != 1) return lost();

    std::optional<Failure> failure;
    for (auto& count : affected) {
        ResultHandle result(PQgetResult(connection));
        if (!result) return lost();
        const auto status = PQresultStatus(result.get());
        if (status != PGRES_COPY_OUT && is_copy(status) && &count != &affected.back()) {
            // The server reads the statements behind a COPY FROM STDIN as its data, refuses
            // them and ends up out of step with libpq: only a new connection is safe.
            auto refused = copy_unsupported();
            refused.connection_invalidated = true;
            return refused;
        }
        switch (status) {
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK: count = rows_affected_by(result.get()); break;
        case PGRES_PIPELINE_ABORTED: count = 0; break;  // skipped after an earlier error
        case PGRES_COPY_IN:
        case PGRES_COPY_OUT:
        case PGRES_COPY_BOTH:
            count = 0;
            if (!failure) failure = copy_unsupported();
            break;
        default:
            count = 0;
            if (PQstatus(connection) == CONNECTION_BAD) return lost();
            if (!failure) {
                failure = describe_failure(connection, result.get());
                // The same repairs execute() makes, so the next call succeeds.
                repaired = repair_statement(result.get(), sql);
            }
        }
        discard_rest_of_statement(status);  // up to the null that ends each statement's results
    }
    const ResultHandle sync(PQgetResult(connection));
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) return lost();
    if (PQexitPipelineMode(connection) != 1) return lost();
    return failure;
}

}  // namespace alchemy::detail::pg
