// Models as rows: Result<T> reads a model from a row (columns by position, no name
// lookup), and bind_columns() binds a model's fields as statement parameters.
#pragma once

#include "alchemy/core/param_buffer.hpp"
#include "alchemy/core/result.hpp"
#include "alchemy/schema/detail/column_codec.hpp"
#include "alchemy/schema/model.hpp"

#include <boost/pfr/core.hpp>

#include <cstddef>
#include <utility>

namespace alchemy {

/// Reads columns [first, first + column_count) of the current row into `obj`'s fields.
template <mapped_model T>
void read_columns(const Cursor& c, T& obj, int first = 0) {
    [&]<std::size_t... C>(std::index_sequence<C...>) {
        (detail::column_codec<T, C>::read(
             c, first + static_cast<int>(C),
             boost::pfr::get<model_info<T>::columns[C].field>(obj)),
         ...);
    }(std::make_index_sequence<model_info<T>::column_count>{});
}

/// Binds `obj`'s columns in column order; with skip_generated, autoincrement columns
/// are left out (the database generates them).
template <mapped_model T>
void bind_columns(const T& obj, ParamBuffer& out, bool skip_generated = false) {
    [&]<std::size_t... C>(std::index_sequence<C...>) {
        ((skip_generated && model_info<T>::columns[C].autoincrement
              ? void()
              : detail::column_codec<T, C>::bind(
                    boost::pfr::get<model_info<T>::columns[C].field>(obj), out)),
         ...);
    }(std::make_index_sequence<model_info<T>::column_count>{});
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
                    const auto& v = boost::pfr::get<model_info<T>::columns[C].field>(obj);
                    if constexpr (detail::optional_traits<std::remove_cvref_t<decltype(v)>>::nullable)
                        unset = unset || !v.has_value() || *v == 0;
                    else
                        unset = unset || v == 0;
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
