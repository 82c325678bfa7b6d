// model_info<T>: everything alchemy knows about a model at compile time — its table
// name, its columns (fields that are not relationships) with their types and
// nullability, and its primary key — from the struct itself plus sa::mapping<T>.
//
// Mistakes are compile errors with one sentence each, checked in this order: the struct
// cannot be reflected; a field has an unsupported type (the field's name and type appear
// in the instantiation line of check_field: "Name = ...; F = ..."); a mapping option names a
// field of another struct or a relationship; there is no primary key; a foreign key
// refers to a type that is not a model.
//
// Cost per model: one index_sequence over the fields and one over the mapping options;
// everything is constexpr data, nothing is emitted but the names.
#pragma once

#include "alchemy/schema/detail/column_kind.hpp"
#include "alchemy/schema/detail/snake_case.hpp"
#include "alchemy/schema/mapping.hpp"
#include "alchemy/schema/reflect.hpp"
#include "alchemy/schema/relationships.hpp"

#include <array>
#include <cstddef>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

namespace alchemy {

/// One column of a model, as known at compile time.
struct ColumnSpec {
    std::string_view name;
    std::size_t field = 0;  ///< index of the struct field
    TypeKind kind = TypeKind::text;
    bool nullable = false;
    bool primary_key = false;
    std::size_t key_position = 0;  ///< place in the primary key, as declared
    bool autoincrement = false;
    bool enum_as_text = false;
    int length = 0;
    std::string_view server_default;  ///< empty: none
    std::string_view onupdate;        ///< sa::onupdate()'s SQL; empty: none
    bool version = false;             ///< sa::version(): the optimistic-concurrency counter
};

namespace detail {

template <class... Ts>
inline constexpr bool always_false = false;

/// Fails with the field's name and type in the instantiation line when F cannot be stored.
template <class T, fixed_string Name, class F>
consteval bool check_field() {
    constexpr bool struct_of_fields =
        !is_relationship_v<F> && !column_field<F> && std::is_class_v<F> && std::is_aggregate_v<F>;
    static_assert(!struct_of_fields,
                  "alchemy: a model field cannot be a struct of columns such as a Timestamps "
                  "mixin (its name and type are the Name and F of the check_field instantiation "
                  "above); declare its fields in the model itself, or specialise sa::type_adapter "
                  "to store the struct in one column");
    static_assert(struct_of_fields || is_relationship_v<F> || column_field<F>,
                  "alchemy: this model field has a type alchemy cannot store (its name and type "
                  "are the Name and F of the check_field instantiation above); use bool, an "
                  "integer, float/double, std::string, std::vector<std::byte>, "
                  "std::chrono::sys_time, std::chrono::year_month_day, an enum, std::optional of "
                  "one of those, or specialise sa::type_adapter for it");
    return true;
}

template <class T, std::size_t... I>
consteval bool check_fields(std::index_sequence<I...>) {
    return (check_field<T, field_name_storage<T, I>, field_type_t<T, I>>() && ...);
}

template <class T>
consteval std::size_t count_columns() {
    return []<std::size_t... I>(std::index_sequence<I...>) {
        return (std::size_t{0} + ... + (is_relationship_v<field_type_t<T, I>> ? 0 : 1));
    }(std::make_index_sequence<field_count<T>>{});
}

template <class T, std::size_t N>
consteval std::array<std::size_t, N> list_column_fields() {
    std::array<std::size_t, N> out{};
    std::size_t next = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((is_relationship_v<field_type_t<T, I>> ? void() : void(out[next++] = I)), ...);
    }(std::make_index_sequence<field_count<T>>{});
    return out;
}

#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wundefined-var-template"
#endif
/// The index of the field `member` points to, found by comparing addresses inside the
/// never-defined reflected_model<T>. Only ever called in constant evaluation (see
/// field_names.hpp); it is constexpr rather than consteval so that lambdas inside
/// consteval functions may call it with their parameters.
template <class T, field_pointer M>
constexpr std::size_t field_index_of(M member) {
    std::size_t found = field_count<T>;
    const void* target = std::addressof(reflected_model<T>.*member);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((target == static_cast<const void*>(std::addressof(boost::pfr::get<I>(reflected_model<T>)))
              ? void(found = I)
              : void()),
         ...);
    }(std::make_index_sequence<field_count<T>>{});
    return found;
}
#if defined(__clang__)
#pragma clang diagnostic pop
#endif

