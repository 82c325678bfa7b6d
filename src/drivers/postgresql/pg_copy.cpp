// copy_rows over COPY ... FROM STDIN (FORMAT binary): the fastest way to load rows into
// PostgreSQL. The rows are encoded for the columns' types, which the server reports once
// per table and column list (pg_copy_format.hpp says why the types must be exact).
#include "alchemy/core/error.hpp"
#include "drivers/drivers.hpp"
#include "drivers/postgresql/pg_connection.hpp"
#include "drivers/postgresql/pg_copy_format.hpp"

#include <fmt/format.h>

#include <charconv>

namespace alchemy::detail::pg {
namespace {

// Data is handed to libpq in pieces of about this size: large enough that the per-call
// cost vanishes, small enough that a huge load does not sit in memory twice.
constexpr std::size_t copy_chunk_size = 64 * 1024;
// A binary COPY row states its field count in 16 bits.
constexpr std::size_t max_copy_columns = 32'767;
// Column lists whose types are remembered per connection; past this the memo starts over.
constexpr std::size_t copy_types_capacity = 64;

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
    const auto quoted_table = postgresql_driver().dialect().quote_identifier(table);
    const auto sql =
        fmt::format("COPY {} ({}) FROM STDIN (FORMAT binary)", quoted_table, column_list(columns));
    const auto& types = copy_column_types(sql, quoted_table, columns);

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
                                  {columns[c], types[c], row, sql});
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
    if (!finished || PQresultStatus(finished.get()) != PGRES_COMMAND_OK) {
        // The table may have changed under the remembered types; ask again next time.
        if (const auto it = copy_types_.find(sql); it != copy_types_.end()) copy_types_.erase(it);
        fail(finished.get(), sql);
    }
    const std::string_view loaded = PQcmdTuples(finished.get());
    std::int64_t count = 0;
    std::from_chars(loaded.data(), loaded.data() + loaded.size(), count);
    // One huge value should not pin its memory for the connection's life.
    if (copy_buffer_.capacity() > 4 * copy_chunk_size) std::string().swap(copy_buffer_);
    return count;
}

const std::vector<Oid>& PgConnection::copy_column_types(const std::string& copy_sql,
                                                        std::string_view quoted_table,
                                                        std::span<const std::string_view> columns) {
    if (const auto it = copy_types_.find(copy_sql); it != copy_types_.end()) return it->second;
    // The result of a query that returns no rows still describes its columns.
    const auto query = fmt::format("SELECT {} FROM {} LIMIT 0", column_list(columns), quoted_table);
    const auto described = checked(PQexec(connection_.get(), query.c_str()), query);
    std::vector<Oid> types;
    for (int column = 0; column < PQnfields(described.get()); ++column)
        types.push_back(PQftype(described.get(), column));
    if (copy_types_.size() >= copy_types_capacity) copy_types_.clear();
    return copy_types_.emplace(copy_sql, std::move(types)).first->second;
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
