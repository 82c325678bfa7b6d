// Non-template SQL rendering for statements over one model's table. The templates in
// sql/ hand a TableView (names only) to these functions, so each statement shape is
// compiled once in src/, not in every user translation unit.
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/schema/model.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace alchemy::detail {

struct TableView {
    std::string_view name;
    std::span<const ColumnSpec> columns;
};

template <class T>
constexpr TableView table_view() noexcept {
    return {model_info<T>::table_name, model_info<T>::columns};
}

/// INSERT INTO "t" ("a", "b") VALUES (?, ?), (?, ?) [RETURNING "a", ...]; autoincrement
/// columns are left out when skip_generated is set.
std::string render_insert(const Dialect& dialect, const TableView& table, bool skip_generated,
                          std::size_t rows, std::span<const std::string_view> returning);

}  // namespace alchemy::detail