/// Checks that an option's member pointer names a column of T.
template <class T, field_pointer M>
consteval bool check_option_field() {
    static_assert(std::is_same_v<model_of_t<M>, T>,
                  "alchemy: an option in sa::mapping<T> names a field of another struct; every "
                  "field given to primary_key/unique/index/length/... must be a member of T");
    static_assert(!is_relationship_v<typename member_pointer_traits<M>::field>,
                  "alchemy: an option in sa::mapping<T> names a relationship (BelongsTo, HasMany, "
                  "HasOne, ManyToMany); name its foreign-key column (e.g. &Post::user_id) instead");
    return true;
}

/// The table name: the mapping's, else snake_case of the type name.
template <class T>
consteval std::string_view table_name_of() {
    if constexpr (!mapping<T>.name.empty()) return mapping<T>.name;
    else return detail::snake_case_name<T>;
}

template <class T, std::size_t N>
struct model_columns {
    std::array<ColumnSpec, N> columns{};
    bool primary_key_declared = false;

    constexpr ColumnSpec& column_of_field(std::size_t field) {
        for (auto& c : columns)
            if (c.field == field) return c;
        return columns[0];  // unreachable: check_option_field() ruled out non-columns
    }
};

template <class T, std::size_t N, std::size_t I>
constexpr void apply_option(model_columns<T, N>& m) {
    constexpr const auto& option = std::get<I>(mapping<T>.options);
    using O = std::remove_cvref_t<decltype(option)>;
    if constexpr (O::kind == option_kind::primary_key) {
        std::apply([](auto... members) { static_cast<void>((check_option_field<T, decltype(members)>() && ...)); },
                   option.fields);
        if (!m.primary_key_declared)
            for (auto& c : m.columns) c.primary_key = false;  // the declaration replaces "id"
        m.primary_key_declared = true;
        std::apply(
            [&](auto... members) {
                std::size_t position = 0;
                ((m.column_of_field(field_index_of<T>(members)).primary_key = true,
                  m.column_of_field(field_index_of<T>(members)).key_position = position++),
                 ...);
            },
            option.fields);
    } else if constexpr (O::kind == option_kind::unique || O::kind == option_kind::index) {
        std::apply([](auto... members) { static_cast<void>((check_option_field<T, decltype(members)>() && ...)); },
                   option.fields);
    } else if constexpr (O::kind == option_kind::autoincrement) {
        static_assert(check_option_field<T, decltype(option.field)>());
        m.column_of_field(field_index_of<T>(option.field)).autoincrement = option.enabled;
    } else if constexpr (O::kind == option_kind::server_default) {
        static_assert(check_option_field<T, decltype(option.field)>());
        m.column_of_field(field_index_of<T>(option.field)).server_default = option.sql;
    } else if constexpr (O::kind == option_kind::onupdate) {
        static_assert(check_option_field<T, decltype(option.field)>());
        static_assert(!option.sql.empty(), "alchemy: sa::onupdate(field, sql) needs the SQL to set, e.g. \"CURRENT_TIMESTAMP\"");
        m.column_of_field(field_index_of<T>(option.field)).onupdate = option.sql;
    } else if constexpr (O::kind == option_kind::length) {
        static_assert(check_option_field<T, decltype(option.field)>());
        static_assert(std::is_same_v<typename optional_traits<typename member_pointer_traits<
                                         decltype(option.field)>::field>::value_type,
                                     std::string>,
                      "alchemy: sa::length(field, n) applies to std::string fields only");
        static_assert(option.length > 0, "alchemy: sa::length(field, n) needs n > 0");
        m.column_of_field(field_index_of<T>(option.field)).length = option.length;
    } else if constexpr (O::kind == option_kind::enum_as_text) {
        static_assert(check_option_field<T, decltype(option.field)>());
        using F = typename optional_traits<
            typename member_pointer_traits<decltype(option.field)>::field>::value_type;
        static_assert(std::is_enum_v<F>, "alchemy: sa::enum_as_text() names a field that is not an enum");
        auto& c = m.column_of_field(field_index_of<T>(option.field));
        c.enum_as_text = true;
        c.kind = TypeKind::text;
    } else if constexpr (O::kind == option_kind::renamed_from) {
        if constexpr (requires { option.field; })
            static_assert(check_option_field<T, decltype(option.field)>());
    } else if constexpr (O::kind == option_kind::version) {
        static_assert(check_option_field<T, decltype(option.field)>());
        using F = typename member_pointer_traits<decltype(option.field)>::field;
        static_assert(std::is_integral_v<F> && !std::is_same_v<F, bool>,
                      "alchemy: sa::version(field) needs a non-optional integer field");
        auto& c = m.column_of_field(field_index_of<T>(option.field));
        c.version = true;
    } else if constexpr (O::kind == option_kind::relationship) {
        static_assert(std::is_same_v<model_of_t<decltype(option.field)>, T> &&
                          is_relationship_v<typename member_pointer_traits<decltype(option.field)>::field>,
                      "alchemy: sa::relationship(member) in sa::mapping<T> names a member that is not a "
                      "BelongsTo, HasMany, HasOne or ManyToMany of T");
        if constexpr (!std::is_null_pointer_v<typename O::key_type>) {
            static_assert(check_option_field<T, typename O::key_type>());
            static_assert(is_belongs_to_v<typename member_pointer_traits<decltype(option.field)>::field>,
                          "alchemy: .foreign_key(field) names the column of a BelongsTo; the other kinds "
                          "take theirs from the BelongsTo they pair with");
        }
    } else if constexpr (O::kind == option_kind::foreign_key) {
        static_assert(check_option_field<T, decltype(option.field)>());
        using R = model_of_t<decltype(option.referred)>;
        static_assert(reflectable_model<R>,
                      "alchemy: sa::foreign_key(field, &Other::id) refers to a type that is not a "
                      "model (an aggregate struct in a named namespace); point it at a model's field");
    }
}

