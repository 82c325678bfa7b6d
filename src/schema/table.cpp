// Lookups on the runtime schema description.
#include "alchemy/schema/table.hpp"

namespace alchemy {

const Column* Table::column(std::string_view column_name) const noexcept {
    for (const auto& c : columns)
        if (c.name == column_name) return &c;
    return nullptr;
}

}  // namespace alchemy
