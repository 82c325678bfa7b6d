// UPDATE ... FROM (VALUES ...) as a statement tree (sql/statement_tree.hpp).
#include "alchemy/sql/update_from_values.hpp"

#include "alchemy/schema/sql_type_name.hpp"
#include "alchemy/sql/statement_tree.hpp"

#include <string_view>
#include <vector>

namespace alchemy::detail {
namespace {

// Prefixed like alchemy's savepoints, to keep clear of the updated table; a table of that
// very name gets the other.
std::string_view values_alias(const Table& table) {
    return table.name == "sa_values" ? "sa_values_list" : "sa_values";
}

}  // namespace

std::string render_update_from_values(const Dialect& dialect, const Table& table,
                                      std::span<const std::size_t> set_columns,
                                      std::span<const std::size_t> match_columns, std::size_t rows,
                                      std::span<const SqlAssignment> set_sql,
                                      std::span<const std::size_t> returning) {
    std::vector<std::size_t> columns(set_columns.begin(), set_columns.end());
    columns.insert(columns.end(), match_columns.begin(), match_columns.end());
    // A column of bare parameters (or NULLs) would be text without a type where the
    // dialect says so (Dialect::values_need_casts).
    const bool typed = dialect.values_need_casts();
    // Both databases name a VALUES list's columns column1, column2, ...
    std::vector<std::string> names;
    std::vector<std::string> types;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        names.push_back("column" + std::to_string(i + 1));
        if (!typed) continue;
        // Without its length: a CAST to VARCHAR(n) cuts a longer text silently, where the
        // assignment to the column refuses it.
        auto type = table.columns[columns[i]].type;
        type.length = 0;
        types.push_back(sql_type_name(dialect, type));
    }

    const auto alias = values_alias(table);
    const auto values_column = [&](std::string_view name) {
        return ast::Node(ast::Kind::column, name, alias);
    };
    ast::TableRef values;
    values.alias = alias;
    values.values.reserve(rows);
    for (std::size_t r = 0; r < rows; ++r) {
        auto& row = values.values.emplace_back(ast::Kind::list);
        row.children.reserve(columns.size());
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (r > 0 || !typed) {
                row.children.emplace_back(ast::Kind::parameter);
                continue;
            }
            auto& cast = row.children.emplace_back(ast::Kind::cast, types[i]);
            cast.flag = true;
            cast.children.emplace_back(ast::Kind::parameter);
        }
    }

    ast::Update update;
    update.table = table.name;
    for (std::size_t i = 0; i < set_columns.size(); ++i)
        update.set.push_back({table.columns[set_columns[i]].name, values_column(names[i])});
    for (const auto& a : set_sql)
        update.set.push_back({table.columns[a.column].name, ast::Node(ast::Kind::keyword, a.sql)});
    update.from.push_back(std::move(values));
    for (std::size_t i = 0; i < match_columns.size(); ++i) {
        auto& equal = update.where.emplace_back(ast::Kind::binary, "=");
        equal.children.emplace_back(ast::Kind::column, table.columns[match_columns[i]].name, table.name);
        equal.children.push_back(values_column(names[set_columns.size() + i]));
    }
    // Qualified: the VALUES list's columns share the statement's namespace.
    for (auto c : returning)
        update.returning.emplace_back(ast::Kind::column, table.columns[c].name, table.name);
    return ast::render(dialect, update);
}

}  // namespace alchemy::detail
