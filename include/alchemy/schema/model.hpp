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

#include "alchemy/schema/column_kind.hpp"
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
    static constexpr std::size_t not_embedded = static_cast<std::size_t>(-1);

    std::string_view name;
    std::size_t field = 0;  ///< index of the struct field
    /// For a column of a mixin the model embeds: the index of the mixin's field inside
    /// the struct field `field`; else not_embedded.
    std::size_t mixin_field = not_embedded;
    TypeKind kind = TypeKind::text;
    bool nullable = false;
    bool primary_key = false;
    std::size_t key_position = 0;  ///< place in the primary key, as declared
    bool autoincrement = false;
    /// An integer field (not an enum or an adapted type): a key the database may generate.
    bool plain_integer = false;
    bool enum_as_text = false;
    int max_length = 0;               ///< sa::max_length(); 0: unbounded
    std::string_view server_default;  ///< empty: none
    std::string_view onupdate;        ///< sa::onupdate()'s SQL; empty: none
    bool version = false;             ///< sa::version(): the optimistic-concurrency counter
};

namespace detail {

template <class... Ts>
inline constexpr bool always_false = false;

/// A struct of columns that a model embeds as a member (a Timestamps mixin): its fields
/// become columns of the model, as a SQLAlchemy mixin's do.
/// Standard library aggregates (std::array, std::pair, ...) are not mixins: they keep
/// the "type alchemy cannot store" message.
template <class F>
inline constexpr bool is_mixin_v = !is_relationship_v<F> && !column_field<F> && std::is_class_v<F> &&
                                   std::is_aggregate_v<F> && !qualified_type_name<F>().starts_with("std::");

template <class T, fixed_string Name, class F>
consteval bool check_field();

/// The fields of a mixin must be columns (the instantiation line names the model field).
template <class T, fixed_string Name, class Mixin>
consteval bool check_mixin() {
    if constexpr (require_reflectable<Mixin>()) {
        constexpr bool only_columns = []<std::size_t... J>(std::index_sequence<J...>) {
            return (column_field<field_type_t<Mixin, J>> && ...);
        }(std::make_index_sequence<field_count<Mixin>>{});
        static_assert(only_columns,
                      "alchemy: a mixin struct embedded in a model (the Name and F of the "
                      "check_field instantiation above) may hold only column fields, not "
                      "relationships or further structs; declare those in the model itself");
        return only_columns;
    } else {
        return false;
    }
}

/// Fails with the field's name and type in the instantiation line when F cannot be stored.
template <class T, fixed_string Name, class F>
consteval bool check_field() {
    if constexpr (is_mixin_v<F>) {
        return check_mixin<T, Name, F>();
    } else {
        static_assert(is_relationship_v<F> || column_field<F>,
                      "alchemy: this model field has a type alchemy cannot store (its name and type "
                      "are the Name and F of the check_field instantiation above); use bool, an "
                      "integer, float/double, std::string, std::vector<std::byte>, "
                      "std::chrono::sys_time, std::chrono::year_month_day, an enum, std::optional of "
                      "one of those, a mixin struct of such fields, or specialise sa::type_adapter "
                      "for it");
        return true;
    }
}

template <class T, std::size_t... I>
consteval bool check_fields(std::index_sequence<I...>) {
    return (check_field<T, field_name_storage<T, I>, field_type_t<T, I>>() && ...);
}

/// The number of columns field I of T stands for: none for a relationship, one per field
/// for a mixin, else one.
template <class T, std::size_t I>
consteval std::size_t columns_of_field() {
    using F = field_type_t<T, I>;
    if constexpr (is_relationship_v<F>) return 0;
    else if constexpr (is_mixin_v<F>) return field_count<F>;
    else return 1;
}

template <class T>
consteval std::size_t count_columns() {
    return []<std::size_t... I>(std::index_sequence<I...>) {
        return (std::size_t{0} + ... + columns_of_field<T, I>());
    }(std::make_index_sequence<field_count<T>>{});
}

/// Where column C of a model lives: struct field `field`, and inside it (for a mixin)
/// field `mixin_field`.
struct column_place {
    std::size_t field = 0;
    std::size_t mixin_field = ColumnSpec::not_embedded;
};

template <class T, std::size_t N>
consteval std::array<column_place, N> list_column_places() {
    std::array<column_place, N> out{};
    std::size_t next = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                if constexpr (is_mixin_v<field_type_t<T, I>>) {
                    for (std::size_t j = 0; j < columns_of_field<T, I>(); ++j) out[next++] = {I, j};
                } else if constexpr (columns_of_field<T, I>() == 1) {
                    out[next++] = {I, ColumnSpec::not_embedded};
                }
            }(),
            ...);
    }(std::make_index_sequence<field_count<T>>{});
    return out;
}

