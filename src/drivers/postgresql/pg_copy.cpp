// copy_rows over COPY ... FROM STDIN (FORMAT binary): the fastest way to load rows into
// PostgreSQL. The rows are encoded for the columns' types, which the server reports on
// every call (pg_copy_format.hpp says why the types must be exact).
#include "alchemy/core/error.hpp"
#include "drivers/drivers.hpp"
#include "drivers/postgresql/pg_connection.hpp"
#include "drivers/postgresql/pg_copy_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace alchemy::detail::pg {
namespace {

// Data is handed to libpq in pieces of about this size: large enough that the per-call
// cost vanishes, small enough that a huge load does not sit in memory twice.
constexpr std::size_t copy_chunk_size = 64 * 1024;
// A binary COPY row states its field count in 16 bits.
constexpr std::size_t max_copy_columns = 32'767;
// Types below this OID are the server's built-in ones (pg_type.dat), none of them a domain;
// the rest were created by SQL (information_schema's, the user's) and may be domains.
constexpr Oid first_created_type = 10'000;

// The base type of each domain among `$1`, following domains over domains, as
// (domain, base) rows. A domain's base type never changes, so the transaction's
// snapshot of the catalog cannot be stale about it.
constexpr const char* domain_bases_sql =
    "WITH RECURSIVE chain (type, base) AS ("
    " SELECT asked, asked FROM unnest($1::pg_catalog.oid[]) AS asked"
    " UNION ALL"
    " SELECT chain.type, domain.typbasetype FROM chain"
    " JOIN pg_catalog.pg_type AS domain ON domain.oid = chain.base AND domain.typtype = 'd')"
    " SELECT chain.type, chain.base FROM chain"
    " JOIN pg_catalog.pg_type AS t ON t.oid = chain.base AND t.typtype <> 'd'"
    " WHERE chain.type <> chain.base";

std::string column_list(std::span<const std::string_view> columns) {
    const auto& dialect = postgresql_driver().dialect();
    std::string out;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i) out += ", ";
        dialect.append_identifier(out, columns[i]);
    }
    return out;
}

}  // namespace

std::int64_t PgConnection::copy_rows(std::string_view table, std::span<const std::string_view> columns,
                                     std::span<const Param> params) {
    const auto rows = batch_row_count(params.size(), columns.size(), "copy_rows()");
    settle();  // first: a failure here sent no row
    require_utf8("COPY");
    // Outside a transaction COPY is one statement, committed whole or not at all.
    const bool autocommit = !in_transaction();
    try {
        return copy_in(table, columns, params, rows);
    } catch (const DatabaseError& error) {
        if (!autocommit) throw;
        rethrow_with_batch_progress(error, {rows, 0, broken_ ? rows : 0});
    }
}

std::int64_t PgConnection::copy_in(std::string_view table, std::span<const std::string_view> columns,
                                   std::span<const Param> params, std::size_t rows) {
    flush_pending_begin();
    if (columns.size() > max_copy_columns)
        throw ArgumentError(
            fmt::format("alchemy: copy_rows() got {} columns; at most {} fit a "
                        "PostgreSQL COPY row",
                        columns.size(), max_copy_columns));
    if (rows == 0) return 0;
    const auto target =
        postgresql_driver().dialect().quote_identifier(table) + " (" + column_list(columns) + ")";
    const auto sql = fmt::format("COPY {} FROM STDIN (FORMAT binary)", target);
    // Outside a transaction the COPY gets one of its own, begun before the types are asked:
    // the lock their query takes then holds until the COPY has run, so no ALTER can come
    // between (an implicit transaction would end, and let go of it, after the query).
    const bool own_transaction = !in_transaction();
    try {
        const auto types = copy_column_types(target, columns.size(), sql, own_transaction);
        const auto count = send_copy(sql, columns, params, rows, types);
        if (own_transaction) execute_script("COMMIT");
        return count;
    } catch (...) {
        if (own_transaction && !broken_ && in_transaction()) {
            try {
                execute_script("ROLLBACK");
            } catch (...) {
                // The caller's exception says what failed; a ROLLBACK fails only with the
                // connection, which is then broken and not reused.
            }
        }
        throw;
    }
}

std::int64_t PgConnection::send_copy(const std::string& sql, std::span<const std::string_view> columns,
                                     std::span<const Param> params, std::size_t rows,
                                     const std::vector<Oid>& types) {
    // libpq keeps the value the server last reported.
    const char* zone = PQparameterStatus(connection_.get(), "TimeZone");
    const std::string_view session_zone = zone ? zone : "";

    PGconn* connection = connection_.get();
    ResultHandle started(PQexec(connection, sql.c_str()));
    if (!started || PQresultStatus(started.get()) != PGRES_COPY_IN) {
        checked(started.release(), sql);  // throws: COPY could not start
        return 0;
    }
    started.reset();

    try {
        copy_buffer_.clear();
        append_copy_header(copy_buffer_);
        for (std::size_t row = 0; row < rows; ++row) {
            append_copy_row_start(copy_buffer_, columns.size());
            for (std::size_t c = 0; c < columns.size(); ++c)
                append_copy_field(copy_buffer_, params[row * columns.size() + c],
                                  {columns[c], types[c], row, sql, session_zone});
            if (copy_buffer_.size() >= copy_chunk_size) put_copy_data(sql);
        }
        append_copy_trailer(copy_buffer_);
        put_copy_data(sql);
    } catch (...) {
        if (!broken_) cancel_copy("alchemy: copy_rows() stopped on a value it could not send");
        throw;
    }

    if (PQputCopyEnd(connection, nullptr) != 1) fail(nullptr, sql);
    ResultHandle finished(PQgetResult(connection));
    // COPY has a single result; reading on to the null readies the connection for more.
    while (PGresult* extra = PQgetResult(connection)) PQclear(extra);
    if (!finished || PQresultStatus(finished.get()) != PGRES_COMMAND_OK) fail(finished.get(), sql);
    const std::string_view loaded = PQcmdTuples(finished.get());
    std::int64_t count = 0;
    std::from_chars(loaded.data(), loaded.data() + loaded.size(), count);
    // One huge value should not pin its memory for the connection's life.
    if (copy_buffer_.capacity() > 4 * copy_chunk_size) std::string().swap(copy_buffer_);
    return count;
}

