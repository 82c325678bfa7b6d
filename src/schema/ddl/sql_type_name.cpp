// sql_type_name(): the DDL renderer's type spelling, for the layers above.
#include "alchemy/schema/sql_type_name.hpp"

#include "schema/ddl/ddl.hpp"

namespace alchemy {

std::string sql_type_name(const Dialect& dialect, const ColumnType& type) {
    return detail::ddl_renderer_for(dialect)->type_name(type);
}

}  // namespace alchemy