#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wundefined-var-template"
#endif
/// The position among T's struct fields (Boost.PFR's index) of the field `member` points
/// to, found by comparing addresses inside the never-defined reflected_model<T>. A field
/// position, not a column index: relationships and mixin members have one too. The
/// column index derives from it (column_index_of below). Only ever called in constant
/// evaluation (see field_names.hpp); it is constexpr rather than consteval so that
/// lambdas inside consteval functions may call it with their parameters.
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
                  "field given to primary_key/unique/index/max_length/... must be a member of T");
    static_assert(!is_relationship_v<typename member_pointer_traits<M>::field>,
                  "alchemy: an option in sa::mapping<T> names a relationship (BelongsTo, HasMany, "
                  "HasOne, ManyToMany); name its foreign-key column (e.g. &Post::user_id) instead");
    static_assert(!is_mixin_v<typename member_pointer_traits<M>::field>,
                  "alchemy: an option names a member that holds a mixin (several columns); give "
                  "options to the mixin's columns in its own sa::mixin(...) mapping");
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

    /// The column of field `field` of the struct the options belong to: the model's own
    /// field when `mixin_at` is not_embedded, else field `field` of the mixin held in the
    /// model's field `mixin_at`.
    constexpr ColumnSpec& column_of_field(std::size_t field,
                                          std::size_t mixin_at = ColumnSpec::not_embedded) {
        for (auto& c : columns) {
            if (mixin_at == ColumnSpec::not_embedded && c.field == field &&
                c.mixin_field == ColumnSpec::not_embedded)
                return c;
            if (mixin_at != ColumnSpec::not_embedded && c.field == mixin_at && c.mixin_field == field)
                return c;
        }
        throw "unreachable: check_option_field() ruled out members that are not columns";
    }
};

/// Whether a mixin's mapping may hold options of kind K: those that describe one column
/// or an index over the mixin's own columns.
constexpr bool mixin_option(option_kind k) {
    return k == option_kind::server_default || k == option_kind::onupdate || k == option_kind::max_length ||
           k == option_kind::enum_as_text || k == option_kind::version || k == option_kind::index ||
           k == option_kind::unique;
}

