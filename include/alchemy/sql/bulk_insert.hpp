// sa::bulk_insert(conn, objects): the fastest way alchemy loads many objects — binary COPY
// on PostgreSQL, multi-row INSERT statements on SQLite (as insert<T>().values(objects)
// sends them: as many rows each as sql/detail/batching.hpp allows). Like SQLAlchemy's
// bulk_insert_mappings it trades features for speed: no RETURNING (generated keys are
// not read back), no upsert, no session; objects whose autoincrement key is unset leave
// it to the database, others insert theirs. The load is all or nothing: under AUTOCOMMIT
// it runs in a transaction of its own, and a failure says that nothing stayed committed
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

/// Runs `load` (which returns the rows it loaded, of `rows`) in the connection's
/// transaction, or under AUTOCOMMIT in a transaction of its own.
template <class Load>
std::int64_t load_all_or_nothing(Connection& conn, std::size_t rows, Load load) {
    if (conn.in_transaction() || conn.isolation_level() != IsolationLevel::autocommit) return load();
    auto transaction = conn.begin();
    try {
        const auto loaded = load();
        transaction.commit();
        return loaded;
    } catch (const DatabaseError& error) {
        rethrow_with_batch_progress(error, {rows, 0, 0});  // the guard rolls back on the way out
    }
}

/// PostgreSQL's COPY of `objects` (generated: without their autoincrement key).
template <class T>
std::int64_t copy_objects(Connection& conn, std::span<const T> objects, bool generated) {
    ParamBuffer params;
    for (const auto& obj : objects) bind_columns(obj, params, generated);
    auto names = [](auto indexes) {
        std::array<std::string_view, indexes.size()> out{};
        for (std::size_t i = 0; i < indexes.size(); ++i) out[i] = model_info<T>::columns[indexes[i]].name;
        return out;
    };
    if (generated) {
        static constexpr auto columns = names(inserted_columns<T, true>());
        return conn.copy_rows(model_info<T>::table_name, columns, params.params());
    }
    static constexpr auto columns = names(inserted_columns<T, false>());
    return conn.copy_rows(model_info<T>::table_name, columns, params.params());
}

}  // namespace detail

/// Loads `objects` into T's table in the connection's transaction; returns the rows loaded.
/// All objects must agree on whether their key is generated (ArgumentError otherwise).
template <class T>
    requires(detail::require_model<T>())
std::int64_t bulk_insert(Connection& conn, std::span<const T> objects) {
    if (objects.empty()) return 0;
    const bool generated = needs_generated_key(objects.front());
    if (!std::ranges::all_of(objects, [&](const T& obj) { return needs_generated_key(obj) == generated; }))
        throw ArgumentError("alchemy: bulk_insert() needs every object to leave its key to the "
                            "database, or every object to give one; split the batch");
    if (conn.dialect().name() == "postgresql") return detail::copy_objects(conn, objects, generated);
    return detail::load_all_or_nothing(conn, objects.size(),
                                       [&] { return conn.execute(insert<T>().values(objects)).rowcount(); });
}

template <class T>
    requires(detail::require_model<T>())
std::int64_t bulk_insert(Connection& conn, const std::vector<T>& objects) {
    return bulk_insert(conn, std::span<const T>(objects));
}

}  // namespace alchemy
