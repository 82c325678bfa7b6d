// execute_batch and copy_rows for SQLite: one cached statement, bound and stepped per row.
// SQLite runs in-process, so a loop over a prepared statement is already the fast path;
// there is nothing like PostgreSQL's pipelining or COPY to gain.
#include "alchemy/core/error.hpp"
#include "drivers/drivers.hpp"
#include "drivers/sqlite/sqlite_connection.hpp"

namespace alchemy::detail::sqlite {

void SqliteConnection::execute_batch(std::string_view sql, std::span<const Param> params,
                                     std::size_t params_per_row, std::span<std::int64_t> rows_affected) {
    const auto rows = execute_batch_rows(params.size(), params_per_row, rows_affected.size());
    // Outside a transaction every row commits on its own.
    const bool autocommit = !in_transaction();
    std::size_t done = 0;
    try {
        run_rows(sql, params, params_per_row, rows_affected, done);
    } catch (const DatabaseError& error) {
        if (!autocommit) throw;
        rethrow_with_batch_progress(error, {rows, done, 0});
    }
}

std::int64_t SqliteConnection::copy_rows(std::string_view table, std::span<const std::string_view> columns,
                                         std::span<const Param> params) {
    const auto rows = batch_row_count(params.size(), columns.size(), "copy_rows()");
    const auto& dialect = sqlite_driver().dialect();
    std::string sql = "INSERT INTO ";
    dialect.append_identifier(sql, table);
    sql += " (";
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i) sql += ", ";
        dialect.append_identifier(sql, columns[i]);
    }
    sql += ") VALUES (";
    for (std::size_t i = 0; i < columns.size(); ++i) sql += i ? ", ?" : "?";
    sql += ')';
    std::size_t done = 0;
    // The load is all or nothing, as PostgreSQL's COPY. Outside a transaction it runs in one
    // of its own rather than committing row by row; inside, in a SAVEPOINT, as SQLite undoes
    // only a failing row's INSERT and a COMMIT after the error would save the rows before it.
    const bool own_transaction = !in_transaction();
    execute_script(own_transaction ? "BEGIN" : "SAVEPOINT alchemy_copy_rows");
    try {
        const auto loaded = run_rows(sql, params, columns.size(), {}, done);
        execute_script(own_transaction ? "COMMIT" : "RELEASE alchemy_copy_rows");
        return loaded;
    } catch (...) {
        undo_load_quietly(own_transaction);
        try {
            throw;
        } catch (const DatabaseError& error) {
            if (!own_transaction) throw;
            rethrow_with_batch_progress(error, {rows, 0, 0});
        }
    }
}

void SqliteConnection::undo_load_quietly(bool own_transaction) noexcept {
    if (!in_transaction()) return;  // SQLite already rolled back (a full disk, say), SAVEPOINT and all
    try {
        if (!own_transaction) {
            execute_script("ROLLBACK TO alchemy_copy_rows; RELEASE alchemy_copy_rows");
            return;
        }
    } catch (...) {
        // Rows the SAVEPOINT could not undo must not reach a COMMIT: the whole transaction
        // goes, and the Connection reports it lost.
    }
    try {
        execute_script("ROLLBACK");
    } catch (...) {  // the caller's error says what went wrong; this one adds nothing
    }
}

std::int64_t SqliteConnection::run_rows(std::string_view sql, std::span<const Param> params,
                                        std::size_t params_per_row, std::span<std::int64_t> each,
                                        std::size_t& done) {
    if (params.empty()) return 0;
    auto& statement = idle_statement_for(sql);
    std::int64_t total = 0;
    for (std::size_t row = 0; row * params_per_row < params.size(); ++row) {
        statement.start(params.subspan(row * params_per_row, params_per_row));
        try {
            // RETURNING rows are not wanted, but the count is known only at the end.
            while (statement.next()) {}
        } catch (...) {
            statement.close();
            throw;
        }
        const auto affected = statement.rows_affected();
        statement.close();
        if (!each.empty()) each[row] = affected;
        total += affected;
        done = row + 1;
    }
    return total;
}

}  // namespace alchemy::detail::sqlite
