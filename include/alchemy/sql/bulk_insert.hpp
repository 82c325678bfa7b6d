// sa::bulk_insert(conn, objects): the fastest way alchemy loads many objects — binary COPY
// on PostgreSQL, multi-row INSERT statements on SQLite (as insert<T>().values(objects)
// sends them: as many rows each as sql/rows_per_statement.hpp allows). Like SQLAlchemy's
// bulk_insert_mappings it trades features for speed: no RETURNING (generated keys are
// not read back), no upsert, no session; objects whose autoincrement key is unset leave
// it to the database, others insert theirs, and empty std::optional fields with a
// sa::server_default leave their column to the database's default. The load is all or nothing,
// inside a transaction too: under AUTOCOMMIT a failure says that nothing stayed committed
// (DatabaseError::batch_progress()), as Connection::copy_rows does.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/error.hpp"
#include "alchemy/core/param_buffer.hpp"
#include "alchemy/schema/model_row.hpp"
#include "alchemy/sql/insert.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace alchemy {

namespace detail {

/// PostgreSQL's COPY of `objects`, without the columns of insert shape `omitted`.
template <class T>
std::int64_t copy_objects(Connection& conn, std::span<const T> objects, std::uint64_t omitted) {
    ParamBuffer params;
    for (const auto& obj : objects) bind_inserted(obj, params, omitted);
    std::vector<std::string_view> columns;
    for_each_inserted_column<T>(omitted, [&](std::string_view name) { columns.push_back(name); });
    return conn.copy_rows(model_info<T>::table_name, columns, params.params());
}

}  // namespace detail

/// Loads `objects` into T's table in the connection's transaction; returns the rows loaded.
/// All objects must agree on which columns they leave to the database (ArgumentError
/// otherwise).
template <class T>
    requires(detail::require_model<T>())
std::int64_t bulk_insert(Connection& conn, std::span<const T> objects) {
    if (objects.empty()) return 0;
    const auto shape = left_to_database(objects.front());
    if (!std::ranges::all_of(objects, [&](const T& obj) { return left_to_database(obj) == shape; }))
        throw ArgumentError(
            "alchemy: bulk_insert() needs every object to leave the same columns to "
            "the database (its key, empty std::optional fields with a server_default) "
            "or to give them all; split the batch");
    if (conn.dialect().bulk_loads_by_copy()) return detail::copy_objects(conn, objects, shape);
    // An insert of several statements is all or nothing itself (sql/insert.hpp), and one
    // statement is: under AUTOCOMMIT only the error's batch_progress() is left to add, as
    // COPY's.
    const bool autocommit = !conn.in_transaction() && conn.isolation_level() == IsolationLevel::autocommit;
    try {
        return conn.execute(insert<T>().values(objects)).rowcount();
    } catch (const DatabaseError& error) {
        if (!autocommit || error.batch_progress()) throw;
        rethrow_with_batch_progress(error, {objects.size(), 0, 0});
    }
}

template <class T>
    requires(detail::require_model<T>())
std::int64_t bulk_insert(Connection& conn, const std::vector<T>& objects) {
    return bulk_insert(conn, std::span<const T>(objects));
}

}  // namespace alchemy
