// The types of a table's columns as the server reports them, asked once per connection
// and column list: COPY and column arrays encode values for exactly these types (see
// pg_copy_format.hpp for why the bytes must be the type's own).
#include "drivers/drivers.hpp"
#include "drivers/postgresql/pg_connection.hpp"

#include <fmt/format.h>

namespace alchemy::detail::pg {
namespace {

// Column lists whose types are remembered per connection; past this the memo starts over.
constexpr std::size_t column_types_capacity = 64;

}  // namespace

std::string column_list(std::span<const std::string_view> columns) {
    const auto& dialect = postgresql_driver().dialect();
    std::string out;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i) out += ", ";
        dialect.append_identifier(out, columns[i]);
    }
    return out;
}

std::string PgConnection::column_types_key(std::string_view table,
                                           std::span<const std::string_view> columns) {
    auto key = postgresql_driver().dialect().quote_identifier(table);
    key += " (";
    key += column_list(columns);
    key += ')';
    return key;
}

const std::vector<Oid>& PgConnection::column_types(std::string_view table,
                                                   std::span<const std::string_view> columns) {
    auto key = column_types_key(table, columns);
    if (const auto it = column_types_.find(key); it != column_types_.end()) return it->second;
    // Inside the transaction: a table it created is visible there alone.
    flush_pending_begin();
    // The result of a query that returns no rows still describes its columns.
    const auto query = fmt::format("SELECT {} FROM {} LIMIT 0", column_list(columns),
                                   postgresql_driver().dialect().quote_identifier(table));
    const auto described = checked(PQexec(connection_.get(), query.c_str()), query);
    std::vector<Oid> types;
    for (int column = 0; column < PQnfields(described.get()); ++column)
        types.push_back(PQftype(described.get(), column));
    if (column_types_.size() >= column_types_capacity) column_types_.clear();
    return column_types_.emplace(std::move(key), std::move(types)).first->second;
}

void PgConnection::forget_column_types(std::string_view table, std::span<const std::string_view> columns) {
    if (const auto it = column_types_.find(column_types_key(table, columns)); it != column_types_.end())
        column_types_.erase(it);
}

}  // namespace alchemy::detail::pg
