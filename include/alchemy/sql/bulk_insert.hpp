// sa::bulk_insert(conn, objects): the fastest way alchemy loads many objects — COPY on
// PostgreSQL, a prepared single-row INSERT stepped per row on SQLite. Like SQLAlchemy's
// bulk_insert_mappings it trades features for speed: no RETURNING (generated keys are
// not read back), no upsert, no session; objects whose autoincrement key is unset leave
// it to the database, others insert theirs.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/error.hpp"
#include "alchemy/core/param_buffer.hpp"
#include "alchemy/schema/model_row.hpp"
#include "alchemy/sql/insert.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace alchemy {

/// Loads `objects` into T's table in the connection's transaction; returns the rows loaded.
/// All objects must agree on whether their key is generated (ArgumentError otherwise).
template <class T>
    requires(detail::require_model<T>())
std::int64_t bulk_insert(Connection& conn, std::span<const T> objects) {
    if (objects.empty()) return 0;
    const bool generated = needs_generated_key(objects.front());
    ParamBuffer params;
    for (const auto& obj : objects) {
        if (needs_generated_key(obj) != generated)
            throw ArgumentError("alchemy: bulk_insert() needs every object to leave its key to the "
                                "database, or every object to give one; split the batch");
        bind_columns(obj, params, generated);
    }
    auto names = [](auto indexes) {
        std::array<std::string_view, indexes.size()> out{};
        for (std::size_t i = 0; i < indexes.size(); ++i) out[i] = model_info<T>::columns[indexes[i]].name;
        return out;
    };
    if (generated) {
        static constexpr auto columns = names(detail::inserted_columns<T, true>());
        return conn.copy_rows(model_info<T>::table_name, columns, params.params());
    }
    static constexpr auto columns = names(detail::inserted_columns<T, false>());
    return conn.copy_rows(model_info<T>::table_name, columns, params.params());
}

template <class T>
    requires(detail::require_model<T>())
std::int64_t bulk_insert(Connection& conn, const std::vector<T>& objects) {
    return bulk_insert(conn, std::span<const T>(objects));
}

}  // namespace alchemy
