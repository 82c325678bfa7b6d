// sa::select<T>(): every column of model T's table; rows are T values.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/schema/model_row.hpp"
#include "alchemy/sql/detail/render.hpp"
#include "alchemy/sql/detail/sql_cache.hpp"

#include <string>

namespace alchemy {

template <mapped_model T>
class SelectModel {
public:
    /// The SQL as sent to `dialect`.
    std::string sql(const Dialect& dialect) const { return text(dialect); }

    Result<T> execute_on(Connection& conn) const {
        return conn.execute_sql(text(conn.dialect())).template as<T>();
    }

private:
    struct shape {};
    static const std::string& text(const Dialect& dialect) {
        return detail::sql_cache<shape>::get(dialect, [](const Dialect& d) {
            return detail::render_select_all(d, detail::table_view<T>());
        });
    }
};

/// SELECT every column of T's table.
template <class T>
    requires(detail::require_model<T>())
SelectModel<T> select() {
    return {};
}

}  // namespace alchemy