/// Applies option I of sa::mapping<S> to the columns of T: S is T itself, or a mixin T
/// embeds in field `MixinAt`.
template <class T, class S, std::size_t N, std::size_t I, std::size_t MixinAt = ColumnSpec::not_embedded>
constexpr void apply_option(model_columns<T, N>& m) {
    constexpr const auto& option = std::get<I>(mapping<S>.options);
    using O = std::remove_cvref_t<decltype(option)>;
    static_assert(MixinAt == ColumnSpec::not_embedded || mixin_option(O::kind),
                  "alchemy: a mixin's sa::mapping may hold only column options (server_default, "
                  "onupdate, max_length, enum_as_text, version, index, unique); declare keys, foreign "
                  "keys and relationships in the mapping of the model that embeds it");
    if constexpr (MixinAt != ColumnSpec::not_embedded && !mixin_option(O::kind)) {
        return;  // reported above
    } else if constexpr (O::kind == option_kind::primary_key) {
        std::apply(
            [](auto... members) { static_cast<void>((check_option_field<S, decltype(members)>() && ...)); },
            option.fields);
        for (auto& c : m.columns) c.primary_key = false;  // the declaration replaces "id"
        std::apply(
            [&](auto... members) {
                std::size_t position = 0;
                ((m.column_of_field(field_index_of<S>(members), MixinAt).primary_key = true,
                  m.column_of_field(field_index_of<S>(members), MixinAt).key_position = position++),
                 ...);
            },
            option.fields);
    } else if constexpr (O::kind == option_kind::unique || O::kind == option_kind::index) {
        std::apply(
            [](auto... members) { static_cast<void>((check_option_field<S, decltype(members)>() && ...)); },
            option.fields);
    } else if constexpr (O::kind == option_kind::autoincrement) {
        static_assert(check_option_field<S, decltype(option.field)>());
        m.column_of_field(field_index_of<S>(option.field), MixinAt).autoincrement = option.enabled;
    } else if constexpr (O::kind == option_kind::server_default) {
        static_assert(check_option_field<S, decltype(option.field)>());
        m.column_of_field(field_index_of<S>(option.field), MixinAt).server_default = option.sql;
    } else if constexpr (O::kind == option_kind::onupdate) {
        static_assert(check_option_field<S, decltype(option.field)>());
        static_assert(!option.sql.empty(),
                      "alchemy: sa::onupdate(field, sql) needs the SQL to set, e.g. \"CURRENT_TIMESTAMP\"");
        m.column_of_field(field_index_of<S>(option.field), MixinAt).onupdate = option.sql;
    } else if constexpr (O::kind == option_kind::max_length) {
        static_assert(check_option_field<S, decltype(option.field)>());
        static_assert(
            std::is_same_v<without_optional_t<typename member_pointer_traits<decltype(option.field)>::field>,
                           std::string>,
            "alchemy: sa::max_length(field, n) applies to std::string fields only");
        static_assert(option.max_length > 0, "alchemy: sa::max_length(field, n) needs n > 0");
        m.column_of_field(field_index_of<S>(option.field), MixinAt).max_length = option.max_length;
    } else if constexpr (O::kind == option_kind::enum_as_text) {
        static_assert(check_option_field<S, decltype(option.field)>());
        using F = without_optional_t<typename member_pointer_traits<decltype(option.field)>::field>;
        static_assert(std::is_enum_v<F>, "alchemy: sa::enum_as_text() names a field that is not an enum");
        auto& c = m.column_of_field(field_index_of<S>(option.field), MixinAt);
        c.enum_as_text = true;
        c.kind = TypeKind::text;
    } else if constexpr (O::kind == option_kind::renamed_from) {
        if constexpr (requires { option.field; })
            static_assert(check_option_field<S, decltype(option.field)>());
    } else if constexpr (O::kind == option_kind::version) {
        static_assert(check_option_field<S, decltype(option.field)>());
        using F = typename member_pointer_traits<decltype(option.field)>::field;
        static_assert(std::is_integral_v<F> && !std::is_same_v<F, bool>,
                      "alchemy: sa::version(field) needs a non-optional integer field");
        auto& c = m.column_of_field(field_index_of<S>(option.field), MixinAt);
        c.version = true;
    } else if constexpr (O::kind == option_kind::relationship) {
        static_assert(std::is_same_v<model_of_t<decltype(option.field)>, T> &&
                          is_relationship_v<typename member_pointer_traits<decltype(option.field)>::field>,
                      "alchemy: sa::relationship(member) in sa::mapping<T> names a member that is not a "
                      "BelongsTo, HasMany, HasOne or ManyToMany of T");
        if constexpr (!std::is_null_pointer_v<typename O::key_type>) {
            static_assert(check_option_field<S, typename O::key_type>());
            static_assert(is_belongs_to_v<typename member_pointer_traits<decltype(option.field)>::field>,
                          "alchemy: .foreign_key(field) names the column of a BelongsTo; the other kinds "
                          "take theirs from the BelongsTo they pair with");
        }
    } else if constexpr (O::kind == option_kind::foreign_key) {
        static_assert(check_option_field<S, decltype(option.field)>());
        using R = model_of_t<decltype(option.referred)>;
        static_assert(reflectable_model<R>,
                      "alchemy: sa::foreign_key(field, &Other::id) refers to a type that is not a "
                      "model (an aggregate struct in a named namespace); point it at a model's field");
    }
}

/// The struct that holds the column at `place` of T (T, or a mixin), and the index of
/// the column's field in it.
template <class T, column_place Place>
struct column_holder {
    using type = T;
    static constexpr std::size_t field = Place.field;
};
template <class T, column_place Place>
    requires(Place.mixin_field != ColumnSpec::not_embedded)
struct column_holder<T, Place> {
    using type = field_type_t<T, Place.field>;
    static constexpr std::size_t field = Place.mixin_field;
};

/// A column's facts from its field alone; the mapping options adjust them later.
template <class T, column_place Place>
consteval ColumnSpec default_column() {
    using H = column_holder<T, Place>;
    using F = field_type_t<typename H::type, H::field>;
    ColumnSpec spec;
    spec.name = field_names<typename H::type>[H::field];
    spec.field = Place.field;
    spec.mixin_field = Place.mixin_field;
    if constexpr (column_field<F>) {  // else check_field() has already reported the field
        spec.kind = column_kind<without_optional_t<F>>();
        spec.plain_integer = std::is_integral_v<without_optional_t<F>> && is_integer_kind(spec.kind);
    }
    spec.nullable = nullable_v<F>;
    spec.primary_key = spec.name == "id";
    return spec;
}

