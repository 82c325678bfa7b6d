// column_codec<T, C>: binds column C of model T from its field and reads it back, with
// the column's own storage rules (enums as integers or names, type_adapter conversions)
// and errors that name the table and column. Reads assign into the existing field, so
// a std::string keeps its capacity when a row is read into a reused object.
// Cost: one small class per (model, column), all inline.
#pragma once

#include "alchemy/core/param_buffer.hpp"
#include "alchemy/core/value_traits.hpp"
#include "alchemy/schema/detail/enum_names.hpp"
#include "alchemy/schema/model.hpp"

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace alchemy::detail {

[[noreturn]] void throw_null_column(std::string_view table, std::string_view column, std::string_view model);
[[noreturn]] void throw_unknown_enum_text(std::string_view table, std::string_view column,
                                          std::string_view text);
[[noreturn]] void throw_unnamed_enum_value(std::string_view table, std::string_view column, long long value);
[[noreturn]] void throw_assigned_out_of_range(std::string_view table, std::string_view column,
                                              long long value, std::string_view type);
[[noreturn]] void throw_assigned_out_of_range(std::string_view table, std::string_view column,
                                              unsigned long long value, std::string_view type);

/// Binding and reading of a non-NULL value of type V for one column.
template <class V, bool AsText>
struct value_codec {
    static void bind(const V& v, ParamBuffer& out, std::string_view, std::string_view) {
        out.add(value_traits<V>::to_param(v));
    }
    static void read(const Cursor& c, int i, V& out, std::string_view, std::string_view) {
        if constexpr (std::is_same_v<V, std::string>) {
            // Not assign(): its general replace runs some 40 instructions more a string,
            // out of line, where append()'s common case is inline.
            const auto text = c.read_text(i);
            out.clear();
            out.append(text.data(), text.size());
        } else {
            out = value_traits<V>::read_value(c, i);
        }
    }
};

template <class E>
    requires std::is_enum_v<E> && (!adapted_type<E>)
struct value_codec<E, false> {
    // Only an enum with a fixed underlying type holds every value of that type (C++17
    // allows E{value} exactly then); for one without, reading a number outside its
    // enumerators' range would be undefined behaviour.
    static_assert(
        requires { E{std::underlying_type_t<E>{}}; },
        "alchemy: an enum stored as a number needs a fixed underlying type (enum Status : "
        "std::int16_t { ... }, or enum class), or sa::enum_as_text in the mapping");
    using underlying = std::underlying_type_t<E>;
    static void bind(const E& v, ParamBuffer& out, std::string_view, std::string_view) {
        // Through the underlying type's traits, which refuse a uint64_t above INT64_MAX.
        out.add(value_traits<underlying>::to_param(static_cast<underlying>(v)));
    }
    static void read(const Cursor& c, int i, E& out, std::string_view, std::string_view) {
        out = static_cast<E>(value_traits<underlying>::read_value(c, i));
    }
};

template <class E>
    requires std::is_enum_v<E> && (!adapted_type<E>)
struct value_codec<E, true> {
    static void bind(const E& v, ParamBuffer& out, std::string_view table, std::string_view column) {
        for (const auto& entry : enum_entries<E>)
            if (entry.value == v) return out.add(Param::of_text(entry.name));
        throw_unnamed_enum_value(table, column,
                                 static_cast<long long>(static_cast<std::underlying_type_t<E>>(v)));
    }
    static void read(const Cursor& c, int i, E& out, std::string_view table, std::string_view column) {
        const auto text = c.read_text(i);
        for (const auto& entry : enum_entries<E>)
            if (entry.name == text) {
                out = entry.value;
                return;
            }
        throw_unknown_enum_text(table, column, text);
    }
};

template <adapted_type V>
struct value_codec<V, false> {
    using storage = typename type_adapter<V>::storage_type;
    static void bind(const V& v, ParamBuffer& out, std::string_view, std::string_view) {
        const storage stored = type_adapter<V>::to_storage(v);
        out.add_owned(Value(value_traits<storage>::to_param(stored)));
    }
    static void read(const Cursor& c, int i, V& out, std::string_view, std::string_view) {
        out = type_adapter<V>::from_storage(value_traits<storage>::read_value(c, i));
    }
};

template <class T, std::size_t C>
struct column_codec {
    static constexpr const ColumnSpec& spec = model_info<T>::columns[C];
    using field_type = column_field_t<T, C>;
    using value_type = without_optional_t<field_type>;
    using codec = value_codec<value_type, spec.enum_as_text>;

    /// Integer `v` assigned to this integer column, in the field's type; a value the field
    /// cannot hold is a DataError rather than another number.
    template <class I>
    static value_type narrow(I v) {
        using Widest = std::conditional_t<std::is_signed_v<I>, long long, unsigned long long>;
        if (!std::in_range<value_type>(v))
            throw_assigned_out_of_range(model_info<T>::table_name, spec.name, static_cast<Widest>(v),
                                        type_name<value_type>());
        return static_cast<value_type>(v);
    }

    static void bind(const field_type& v, ParamBuffer& out) {
        if constexpr (nullable_v<field_type>) {
            if (!v) return out.add(Param::null());
            codec::bind(*v, out, model_info<T>::table_name, spec.name);
        } else {
            codec::bind(v, out, model_info<T>::table_name, spec.name);
        }
    }

    static void read(const Cursor& c, int i, field_type& out) {
        if (c.is_null(i)) {
            if constexpr (nullable_v<field_type>) {
                out.reset();
                return;
            } else {
                throw_null_column(model_info<T>::table_name, spec.name, type_name<T>());
            }
        }
        if constexpr (nullable_v<field_type>) {
            if (!out) out.emplace();
            codec::read(c, i, *out, model_info<T>::table_name, spec.name);
        } else {
            codec::read(c, i, out, model_info<T>::table_name, spec.name);
        }
    }
};

}  // namespace alchemy::detail
