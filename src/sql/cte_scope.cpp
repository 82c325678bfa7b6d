// The cold path of cte_scope (include/alchemy/sql/subquery.hpp).
#include "alchemy/sql/subquery.hpp"

#include "alchemy/core/error.hpp"

#include <fmt/format.h>

namespace alchemy::detail {

void throw_unrelated_ctes(std::string_view name) {
    throw CompileError(
        fmt::format("alchemy: multiple, unrelated CTEs found with the same name \"{}\"; give each its own "
                    "name, or use one CTE object (copies of it are the same CTE)",
                    name));
}

}  // namespace alchemy::detail