template <class S>
inline constexpr std::size_t mapping_option_count =
    std::tuple_size_v<std::remove_cvref_t<decltype(mapping<S>.options)>>;

/// How many options of kind Kind sa::mapping<S> holds.
template <class S, option_kind Kind>
inline constexpr std::size_t options_of_kind = []<std::size_t... I>(std::index_sequence<I...>) {
    return (std::size_t{0} + ... +
            (std::remove_cvref_t<decltype(std::get<I>(mapping<S>.options))>::kind == Kind ? 1 : 0));
}(std::make_index_sequence<mapping_option_count<S>>{});

/// Calls f(std::integral_constant<std::size_t, F>{}) for each field F of T that holds a mixin.
template <class T, class Fn>
constexpr void for_each_mixin_field(Fn&& f) {
    [&]<std::size_t... F>(std::index_sequence<F...>) {
        (
            [&] {
                if constexpr (is_mixin_v<field_type_t<T, F>>) f(std::integral_constant<std::size_t, F>{});
            }(),
            ...);
    }(std::make_index_sequence<field_count<T>>{});
}

template <class T>
consteval auto build_columns() {
    constexpr std::size_t n = count_columns<T>();
    constexpr auto places = list_column_places<T, n>();
    model_columns<T, n> m;
    [&]<std::size_t... C>(std::index_sequence<C...>) {
        ((m.columns[C] = default_column<T, places[C]>()), ...);
    }(std::make_index_sequence<n>{});
    for_each_mixin_field<T>([&](auto field) {
        using Mixin = field_type_t<T, decltype(field)::value>;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (apply_option<T, Mixin, n, I, decltype(field)::value>(m), ...);
        }(std::make_index_sequence<mapping_option_count<Mixin>>{});
    });
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (apply_option<T, T, n, I>(m), ...);
    }(std::make_index_sequence<mapping_option_count<T>>{});
    return m;
}

/// The index of the field called `name`, or field_count<T>.
template <class T>
consteval std::size_t field_named(std::string_view name) {
    for (std::size_t i = 0; i < field_count<T>; ++i)
        if (field_names<T>[i] == name) return i;
    return field_count<T>;
}

template <fixed_string Name>
consteval auto id_suffixed() {
    constexpr std::size_t n = Name.view().size();
    fixed_string<n + 3> out{};
    for (std::size_t i = 0; i < n; ++i) out.chars[i] = Name.chars[i];
    out.chars[n] = '_';
    out.chars[n + 1] = 'i';
    out.chars[n + 2] = 'd';
    return out;
}

/// The index in sa::mapping<T>'s options of the sa::relationship(...) of field `Field`,
/// or mapping_option_count<T>.
template <class T, std::size_t Field>
consteval std::size_t relationship_settings_index() {
    return []<std::size_t... I>(std::index_sequence<I...>) {
        std::size_t found = mapping_option_count<T>;
        [[maybe_unused]] auto read = [&](std::size_t i, const auto& o) {
            if constexpr (std::remove_cvref_t<decltype(o)>::kind == option_kind::relationship)
                if (field_index_of<T>(o.field) == Field) found = i;
        };
        (read(I, std::get<I>(mapping<T>.options)), ...);
        return found;
    }(std::make_index_sequence<mapping_option_count<T>>{});
}

/// The field `sa::relationship(&T::x).foreign_key(&T::f)` names for relationship field
/// `Field` in sa::mapping<T>, or field_count<T>.
template <class T, std::size_t Field>
consteval std::size_t declared_foreign_key_field() {
    constexpr std::size_t i = relationship_settings_index<T, Field>();
    if constexpr (i == mapping_option_count<T>) {
        return field_count<T>;
    } else {
        constexpr const auto& o = std::get<i>(mapping<T>.options);
        if constexpr (std::is_null_pointer_v<typename std::remove_cvref_t<decltype(o)>::key_type>)
            return field_count<T>;
        else return field_index_of<T>(o.key);
    }
}

