// Rendering of the model-level SELECT and INSERT statements.
#include "alchemy/sql/detail/render.hpp"

namespace alchemy::detail {

std::string render_insert(const Dialect& dialect, const TableView& table, bool skip_generated,
                          std::size_t rows, std::span<const std::string_view> returning) {
    std::string sql = "INSERT INTO ";
    dialect.append_identifier(sql, table.name);
    std::size_t per_row = 0;
    for (const auto& column : table.columns) {
        if (skip_generated && column.autoincrement) continue;
        sql += per_row == 0 ? " (" : ", ";
        dialect.append_identifier(sql, column.name);
        ++per_row;
    }
    if (per_row == 0) {
        // Every column is generated: one row of defaults (rows must be 1).
        sql += " DEFAULT VALUES";
    } else {
        sql += ") VALUES ";
        int placeholder = 0;
        for (std::size_t r = 0; r < rows; ++r) {
            sql += r == 0 ? "(" : ", (";
            for (std::size_t c = 0; c < per_row; ++c) {
                if (c) sql += ", ";
                dialect.append_placeholder(sql, ++placeholder);
            }
            sql += ')';
        }
    }
    for (std::size_t i = 0; i < returning.size(); ++i) {
        sql += i == 0 ? " RETURNING " : ", ";
        dialect.append_identifier(sql, returning[i]);
    }
    return sql;
}

}  // namespace alchemy::detail
