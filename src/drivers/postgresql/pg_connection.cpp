// Statement execution over libpq: parameters in binary, results in binary, named
// prepared statements cached per SQL text once it ran prepare_threshold times (unnamed
// ones before, and always when the threshold is "never").
#include "drivers/postgresql/pg_connection.hpp"

#include "alchemy/core/error.hpp"
#include "core/printable.hpp"
#include "drivers/postgresql/pg_copy_format.hpp"
#include "drivers/postgresql/pg_errors.hpp"

#include <fmt/format.h>

namespace alchemy::detail::pg {
namespace {

// Enough for the statements of a typical application; each costs server memory.
constexpr std::size_t statement_cache_capacity = 256;
constexpr int binary_results = 1;

void discard_notice(void*, const char*) {}

}  // namespace

PgConnection::PgConnection(ConnectionHandle connection, std::optional<int> prepare_threshold)
    : connection_(std::move(connection)),
      prepare_threshold_(prepare_threshold),
      statements_(statement_cache_capacity) {
    PQsetNoticeProcessor(connection_.get(), discard_notice, nullptr);
    // Binary timestamps are exact instants, but converting a timestamptz parameter into
    // a `timestamp` column (and back) goes through the session's zone; UTC keeps
    // alchemy's "microseconds since 1970 UTC" true for both column types.
    execute_script("SET TIME ZONE 'UTC'");
}

bool PgConnection::utc_session() const noexcept {
    const char* zone = PQparameterStatus(connection_.get(), "TimeZone");
    return zone && is_utc_zone(zone);
}

bool PgConnection::utf8_session() const noexcept {
    static const int utf8 = pg_char_to_encoding("UTF8");
    return PQclientEncoding(connection_.get()) == utf8;
}

bool PgConnection::settings_as_set() const noexcept {
    const char* strings = PQparameterStatus(connection_.get(), "standard_conforming_strings");
    return utc_session() && utf8_session() && strings && std::string_view(strings) == "on";
}

// The status read first may predate the reply of a ROLLBACK still in flight, which puts
// back the settings the transaction began with: send_rollback() waits for the reply where
// that may undo UTC, so only a zone other than UTC is worth the wait here.
void PgConnection::require_utc_for_timestamps(std::string_view sql) {
    if (!params_.binds_timestamp() || utc_session()) return;
    settle();
    if (utc_session()) return;
    const char* zone = PQparameterStatus(connection_.get(), "TimeZone");
    // 0A000: feature_not_supported, as COPY's refusal in the same zone.
    throw_database_error(
        "0A000",
        fmt::format("the session's TimeZone is {}, not UTC: the server converts a bound timestamp "
                    "through it into a TIMESTAMP column, and a bound date into a TIMESTAMPTZ one (or "
                    "to compare with them), which would store or match a shifted value; SET TIME "
                    "ZONE 'UTC' first, and convert in SQL with AT TIME ZONE where local time is "
                    "wanted",
                    printable(zone ? zone : "")),
        std::string(sql));
}

void PgConnection::require_utf8(std::string_view sql) {
    if (utf8_session()) return;
    settle();
    if (utf8_session()) return;
    const char* name = pg_encoding_to_char(PQclientEncoding(connection_.get()));
    throw_database_error(
        "0A000",
        fmt::format("the session's client_encoding is {0}, not UTF8: the server would read alchemy's UTF-8 "
                    "text (the SQL and its values) as {0} and send text back in {0}, storing and reading "
                    "other characters without an error; SET client_encoding = 'UTF8' (with "
                    "execute_script) first",
                    printable(name ? name : "")),
        std::string(sql));
}

void PgConnection::reset_session_state() {
    // The next borrower's timestamps depend on the UTC that the constructor set, its text
    // on UTF8, and the SQL it writes on standard strings.
    if (settings_as_set()) return;
    settle();
    if (!settings_as_set())
        execute_script(
            "SET TIME ZONE 'UTC'; SET client_encoding = 'UTF8'; SET standard_conforming_strings = on");
}

Cursor& PgConnection::execute(std::string_view sql, std::span<const Param> params) {
    refuse_while_streaming();
    params_.encode(params, sql);
    require_utf8(sql);
    require_utc_for_timestamps(sql);
    if (!begin_pending_) settle();
    PGresult* raw = begin_pending_ ? run_with_begin(sql) : run_statement(sql);
    auto result = checked(raw, sql);
    auto& cursor = idle_cursor();
    cursor.open(std::move(result), sql);
    return cursor;
}

PGresult* PgConnection::run_statement(std::string_view sql) {
    PGresult* raw = run_once(sql);
    if (!repair_statement(raw, sql)) return raw;
    // Outside a transaction the failure cost nothing, so the repaired cache gets a second
    // try; inside one the transaction is aborted and the caller must decide.
    if (PQtransactionStatus(connection_.get()) == PQTRANS_IDLE) {
        PQclear(raw);
        return run_once(sql);
    }
    if (!prepare_threshold_) {
        const ResultHandle failed(raw);
        auto failure = describe_failure(connection_.get(), failed.get());
        failure.message +=
            "\nHINT: the server session no longer holds this connection's prepared statements "
            "(a pooler such as PgBouncer in transaction mode, or DEALLOCATE/DISCARD ALL); the "
            "connection uses unnamed statements from now on, so roll back and run the "
            "transaction again. Behind such a pooler, set prepare_threshold = std::nullopt.";
        raise(std::move(failure), sql);
    }
    return raw;
}

PGresult* PgConnection::run_once(std::string_view sql) {
    if (const PreparedStatement* statement = statement_for(sql)) return run(*statement);
    return PQexecParams(connection_.get(), terminated(sql), params_.count(), params_.types().data(),
                        params_.values(), params_.lengths(), params_.formats(), binary_results);
}

const PreparedStatement* PgConnection::statement_for(std::string_view sql, std::size_t runs) {
    // Found prepared, it takes as many values as when its placeholders were counted.
    if (prepare_threshold_)
        if (const PreparedStatement* statement = statements_.find(sql, params_)) return statement;
    params_.check_placeholders(sql);
    if (!prepare_threshold_ || !statements_.due(sql, static_cast<std::size_t>(*prepare_threshold_), runs))
        return nullptr;
    return &prepare(sql);
}

PGresult* PgConnection::run(const PreparedStatement& statement) {
    params_.widen_integers(statement.parameter_types);
    return PQexecPrepared(connection_.get(), statement.name.c_str(), params_.count(), params_.values(),
                          params_.lengths(), params_.formats(), binary_results);
}

const PreparedStatement& PgConnection::prepare(std::string_view sql) {
    settle();  // PQprepare waits for its own reply, outside pipeline mode
    deallocate_retired_statements();
    // A deferred BEGIN goes first, so the Parse runs inside the transaction: one that
    // fails aborts it, as a failure anywhere else in it does, rather than leaving what
    // follows to commit. Once per SQL text, so the round trip of its own is rare.
    flush_pending_begin();
    statements_.types_to_prepare(sql, params_, prepare_types_);
    auto name = statements_.next_name();
    ResultHandle prepared(
        PQprepare(connection_.get(), name.c_str(), terminated(sql), params_.count(), prepare_types_.data()));
    if (is_statement_name_clash(prepared.get())) stop_preparing();
    checked(prepared.release(), sql);
    return statements_.add(sql, std::move(name), prepare_types_);
}

bool PgConnection::repair_statement(const PGresult* failed, std::string_view sql) {
    if (is_statement_name_clash(failed)) {
        stop_preparing();
        return true;
    }
    if (is_stale_cached_plan(failed)) {
        statements_.retire(sql);
        return true;
    }
    return false;
}

void PgConnection::stop_preparing() noexcept {
    // The server's statements are not where this connection left them: a pooler in
    // transaction mode runs us on another server session, or DEALLOCATE or DISCARD ran.
    // Unique names keep that from ever running another statement; unnamed statements
    // from now on keep it from failing again.
    prepare_threshold_.reset();
    statements_.clear();
}

void PgConnection::deallocate_retired_statements() {
    // Only between transactions: a DEALLOCATE that fails (a pooler moved the statement to
    // another server session) must not abort one.
    if (statements_.retired().empty() || PQtransactionStatus(connection_.get()) != PQTRANS_IDLE) return;
#ifdef LIBPQ_HAS_CLOSE_PREPARED
    // libpq 17 closes a statement with the protocol's Close message, which a pooler that
    // tracks prepared statements (PgBouncer 1.21 and later) sees and translates.
    const auto names = statements_.retired();
    statements_.clear_retired();
    for (const auto& name : names) {
        ResultHandle result(PQclosePrepared(connection_.get(), name.c_str()));
        checked(result.release(), "close of prepared statement " + name);
    }
#else
    // Older libpq can only send SQL DEALLOCATE, which such a pooler passes to whichever
    // server session it picks: it fails there (handled below) and the statement stays
    // prepared where it was until that session ends (docs/scaling.md).
    std::string sql;
    for (const auto& name : statements_.retired()) sql += fmt::format("DEALLOCATE {};", name);
    statements_.clear_retired();
    ResultHandle result(PQexec(connection_.get(), sql.c_str()));
    if (is_statement_name_clash(result.get())) return stop_preparing();
    checked(result.release(), sql);
#endif
}

ResultHandle PgConnection::checked(PGresult* raw, std::string_view sql) {
    ResultHandle result(raw);
    const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    switch (status) {
    case PGRES_COMMAND_OK: refuse_commit_rolled_back(result.get(), sql); return result;
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY: return result;
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_COPY_BOTH:
        result.reset();
        discard_rest_of_statement(status);
        raise(copy_unsupported(), sql);
    default: fail(result.get(), sql);
    }
}

void PgConnection::fail(const PGresult* result, std::string_view sql) {
    auto failure = describe_failure(connection_.get(), result);
    if (failure.connection_invalidated) broken_ = true;
    raise(std::move(failure), sql);
}

Failure PgConnection::lost_failure(const PGresult* result) const {
    auto failure = describe_failure(connection_.get(), result);
    failure.connection_invalidated = true;
    return failure;
}

void PgConnection::lose(std::string_view sql, const PGresult* result) {
    broken_ = true;
    raise(lost_failure(result), sql);
}

void PgConnection::discard_rest_of_statement(ExecStatusType status) noexcept {
    PGconn* connection = connection_.get();
    // Until a COPY it started ends, libpq answers every PQgetResult with the COPY's state.
    if (status == PGRES_COPY_IN) {
        PQputCopyEnd(connection, "COPY FROM STDIN is not supported by alchemy");
    } else if (is_copy(status)) {
        char* row = nullptr;
        while (PQgetCopyData(connection, &row, 0) > 0) PQfreemem(row);
    }
    while (PGresult* rest = PQgetResult(connection)) PQclear(rest);
}

bool PgConnection::in_transaction() const noexcept {
    if (begin_pending_) return true;
    if (rollback_in_flight_) return false;  // sent, so the server ends the transaction
    switch (PQtransactionStatus(connection_.get())) {
    case PQTRANS_ACTIVE:
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR: return true;
    default: return false;  // idle, or unknown because the connection is gone
    }
}

bool PgConnection::ping() noexcept {
    if (is_broken()) return false;
    try {
        settle();
    } catch (...) {
        return false;
    }
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

std::size_t PgConnection::held_rows() const noexcept {
    std::size_t rows = 0;
    for (const auto& cursor : cursors_) rows += static_cast<std::size_t>(cursor->held_rows());
    return rows;
}

PgCursor& PgConnection::idle_cursor() {
    for (auto& cursor : cursors_)
        if (!cursor->is_open()) return *cursor;
    return *cursors_.emplace_back(std::make_unique<PgCursor>());
}

}  // namespace alchemy::detail::pg
