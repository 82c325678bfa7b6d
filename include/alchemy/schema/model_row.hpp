// Models as rows: Result<T> reads a model from a row (columns by position, no name
// lookup), and bind_columns() binds a model's fields as statement parameters.
#pragma once

#include "alchemy/core/param_buffer.hpp"
#include "alchemy/core/result.hpp"
#include "alchemy/schema/column_codec.hpp"
#include "alchemy/schema/model.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace alchemy {

/// Reads columns [first, first + column_count) of the current row into `obj`'s fields.
template <mapped_model T>
void read_columns(const Cursor& c, T& obj, int first = 0) {
    [&]<std::size_t... C>(std::index_sequence<C...>) {
        (detail::column_codec<T, C>::read(c, first + static_cast<int>(C), detail::field_of<C>(obj)), ...);
    }(std::make_index_sequence<model_info<T>::column_count>{});
}

namespace detail {
/// True for a column the database fills when an INSERT leaves it out and a field can
/// say "unset": the autoincrement key (0 or empty) and sa::server_default columns of
/// std::optional fields (empty). A non-optional field always holds a value to send, so
/// its server default only serves rows inserted without the column (raw SQL, other
/// programs, rows that existed before a migration added it).
constexpr bool fillable(const ColumnSpec& c) noexcept {
    return c.autoincrement || (!c.server_default.empty() && c.nullable);
}

template <class T>
inline constexpr std::size_t fillable_count = [] {
    std::size_t n = 0;
    for (const auto& c : model_info<T>::columns) n += fillable(c) ? 1 : 0;
    return n;
}();

/// The column indexes of T's fillable columns, in column order: bit i of an insert shape
/// (left_to_database()) stands for fillable_columns<T>[i].
template <class T>
inline constexpr auto fillable_columns = [] {
    static_assert(fillable_count<T> <= 64,
                  "alchemy: a model has at most 64 columns that are autoincrement or have a "
                  "server_default on a std::optional field");
    std::array<std::size_t, fillable_count<T>> out{};
    std::size_t next = 0;
    for (std::size_t c = 0; c < model_info<T>::column_count; ++c)
        if (fillable(model_info<T>::columns[c])) out[next++] = c;
    return out;
}();

/// The bit of column C in an insert shape; 0 when the database never fills C.
template <class T, std::size_t C>
inline constexpr std::uint64_t fillable_bit = [] {
    for (std::size_t i = 0; i < fillable_count<T>; ++i)
        if (fillable_columns<T>[i] == C) return std::uint64_t{1} << i;
    return std::uint64_t{0};
}();

/// The insert shape that leaves out exactly the autoincrement columns.
template <class T>
inline constexpr std::uint64_t generated_shape = [] {
    std::uint64_t shape = 0;
    for (std::size_t i = 0; i < fillable_count<T>; ++i)
        if (model_info<T>::columns[fillable_columns<T>[i]].autoincrement) shape |= std::uint64_t{1} << i;
    return shape;
}();

/// Calls add(name) for each column of T that an INSERT of shape `omitted` sends, in
/// column order.
template <class T, class F>
void for_each_inserted_column(std::uint64_t omitted, F&& add) {
    std::size_t fillable_index = 0;
    for (const auto& column : model_info<T>::columns) {
        const bool left_out = fillable(column) && ((omitted >> fillable_index++) & 1) != 0;
        if (!left_out) add(column.name);
    }
}

template <class F>
bool holds_unset(const F& v, bool key) {
    if constexpr (nullable_v<F>) {
        if constexpr (std::is_integral_v<without_optional_t<F>>) return !v.has_value() || (key && *v == 0);
        else return !v.has_value();
    } else if constexpr (std::is_integral_v<F>) {
        return key && v == 0;
    } else {
        return false;
    }
}
}  // namespace detail

/// The insert shape of `obj`: bit i set when column detail::fillable_columns<T>[i] holds
/// its unset value (a key of 0 or empty, an empty std::optional with a server default),
/// so an INSERT leaves the column out and the database fills it. Rows of one shape share
/// a statement; 0 means every column is sent.
template <mapped_model T>
std::uint64_t left_to_database(const T& obj) {
    std::uint64_t shape = 0;
    [&]<std::size_t... C>(std::index_sequence<C...>) {
        (
            [&] {
                if constexpr (detail::fillable_bit<T, C> != 0)
                    if (detail::holds_unset(detail::field_of<C>(obj),
                                            model_info<T>::columns[C].autoincrement))
                        shape |= detail::fillable_bit<T, C>;
            }(),
            ...);
    }(std::make_index_sequence<model_info<T>::column_count>{});
    return shape;
}

/// Binds `obj`'s columns in column order, but those of insert shape `omitted` (see
/// left_to_database()), which the database fills.
template <mapped_model T>
void bind_inserted(const T& obj, ParamBuffer& out, std::uint64_t omitted) {
    [&]<std::size_t... C>(std::index_sequence<C...>) {
        (((omitted & detail::fillable_bit<T, C>) != 0
              ? void()
              : detail::column_codec<T, C>::bind(detail::field_of<C>(obj), out)),
         ...);
    }(std::make_index_sequence<model_info<T>::column_count>{});
}

/// Binds `obj`'s columns in column order; with skip_generated, autoincrement columns
/// are left out (the database generates them).
template <mapped_model T>
void bind_columns(const T& obj, ParamBuffer& out, bool skip_generated = false) {
    bind_inserted(obj, out, skip_generated ? detail::generated_shape<T> : 0);
}

/// True when every autoincrement column of `obj` is unset (0 or empty): the database
/// should generate it.
template <mapped_model T>
bool needs_generated_key(const T& obj) {
    bool unset = false;
    [&]<std::size_t... C>(std::index_sequence<C...>) {
        (
            [&] {
                if constexpr (model_info<T>::columns[C].autoincrement) {
                    static_assert(model_info<T>::columns[C].plain_integer,
                                  "alchemy: sa::autoincrement() applies to integer fields; an enum or an "
                                  "adapted type is always sent as given");
                    const auto& v = detail::field_of<C>(obj);
                    if constexpr (detail::nullable_v<decltype(v)>) unset = unset || !v.has_value() || *v == 0;
                    else unset = unset || v == 0;
                }
            }(),
            ...);
    }(std::make_index_sequence<model_info<T>::column_count>{});
    return unset;
}

template <mapped_model T>
struct row_traits<T> {
    static constexpr int columns = static_cast<int>(model_info<T>::column_count);
    static T read(const Cursor& c) {
        T obj{};
        read_columns(c, obj);
        return obj;
    }
};

}  // namespace alchemy
