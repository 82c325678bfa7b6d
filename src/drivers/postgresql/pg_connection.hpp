// One libpq connection: runs statements (prepared once per SQL text when server-side
// prepared statements are on), hands out cursors, streams rows, and tracks whether it was
// lost.
#pragma once

#include "alchemy/core/driver.hpp"
#include "drivers/postgresql/pg_cursor.hpp"
#include "drivers/postgresql/pg_errors.hpp"
#include "drivers/postgresql/pg_handles.hpp"
#include "drivers/postgresql/pg_params.hpp"
#include "drivers/postgresql/pg_statement_cache.hpp"

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy::detail::pg {

class PgConnection final : public DriverConnection {
public:
    /// Takes over an open connection and prepares its session (UTC time zone, no
    /// notices on stderr).
    /// `prepare_threshold`: EngineOptions::prepare_threshold.
    PgConnection(ConnectionHandle connection, std::optional<int> prepare_threshold);

    Cursor& execute(std::string_view sql, std::span<const Param> params) override;
    // pg_stream.cpp
    Cursor& stream(std::string_view sql, std::span<const Param> params) override;
    // pg_transaction_ends.cpp: a plain BEGIN waits for the next statement; a ROLLBACK is
    // sent without waiting for its reply.
    void execute_script(std::string_view sql) override;
    // pg_pipeline.cpp
    void execute_batch(std::string_view sql, std::span<const Param> params, std::size_t params_per_row,
                       std::span<std::int64_t> rows_affected) override;
    // pg_copy.cpp
    std::int64_t copy_rows(std::string_view table, std::span<const std::string_view> columns,
                           std::span<const Param> params) override;

    bool in_transaction() const noexcept override;
    /// TimeZone back to UTC if a borrower changed it.
    void reset_session_state() override;
    // pg_session_state.cpp
    void record_session_state() override;
    /// Only checks: false when the session is not as recorded.
    bool restore_session_state() override;
    bool ping() noexcept override;
    bool is_broken() const noexcept override;
    std::size_t cached_statement_count() const noexcept override { return statements_.size(); }
    std::size_t held_rows() const noexcept override;

    // pg_stream.cpp: the cursor's side of a stream.
    /// The streamed statement's next result: a row, or its end (which ends the stream).
    /// Throws the statement's failure, which ends the stream too.
    ResultHandle next_streamed_result(std::string_view sql);
    /// Ends the stream before its end: cancels the statement if it is still sending rows,
    /// and keeps the transaction it runs in usable.
    void abandon_stream() noexcept;

private:
    /// One line naming the session's state that record_session_state() keeps.
    std::string session_state();
    /// Runs the encoded statement, once more if the statement cache was at fault and
    /// repaired outside a transaction.
    PGresult* run_statement(std::string_view sql);
    /// Runs the encoded statement: named (prepared first if needed) or unnamed.
    PGresult* run_once(std::string_view sql);
    PGresult* run(const PreparedStatement& statement);
    /// The named statement to run the encoded `sql` with, prepared now when these `runs`
    /// take it past the prepare threshold; null: send it unnamed.
    const PreparedStatement* statement_for(std::string_view sql, std::size_t runs = 1);
    const PreparedStatement& prepare(std::string_view sql);
    /// True when `failed` failed because of the statement cache, which is now repaired:
    /// a stale plan is retired, a statement the server lacks stops server-side preparing.
    bool repair_statement(const PGresult* failed, std::string_view sql);
    /// From now on every statement is unnamed (see the definition for why).
    void stop_preparing() noexcept;
    void deallocate_retired_statements();

    /// `raw` if it succeeded; otherwise releases it and throws the matching error.
    ResultHandle checked(PGresult* raw, std::string_view sql);
    [[noreturn]] void fail(const PGresult* result, std::string_view sql);
    /// What the failure of a connection left in a state nobody knows (a pipeline out of
    /// step, or gone) reports, `result` (if any) saying why: lost, so never used again.
    Failure lost_failure(const PGresult* result = nullptr) const;
    /// Marks the connection broken and throws lost_failure().
    [[noreturn]] void lose(std::string_view sql, const PGresult* result = nullptr);
    /// Reads the rest of a statement's results, up to the null that closes them, after its
    /// first result had `status`. A COPY it started is ended first, as nothing but
    /// copy_rows() can feed or read one: FROM STDIN fails, TO STDOUT's rows are skipped.
    void discard_rest_of_statement(ExecStatusType status) noexcept;

    // pg_pipeline.cpp
    /// Sends the encoded row in params_ into the pipeline; false if libpq refused it.
    bool send_pipelined(const PreparedStatement* statement, const char* sql);
    /// Sends a statement without parameters into the pipeline; false if libpq refused it.
    bool send_command(const char* sql);
    /// Ends a pipeline of `sent` statements: syncs, reads their results into `affected`
    /// and leaves pipeline mode. Returns the first failure, if any; `repaired` says that
    /// it failed for the statement cache's sake, now repaired (repair_statement).
    std::optional<Failure> finish_pipeline(std::string_view sql, std::span<std::int64_t> affected,
                                           bool& repaired);

    // pg_transaction_ends.cpp
    /// Runs the encoded statement pipelined behind the BEGIN that execute_script deferred.
    PGresult* run_with_begin(std::string_view sql);
    /// One round trip of a ROLLBACK's reply still in flight, pending_begin_ and the
    /// statement (named, or unnamed when null).
    PGresult* pipeline_with_begin(const PreparedStatement* statement, std::string_view sql);
    /// Readies the connection for a batch, a COPY or a Parse: refuses while a statement
    /// streams, reads a ROLLBACK's reply, and sends a deferred BEGIN on its own.
    void flush_pending_begin();
    /// Sends ROLLBACK and a Sync, and leaves the reply to whatever runs next.
    void send_rollback();
    /// Reads the reply of the ROLLBACK in flight, if any, and leaves pipeline mode: first
    /// thing in every call that talks to the server, but a deferred BEGIN's.
    void settle();
    /// Reads the ROLLBACK's result and its Sync; what was pipelined behind them stays.
    void read_rollback_reply();

    // pg_copy.cpp
    /// copy_rows() once its rows are counted.
    std::int64_t copy_in(std::string_view table, std::span<const std::string_view> columns,
                         std::span<const Param> params, std::size_t rows);
    /// The types of the `count` columns of `target` ("table" (columns)) as the COPY
    /// `copy_sql` will meet them, domains as their base types; asked on every call.
    /// `begin`: BEGIN first, in the same round trip.
    std::vector<Oid> copy_column_types(std::string_view target, std::size_t count, std::string_view copy_sql,
                                       bool begin);
    /// Runs the COPY `sql` of `rows` rows, encoded for the columns' `types`.
    std::int64_t send_copy(const std::string& sql, std::span<const std::string_view> columns,
                           std::span<const Param> params, std::size_t rows, const std::vector<Oid>& types);
    /// Replaces each domain in `types` by its base type.
    void resolve_domains(std::vector<Oid>& types);
    /// Sends copy_buffer_ as COPY data and empties it.
    void put_copy_data(std::string_view sql);
    /// Ends a COPY that cannot be completed, so the connection is usable again.
    void cancel_copy(const char* reason) noexcept;

    // pg_stream.cpp
    /// InvalidRequestError while a streamed statement is in flight.
    void refuse_while_streaming() const;
    /// Whether the server last reported TimeZone as UTC (libpq keeps what it reported).
    bool utc_session() const noexcept;
    /// Whether the session's client_encoding is UTF8, as libpq last heard.
    bool utf8_session() const noexcept;
    /// Whether the settings the driver sets on connecting hold, as libpq last heard: TimeZone
    /// UTC, client_encoding UTF8 (alchemy's text), standard_conforming_strings on.
    bool settings_as_set() const noexcept;
    /// Throws ProgrammingError if the encoded parameters hold a timestamp and the session's
    /// TimeZone is not UTC, where the server would store or compare it shifted.
    void require_utc_for_timestamps(std::string_view sql);
    /// Throws ProgrammingError if the session's client_encoding is not UTF8, in which the
    /// server would read the statement's text and send back its own.
    void require_utf8(std::string_view sql);
    /// Sends the encoded statement to stream and reads up to its first row; failures that
    /// the statement cache caused are repaired and the statement sent once more.
    ResultHandle start_stream(std::string_view sql);
    /// Sends the pipeline of a streamed statement (see pg_stream.cpp).
    void send_stream(const PreparedStatement* statement, std::string_view sql, bool begin);
    /// Reads the results of the commands sent ahead of the streamed statement, then its
    /// first result; returns the first failure among them instead, if any.
    ResultHandle first_streamed_result(bool begin);
    /// Reads what is left of the stream's pipeline (rows included) up to its Sync and
    /// leaves pipeline mode; a connection that fails meanwhile is broken.
    void end_stream() noexcept;

    /// `sql` NUL-terminated, as libpq wants it; valid until the next call.
    const char* terminated(std::string_view sql);
    PgCursor& idle_cursor();

    // Declared first so it is closed after the cursors release their results.
    ConnectionHandle connection_;
    /// Runs before a statement is prepared; nullopt: never (or no longer) prepare.
    std::optional<int> prepare_threshold_;
    bool broken_ = false;
    /// BEGIN was asked for but not sent yet: it travels with the next statement, and a
    /// transaction that runs none costs no round trip at all.
    bool begin_pending_ = false;
    std::string pending_begin_;  ///< the deferred BEGIN, with its isolation level
    /// A ROLLBACK was sent and its reply is not read yet: whatever runs next reads it
    /// first, in the same round trip when that is a deferred BEGIN and its statement.
    bool rollback_in_flight_ = false;
    /// Whether settings_as_set() held when the open transaction began (unset: not known).
    /// A ROLLBACK puts back the settings of that moment, so one that may undo them is not
    /// left in flight: what libpq reports before its reply is read would be stale.
    std::optional<bool> settings_at_begin_;
    /// A streamed statement is in flight: the connection runs nothing else until it ends.
    bool streaming_ = false;
    /// The streamed statement runs inside a transaction, behind a savepoint of its own.
    bool stream_savepoint_ = false;
    ParamEncoder params_;
    StatementCache statements_;
    std::vector<std::unique_ptr<PgCursor>> cursors_;
    std::string sql_buffer_;
    std::vector<Oid> prepare_types_;
    std::string recorded_state_;  ///< session_state() when the connection was made
    std::string copy_buffer_;     // COPY data waiting to be sent; keeps its capacity
};

}  // namespace alchemy::detail::pg