/// The field holding the foreign key of BelongsTo field `Field` of T: the mapping's
/// .foreign_key(...), else the field named `<relationship>_id`; field_count<T> when there
/// is none (belongs_to_column() reports that).
template <class T, std::size_t Field>
consteval std::size_t belongs_to_key_field() {
    constexpr std::size_t declared = declared_foreign_key_field<T, Field>();
    if constexpr (declared < field_count<T>) return declared;
    else return field_named<T>(id_suffixed<field_name_storage<T, Field>>().view());
}

/// Whether field `field` of T holds a foreign key: a BelongsTo's, or one sa::foreign_key
/// declares.
template <class T>
consteval bool holds_foreign_key(std::size_t field) {
    bool found = false;
    [&]<std::size_t... F>(std::index_sequence<F...>) {
        (
            [&] {
                if constexpr (is_belongs_to_v<field_type_t<T, F>>)
                    found = found || belongs_to_key_field<T, F>() == field;
            }(),
            ...);
    }(std::make_index_sequence<field_count<T>>{});
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                constexpr const auto& option = std::get<I>(mapping<T>.options);
                if constexpr (std::remove_cvref_t<decltype(option)>::kind == option_kind::foreign_key)
                    found = found || field_index_of<T>(option.field) == field;
            }(),
            ...);
    }(std::make_index_sequence<mapping_option_count<T>>{});
    return found;
}

template <std::size_t N>
consteval std::size_t count_primary_key(const std::array<ColumnSpec, N>& columns) {
    std::size_t n = 0;
    for (const auto& c : columns) n += c.primary_key ? 1 : 0;
    return n;
}

/// Applies the autoincrement convention: a lone integer primary key is generated by the
/// database unless the mapping says otherwise, or it holds a foreign key (as SQLAlchemy's
/// autoincrement="auto"): a key that names another row is the program's to give, and a
/// generated one would name whichever row happens to have that number.
template <class T, std::size_t N>
consteval std::array<ColumnSpec, N> finish_columns(model_columns<T, N> m) {
    if (options_of_kind<T, option_kind::autoincrement> == 0 && count_primary_key(m.columns) == 1) {
        for (auto& c : m.columns) {
            if (c.primary_key && c.plain_integer &&
                !(c.mixin_field == ColumnSpec::not_embedded && holds_foreign_key<T>(c.field)))
                c.autoincrement = true;
        }
    }
    return m.columns;
}

/// Whether the primary-key columns hold the places 0..n-1 of the key once each, so that
/// model_info<T>::primary_key lists every key column.
template <std::size_t N>
consteval bool key_positions_form_sequence(const std::array<ColumnSpec, N>& columns) {
    for (std::size_t position = 0; position < count_primary_key(columns); ++position) {
        std::size_t holders = 0;
        for (const auto& c : columns) holders += c.primary_key && c.key_position == position ? 1 : 0;
        if (holders != 1) return false;
    }
    return true;
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
    static_assert(
        !valid ||
            [] {
                for (const auto& c : columns)
                    if (!c.onupdate.empty() && (c.primary_key || c.version)) return false;
                return true;
            }(),
        "alchemy: sa::onupdate() names a primary-key or sa::version() column; the unit of work "
        "sets those itself, so give onupdate another column");
    static_assert(
        !valid ||
            [] {
                for (const auto& c : columns)
                    if (c.primary_key && !c.autoincrement && !c.server_default.empty() && c.nullable)
                        return false;
                return true;
            }(),
        "alchemy: a primary-key column whose std::optional field is left to sa::server_default is "
        "not supported (the Session could not tell which new row is which object); give the key "
        "its value in C++, or make it a plain field");
    static_assert(
        !valid ||
            [] {
                for (std::size_t a = 0; a < column_count; ++a)
                    for (std::size_t b = a + 1; b < column_count; ++b)
                        if (columns[a].name == columns[b].name) return false;
                return true;
            }(),
        "alchemy: two columns of the model have the same name: a field of a mixin the model "
        "embeds repeats a field of the model or of another mixin; rename one of them");
    static_assert(!valid || primary_key_count > 0,
                  "alchemy: the model has no primary key; add a field named id or declare "
                  "sa::primary_key(&T::field, ...) in sa::mapping<T>");
    static_assert(!valid || detail::options_of_kind<T, detail::option_kind::primary_key> <= 1,
                  "alchemy: sa::mapping<T> holds more than one sa::primary_key option; declare a "
                  "composite key in one sa::primary_key(&T::a, &T::b)");
    static constexpr bool key_positions_valid = detail::key_positions_form_sequence(columns);
    static_assert(!valid || key_positions_valid,
                  "alchemy: sa::primary_key(...) names a field more than once; name each key field once");

    /// Column indexes of the primary key, in the order sa::primary_key(...) gives them.
    static constexpr std::array<std::size_t, primary_key_count> primary_key = [] {
        std::array<std::size_t, primary_key_count> out{};
        if (!key_positions_valid) return out;  // reported above, without an out-of-range write
        for (std::size_t c = 0; c < column_count; ++c)
            if (columns[c].primary_key) out[columns[c].key_position] = c;
        return out;
    }();

    /// The column index of struct field `field`, or column_count for a relationship or
    /// a mixin.
    static constexpr std::size_t column_of_field(std::size_t field) {
        return column_of_mixin_field(field, ColumnSpec::not_embedded);
    }
    /// The column index of field `mixin_field` of the mixin in struct field `field`.
    static constexpr std::size_t column_of_mixin_field(std::size_t field, std::size_t mixin_field) {
        for (std::size_t c = 0; c < column_count; ++c)
            if (columns[c].field == field && columns[c].mixin_field == mixin_field) return c;
        return column_count;
    }
};

