// execute_batch and copy_rows for SQLite: one cached statement, bound and stepped per row.
// SQLite runs in-process, so a loop over a prepared statement is already the fast path;
// there is nothing like PostgreSQL's pipelining or COPY to gain.
#include "drivers/drivers.hpp"
#include "drivers/sqlite/sqlite_connection.hpp"

namespace alchemy::detail::sqlite {

void SqliteConnection::execute_batch(std::string_view sql, std::span<const Param> params,
                                     std::size_t params_per_row,
                                     std::span<std::int64_t> rows_affected) {
    execute_batch_rows(params.size(), params_per_row, rows_affected.size());
    run_rows(sql, params, params_per_row, rows_affected);
}

std::int64_t SqliteConnection::copy_rows(std::string_view table,
                                         std::span<const std::string_view> columns,
                                         std::span<const Param> params) {
    batch_row_count(params.size(), columns.size(), "copy_rows()");
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
    return run_rows(sql, params, columns.size(), {});
}

std::int64_t SqliteConnection::run_rows(std::string_view sql, std::span<const Param> params,
                                        std::size_t params_per_row,
                                        std::span<std::int64_t> each) {
    if (params.empty()) return 0;
    auto& statement = idle_statement_for(sql);
    std::int64_t total = 0;
    for (std::size_t row = 0; row * params_per_row < params.size(); ++row) {
        statement.start(params.subspan(row * params_per_row, params_per_row));
        try {
            // RETURNING rows are not wanted, but the count is known only at the end.
            while (statement.next()) {
            }
        } catch (...) {
            statement.close();
            throw;
        }
        const auto affected = statement.rows_affected();
        statement.close();
        if (!each.empty()) each[row] = affected;
        total += affected;
    }
    return total;
}

}  // namespace alchemy::detail::sqlite