/// A column's facts from its field alone; the mapping options adjust them later.
template <class T, std::size_t I>
consteval ColumnSpec default_column() {
    using F = field_type_t<T, I>;
    ColumnSpec spec;
    spec.name = field_names<T>[I];
    spec.field = I;
    if constexpr (column_field<F>)  // else check_field() has already reported the field
        spec.kind = column_kind<typename optional_traits<F>::value_type>();
    spec.nullable = optional_traits<F>::nullable;
    spec.primary_key = field_names<T>[I] == "id";
    return spec;
}

template <class T>
consteval auto build_columns() {
    constexpr std::size_t n = count_columns<T>();
    constexpr auto fields = list_column_fields<T, n>();
    model_columns<T, n> m;
    [&]<std::size_t... C>(std::index_sequence<C...>) {
        ((m.columns[C] = default_column<T, fields[C]>()), ...);
    }(std::make_index_sequence<n>{});
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (apply_option<T, n, I>(m), ...);
    }(std::make_index_sequence<std::tuple_size_v<decltype(mapping<T>.options)>>{});
    return m;
}

/// Applies the autoincrement convention: a lone integer primary key is generated by the
/// database unless the mapping says otherwise.
template <class T, std::size_t N>
consteval std::array<ColumnSpec, N> finish_columns(model_columns<T, N> m) {
    std::size_t pk_count = 0;
    for (const auto& c : m.columns) pk_count += c.primary_key ? 1 : 0;
    bool explicit_autoincrement = false;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((std::remove_cvref_t<decltype(std::get<I>(mapping<T>.options))>::kind ==
                  option_kind::autoincrement
              ? void(explicit_autoincrement = true)
              : void()),
         ...);
    }(std::make_index_sequence<std::tuple_size_v<decltype(mapping<T>.options)>>{});
    if (!explicit_autoincrement && pk_count == 1) {
        for (auto& c : m.columns) {
            const bool integer = c.kind == TypeKind::small_integer || c.kind == TypeKind::integer ||
                                 c.kind == TypeKind::big_integer;
            if (c.primary_key && integer && !c.enum_as_text) c.autoincrement = true;
        }
    }
    return m.columns;
}

