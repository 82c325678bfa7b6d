// The cold paths of column_codec: errors naming the table and column.
#include "alchemy/schema/column_codec.hpp"

#include "alchemy/core/error.hpp"

#include <fmt/format.h>

namespace alchemy::detail {

void throw_null_column(std::string_view table, std::string_view column, std::string_view model) {
    throw DataError("22004",
                    fmt::format("column {}.{} is NULL but {}::{} is not a std::optional; make the "
                                "field optional or the column NOT NULL",
                                table, column, model, column),
                    "");
}

void throw_unknown_enum_text(std::string_view table, std::string_view column, std::string_view text) {
    throw DataError(
        "22P02",
        fmt::format("column {}.{} holds '{}', which is not a name of the field's enum", table, column, text),
        "");
}

void throw_unnamed_enum_value(std::string_view table, std::string_view column, long long value) {
    throw ArgumentError(
        fmt::format("alchemy: the value {} for {}.{} is not a named enumerator, so it cannot be stored as "
                    "text",
                    value, table, column));
}

namespace {
template <class Integer>
[[noreturn]] void throw_out_of_range(std::string_view table, std::string_view column, Integer value,
                                     std::string_view type) {
    throw DataError("22003",
                    fmt::format("the value {} assigned to {}.{} does not fit in its field's type {}", value,
                                table, column, type),
                    "");
}
}  // namespace

void throw_assigned_out_of_range(std::string_view table, std::string_view column, long long value,
                                 std::string_view type) {
    throw_out_of_range(table, column, value, type);
}

void throw_assigned_out_of_range(std::string_view table, std::string_view column, unsigned long long value,
                                 std::string_view type) {
    throw_out_of_range(table, column, value, type);
}

}  // namespace alchemy::detail
