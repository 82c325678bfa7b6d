// One UPDATE for many rows on PostgreSQL: the rows' values arrive as a VALUES list
// joined to the table by key, so the server plans and runs one statement instead of
// one per row.
#include "alchemy/orm/detail/session_core.hpp"
#include "schema/ddl/ddl.hpp"

#include <string>

namespace alchemy::detail {

std::string render_update_from_values(const Dialect& dialect, const Table& table,
                                      std::span<const std::size_t> set_columns,
                                      std::span<const std::size_t> match_columns, std::size_t rows) {
    const auto ddl = ddl_renderer_for(dialect);
    const auto table_name = dialect.quote_identifier(table.name);
    const auto value = [](std::size_t i) { return "\"v\".\"column" + std::to_string(i + 1) + '"'; };
    std::string sql = "UPDATE " + table_name + " SET ";
    for (std::size_t i = 0; i < set_columns.size(); ++i) {
        if (i > 0) sql += ", ";
        dialect.append_identifier(sql, table.columns[set_columns[i]].name);
        sql += " = " + value(i);
    }
    sql += " FROM (VALUES ";
    const std::size_t width = set_columns.size() + match_columns.size();
    int placeholder = 0;
    for (std::size_t row = 0; row < rows; ++row) {
        sql += row > 0 ? ", (" : "(";
        for (std::size_t i = 0; i < width; ++i) {
            if (i > 0) sql += ", ";
            // The first row's casts give the VALUES columns their types; a column of
            // parameters (or NULLs) would otherwise be text.
            const auto column = i < set_columns.size() ? set_columns[i] : match_columns[i - set_columns.size()];
            if (row == 0) sql += "CAST(";
            dialect.append_placeholder(sql, ++placeholder);
            if (row == 0) sql += " AS " + ddl->type_name(table.columns[column].type) + ')';
        }
        sql += ')';
    }
    sql += ") AS \"v\" WHERE ";
    for (std::size_t i = 0; i < match_columns.size(); ++i) {
        if (i > 0) sql += " AND ";
        sql += table_name + '.';
        dialect.append_identifier(sql, table.columns[match_columns[i]].name);
        sql += " = " + value(set_columns.size() + i);
    }
    return sql;
}

}  // namespace alchemy::detail
