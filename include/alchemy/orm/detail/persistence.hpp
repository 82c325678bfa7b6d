// Per-column helpers over model T that the Session's typed front and its table of
// operations (model_ops.hpp) are built from: visiting columns, comparing and hashing
// their values, the identity key.
#pragma once

#include "alchemy/core/param_buffer.hpp"
#include "alchemy/schema/model_row.hpp"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace alchemy::detail {

/// Calls f(std::integral_constant<std::size_t, C>{}) for each column C of T.
template <class T, class F>
void for_each_column(F&& f) {
    [&]<std::size_t... C>(std::index_sequence<C...>) {
        (f(std::integral_constant<std::size_t, C>{}), ...);
    }(std::make_index_sequence<model_info<T>::column_count>{});
}

/// Equality of two field values as the database would store them; types without ==
/// (a type_adapter's) compare by their stored form. A NaN the database gave back is the
/// same value again (== would call it changed at every flush), and so is a time point
/// finer than the microseconds the database keeps of it: a key read back from the row
/// must find the object it was written from.
template <class V>
bool same_value(const V& a, const V& b) {
    if constexpr (std::floating_point<V>) {
        return a == b || (a != a && b != b);
    } else if constexpr (is_sys_time_v<V>) {
        if (a == b) return true;
        const auto stored_a = stored_timestamp(a);
        return stored_a && stored_a == stored_timestamp(b);
    } else if constexpr (nullable_v<V>) {
        return a.has_value() == b.has_value() && (!a || same_value(*a, *b));
    } else if constexpr (std::equality_comparable<V>) {
        return a == b;
    } else {
        return type_adapter<V>::to_storage(a) == type_adapter<V>::to_storage(b);
    }
}

/// The column of T that sa::version() names, or column_count.
template <class T>
inline constexpr std::size_t version_column = [] {
    for (std::size_t c = 0; c < model_info<T>::column_count; ++c)
        if (model_info<T>::columns[c].version) return c;
    return model_info<T>::column_count;
}();
template <class T>
inline constexpr bool versioned = version_column<T> < model_info<T>::column_count;

// Identity keys -------------------------------------------------------------------------

template <class T, std::size_t... K>
auto key_tuple(std::index_sequence<K...>) -> std::tuple<column_field_t<T, model_info<T>::primary_key[K]>...>;

/// The identity of a row of T: its primary key values, in key order.
template <class T>
using key_type = decltype(key_tuple<T>(std::make_index_sequence<model_info<T>::primary_key_count>{}));

/// A T whose key fields hold `key` (the rest default): what the identity map compares.
template <class T>
T with_key(const key_type<T>& key) {
    T probe{};
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        ((field_of<model_info<T>::primary_key[K]>(probe) = std::get<K>(key)), ...);
    }(std::make_index_sequence<model_info<T>::primary_key_count>{});
    return probe;
}

/// A hash that agrees with same_value().
template <class V>
std::size_t hash_value(const V& v) {
    if constexpr (nullable_v<V>) return v ? hash_value(*v) : 0x9e3779b9u;
    else if constexpr (is_sys_time_v<V>) {
        const auto stored = stored_timestamp(v);
        return std::hash<std::int64_t>{}(static_cast<std::int64_t>(stored ? stored->time_since_epoch().count()
                                                                          : v.time_since_epoch().count()));
    } else if constexpr (requires { std::hash<V>{}(v); }) return std::hash<V>{}(v);
    else
        static_assert(always_false<V>,
                      "alchemy: the Session keys its identity map by primary key; make the key "
                      "fields integers, strings, enums or time points");
}

/// Binds the primary key columns of `obj` (in key order).
template <class T>
void bind_key(const T& obj, ParamBuffer& out) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        (column_codec<T, model_info<T>::primary_key[K]>::bind(field_of<model_info<T>::primary_key[K]>(obj),
                                                              out),
         ...);
    }(std::make_index_sequence<model_info<T>::primary_key_count>{});
}

}  // namespace alchemy::detail