// Why the types come from the server's parse of `INSERT INTO <target> VALUES ($1, ...)`,
// whose parameters take the columns' types:
// - it resolves the table as the COPY will (quoting, search_path) and reads the table's
//   definition as it is now, as the COPY will; a query on pg_attribute would read the
//   transaction's snapshot, which under REPEATABLE READ misses another session's ALTER;
// - it takes the lock the COPY takes, which the transaction holds, so no ALTER can come
//   between (copy_in() begins a transaction for it when none is open);
// - parsing checks no privileges, so a role that may only INSERT is served, and it fails
//   only where the COPY would (a missing column gives the COPY's own error);
// - OVERRIDING SYSTEM VALUE: the COPY fills GENERATED ALWAYS identity columns too.
// Asked on every call, so there is nothing to go stale; one round trip beside a COPY.
std::vector<Oid> PgConnection::copy_column_types(std::string_view target, std::size_t count,
                                                 std::string_view copy_sql, bool begin) {
    std::string insert = fmt::format("INSERT INTO {} OVERRIDING SYSTEM VALUE VALUES (", target);
    for (std::size_t i = 1; i <= count; ++i) insert += (i > 1 ? ", $" : "$") + std::to_string(i);
    insert += ')';
    PGconn* connection = connection_.get();
    // The unnamed statement is execute()'s scratch space too; nothing keeps it.
    if (PQenterPipelineMode(connection) != 1 || (begin && !send_command("BEGIN")) ||
        PQsendPrepare(connection, "", insert.c_str(), 0, nullptr) != 1 ||
        PQsendDescribePrepared(connection, "") != 1 || PQpipelineSync(connection) != 1)
        lose(copy_sql);  // the pipeline is in an unknown state
    // Each request's results end with a null; the sync comes last.
    ResultHandle begun;
    if (begin) {
        begun.reset(PQgetResult(connection));
        while (PGresult* extra = PQgetResult(connection)) PQclear(extra);
    }
    const ResultHandle parsed(PQgetResult(connection));
    while (PGresult* extra = PQgetResult(connection)) PQclear(extra);
    const ResultHandle described(PQgetResult(connection));
    while (PGresult* extra = PQgetResult(connection)) PQclear(extra);
    const ResultHandle sync(PQgetResult(connection));
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC || PQexitPipelineMode(connection) != 1)
        lose(copy_sql);
    if (begin && (!begun || PQresultStatus(begun.get()) != PGRES_COMMAND_OK)) fail(begun.get(), copy_sql);
    if (!parsed || PQresultStatus(parsed.get()) != PGRES_COMMAND_OK) fail(parsed.get(), copy_sql);
    if (!described || PQresultStatus(described.get()) != PGRES_COMMAND_OK) fail(described.get(), copy_sql);

    std::vector<Oid> types;
    for (int i = 0; i < PQnparams(described.get()); ++i) types.push_back(PQparamtype(described.get(), i));
    resolve_domains(types);
    return types;
}

// A domain's values travel in its base type's binary form (the server's domain_recv reads
// the base type, then checks the domain's constraints).
void PgConnection::resolve_domains(std::vector<Oid>& types) {
    std::string asked;
    for (const Oid type : types) {
        if (type < first_created_type) continue;
        asked += asked.empty() ? '{' : ',';
        asked += std::to_string(type);
    }
    if (asked.empty()) return;
    asked += '}';
    const char* values[] = {asked.c_str()};
    const auto bases =
        checked(PQexecParams(connection_.get(), domain_bases_sql, 1, nullptr, values, nullptr, nullptr, 0),
                domain_bases_sql);
    for (int row = 0; row < PQntuples(bases.get()); ++row) {
        const auto read = [&](int column) {
            const std::string_view text = PQgetvalue(bases.get(), row, column);
            Oid value = 0;
            std::from_chars(text.data(), text.data() + text.size(), value);
            return value;
        };
        std::replace(types.begin(), types.end(), read(0), read(1));
    }
}

void PgConnection::put_copy_data(std::string_view sql) {
    if (copy_buffer_.empty()) return;
    if (PQputCopyData(connection_.get(), copy_buffer_.data(), static_cast<int>(copy_buffer_.size())) != 1)
        fail(nullptr, sql);
    copy_buffer_.clear();
}

void PgConnection::cancel_copy(const char* reason) noexcept {
    PGconn* connection = connection_.get();
    // The server answers CopyFail with an error, which ends the COPY (and aborts the
    // transaction); the caller's exception says what went wrong, so the answer is dropped.
    if (PQputCopyEnd(connection, reason) == 1)
        while (PGresult* rest = PQgetResult(connection)) PQclear(rest);
    std::string().swap(copy_buffer_);
}

}  // namespace alchemy::detail::pg