template <std::size_t N>
consteval std::size_t count_primary_key(const std::array<ColumnSpec, N>& columns) {
    std::size_t n = 0;
    for (const auto& c : columns) n += c.primary_key ? 1 : 0;
    return n;
}

}  // namespace detail

/// Compile-time facts about model T; see the file comment.
template <class T>
struct model_info {
    /// False when T cannot be a model; the first static_assert that failed says why, and
    /// the checks after it stay quiet.
    static constexpr bool valid = detail::require_reflectable<T>() &&
                                  detail::check_fields<T>(std::make_index_sequence<field_count<T>>{});

    using model_type = T;
    static constexpr std::string_view table_name = detail::table_name_of<T>();
    static constexpr std::size_t column_count = detail::count_columns<T>();
    static constexpr std::array<ColumnSpec, column_count> columns =
        detail::finish_columns(detail::build_columns<T>());
    static constexpr std::size_t primary_key_count = detail::count_primary_key(columns);
    static_assert(!valid || [] {
        for (const auto& c : columns)
            if (!c.onupdate.empty() && (c.primary_key || c.version)) return false;
        return true;
    }(), "alchemy: sa::onupdate() names a primary-key or sa::version() column; the unit of work "
         "sets those itself, so give onupdate another column");
    static_assert(!valid || [] {
        for (const auto& c : columns)
            if (c.primary_key && !c.autoincrement && !c.server_default.empty() && c.nullable) return false;
        return true;
    }(), "alchemy: a primary-key column whose std::optional field is left to sa::server_default is "
         "not supported (the Session could not tell which new row is which object); give the key "
         "its value in C++, or make it a plain field");
    static_assert(!valid || primary_key_count > 0,
                  "alchemy: the model has no primary key; add a field named id or declare "
                  "sa::primary_key(&T::field, ...) in sa::mapping<T>");

    /// Column indexes of the primary key, in the order sa::primary_key(...) gives them.
    static constexpr std::array<std::size_t, primary_key_count> primary_key = [] {
        std::array<std::size_t, primary_key_count> out{};
        for (std::size_t c = 0; c < column_count; ++c)
            if (columns[c].primary_key) out[columns[c].key_position] = c;
        return out;
    }();

    /// The column index of struct field `field`, or column_count for a relationship.
    static constexpr std::size_t column_of_field(std::size_t field) {
        for (std::size_t c = 0; c < column_count; ++c)
            if (columns[c].field == field) return c;
        return column_count;
    }
};

/// A struct alchemy can try to map to a table. Whether it really is a model (a primary
/// key, supported field types) is checked by model_info<T>, with readable messages;
/// entry points call require_model<T>() first so those messages are what users see.
template <class T>
concept mapped_model = reflectable_model<T>;

namespace detail {
/// Instantiates model_info<T> so its static_asserts report what is wrong with T.
template <class T>
consteval bool require_model() {
    return model_info<T>::valid;
}
}  // namespace detail

/// The column index that member pointer `M` names, checked at compile time.
template <auto Member>
    requires field_pointer<decltype(Member)>
inline constexpr std::size_t column_index_of = [] {
    using T = model_of_t<decltype(Member)>;
    static_assert(detail::check_option_field<T, decltype(Member)>());
    return model_info<T>::column_of_field(detail::field_index_of<T>(Member));
}();

}  // namespace alchemy
