// Which column type a C++ field type maps to. Cost: a few constexpr branches per field type.
#pragma once

#include "alchemy/schema/table.hpp"
#include "alchemy/schema/type_adapter.hpp"

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace alchemy::detail {

/// The one "may hold no value" trait: a std::optional<V> field or value is a NULL-able V.
/// nullable_v<T> says whether T is one, without_optional_t<T> is its V (T itself when it
/// is not); both look through const and references.
template <class T>
struct optional_parts {
    using value_type = T;
    static constexpr bool nullable = false;
};
template <class V>
struct optional_parts<std::optional<V>> {
    using value_type = V;
    static constexpr bool nullable = true;
};
template <class T>
inline constexpr bool nullable_v = optional_parts<std::remove_cvref_t<T>>::nullable;
template <class T>
using without_optional_t = typename optional_parts<std::remove_cvref_t<T>>::value_type;

template <class F>
inline constexpr bool is_sys_time_v = false;
template <class D>
inline constexpr bool is_sys_time_v<std::chrono::sys_time<D>> = true;

/// The built-in types a column can hold directly (no adapter, not an enum).
/// Character types are text, not numbers: they are refused rather than stored as integers.
template <class V>
inline constexpr bool is_character_v =
    std::is_same_v<V, char> || std::is_same_v<V, wchar_t> || std::is_same_v<V, char8_t> ||
    std::is_same_v<V, char16_t> || std::is_same_v<V, char32_t>;

template <class V>
consteval bool is_builtin_column_value() {
    return std::is_same_v<V, bool> || (std::is_integral_v<V> && !is_character_v<V>) ||
           std::is_same_v<V, float> || std::is_same_v<V, double> || std::is_same_v<V, std::string> ||
           std::is_same_v<V, std::vector<std::byte>> || is_sys_time_v<V> ||
           std::is_same_v<V, std::chrono::year_month_day>;
}

template <class V>
consteval TypeKind builtin_kind() {
    if constexpr (std::is_same_v<V, bool>) return TypeKind::boolean;
    else if constexpr (std::is_integral_v<V>) {
        // The smallest SQL type holding every value: SMALLINT is signed 16-bit.
        if constexpr (sizeof(V) == 1 || (sizeof(V) == 2 && std::is_signed_v<V>))
            return TypeKind::small_integer;
        else if constexpr (sizeof(V) <= 4 && (sizeof(V) < 4 || std::is_signed_v<V>)) return TypeKind::integer;
        else return TypeKind::big_integer;
    } else if constexpr (std::is_same_v<V, float>) return TypeKind::single_precision;
    else if constexpr (std::is_floating_point_v<V>) return TypeKind::double_precision;
    else if constexpr (std::is_same_v<V, std::string>) return TypeKind::text;
    else if constexpr (std::is_same_v<V, std::vector<std::byte>>) return TypeKind::blob;
    else if constexpr (is_sys_time_v<V>) return TypeKind::timestamp;
    else return TypeKind::date;
}

/// A non-optional value type a column can hold: built-in, enum, or adapted.
template <class V>
concept column_value = is_builtin_column_value<V>() || std::is_enum_v<V> ||
                       (adapted_type<V> && is_builtin_column_value<typename type_adapter<V>::storage_type>());

/// A field type that maps to a column: a column_value or std::optional of one.
template <class F>
concept column_field = column_value<without_optional_t<F>>;

/// The column type of value type V; enums stored as text are decided by the mapping.
template <column_value V>
consteval TypeKind column_kind() {
    if constexpr (adapted_type<V>) return builtin_kind<typename type_adapter<V>::storage_type>();
    else if constexpr (std::is_enum_v<V>) return builtin_kind<std::underlying_type_t<V>>();
    else return builtin_kind<V>();
}

}  // namespace alchemy::detail