namespace detail {
/// The member of `obj` that holds column C: a field of the model, or of a mixin in it.
template <std::size_t C, class T>
constexpr decltype(auto) field_of(T& obj) {
    constexpr const ColumnSpec& spec = model_info<std::remove_const_t<T>>::columns[C];
    if constexpr (spec.mixin_field == ColumnSpec::not_embedded) return boost::pfr::get<spec.field>(obj);
    else return boost::pfr::get<spec.mixin_field>(boost::pfr::get<spec.field>(obj));
}

/// The type of the member that holds column C of T.
template <class T, std::size_t C>
using column_field_t = std::remove_cvref_t<decltype(field_of<C>(std::declval<T&>()))>;
}  // namespace detail

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

/// The column index that member pointer `Member` (or a mixin's member in the model,
/// detail::embedded_member) names, checked at compile time: the one way from a member to
/// its column, derived from the field position (detail::field_index_of).
template <auto Member>
    requires column_pointer<decltype(Member)>
inline constexpr std::size_t column_index_of = [] {
    using T = model_of_t<decltype(Member)>;
    if constexpr (field_pointer<decltype(Member)>) {
        static_assert(detail::check_option_field<T, decltype(Member)>());
        static_assert(!detail::is_mixin_v<typename detail::member_pointer_traits<decltype(Member)>::field>,
                      "alchemy: this member holds a mixin, not one column; name one of its "
                      "columns as sa::col<&Model::mixin, &Mixin::field>");
        return model_info<T>::column_of_field(detail::field_index_of<T>(Member));
    } else {
        using Mixin = typename detail::member_pointer_traits<decltype(Member.outer)>::field;
        return model_info<T>::column_of_mixin_field(detail::field_index_of<T>(Member.outer),
                                                    detail::field_index_of<Mixin>(Member.inner));
    }
}();

namespace detail {
/// The column that sa::col<Member, Inner...> names: field Member of a model, or field Inner
/// of the mixin that the model's field Member holds.
template <auto Member, auto... Inner>
consteval auto column_named_by() {
    static_assert(field_pointer<decltype(Member)>,
                  "alchemy: name a column by member pointer, as sa::col<&User::name>");
    if constexpr (sizeof...(Inner) == 0) {
        return Member;
    } else {
        static_assert(sizeof...(Inner) == 1,
                      "alchemy: a mixin's column takes two member pointers, "
                      "sa::col<&Model::mixin, &Mixin::field>; mixins do not nest");
        constexpr auto inner = (Inner, ...);
        using InnerPointer = std::remove_const_t<decltype(inner)>;
        using Mixin = typename member_pointer_traits<decltype(Member)>::field;
        static_assert(is_mixin_v<Mixin>,
                      "alchemy: in sa::col<&Model::mixin, &Mixin::field> the first member must "
                      "hold a mixin struct; a plain column is sa::col<&Model::field>");
        static_assert(std::is_same_v<model_of_t<InnerPointer>, Mixin>,
                      "alchemy: in sa::col<&Model::mixin, &Mixin::field> the second member must "
                      "be a field of the mixin the first one holds");
        return embedded_member<decltype(Member), InnerPointer>{Member, inner};
    }
}
}  // namespace detail

}  // namespace alchemy
