// table_of<T>() and metadata<Ts...>(): the runtime schema description (table.hpp) of
// mapped models, built from model_info<T> and the options in sa::mapping<T>.
// Runs once per call at run time; the checks behind it all happened at compile time.
#pragma once

#include "alchemy/schema/detail/enum_names.hpp"
#include "alchemy/schema/metadata.hpp"
#include "alchemy/schema/model.hpp"
#include "alchemy/schema/naming.hpp"

#include <algorithm>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace alchemy {

namespace detail {

/// The column indexes of T named by the fields of option I of sa::mapping<S>: S is T, or
/// a mixin T embeds in field MixinAt.
template <class T, class S, std::size_t I, std::size_t MixinAt>
consteval auto option_columns() {
    constexpr const auto& option = std::get<I>(mapping<S>.options);
    return [&]<std::size_t... J>(std::index_sequence<J...>) {
        if constexpr (MixinAt == ColumnSpec::not_embedded)
            return std::array<std::size_t, sizeof...(J)>{column_index_of<std::get<J>(option.fields)>...};
        else
            return std::array<std::size_t, sizeof...(J)>{model_info<T>::column_of_mixin_field(
                MixinAt, field_index_of<S>(std::get<J>(option.fields)))...};
    }(std::make_index_sequence<std::tuple_size_v<decltype(option.fields)>>{});
}

template <class T, std::size_t N>
std::vector<std::string> column_names(const std::array<std::size_t, N>& columns) {
    std::vector<std::string> names;
    for (auto c : columns) names.emplace_back(model_info<T>::columns[c].name);
    return names;
}

/// Whether every sa::foreign_key(...) in sa::mapping<T> on field KeyField, the key of a
/// BelongsTo<Target>, refers to Target's primary key: the column the relationship loads
/// and writes by, so the schema's key and the relationship name the same row.
template <class T, class Target, std::size_t KeyField>
consteval bool foreign_keys_refer_to_primary_key() {
    return []<std::size_t... I>(std::index_sequence<I...>) {
        [[maybe_unused]] auto refers_to_key =
            []<std::size_t Option>(std::integral_constant<std::size_t, Option>) {
                constexpr const auto& option = std::get<Option>(mapping<T>.options);
                using O = std::remove_cvref_t<decltype(option)>;
                if constexpr (O::kind != option_kind::foreign_key) {
                    return true;
                } else if constexpr (!std::is_same_v<model_of_t<decltype(option.field)>, T>) {
                    return true;  // apply_option() reports a field of another struct
                } else if constexpr (!std::is_same_v<model_of_t<decltype(option.referred)>, Target>) {
                    return field_index_of<T>(option.field) != KeyField;
                } else {
                    return field_index_of<T>(option.field) != KeyField ||
                           column_index_of<option.referred> == model_info<Target>::primary_key[0];
                }
            };
        return (refers_to_key(std::integral_constant<std::size_t, I>{}) && ...);
    }(std::make_index_sequence<mapping_option_count<T>>{});
}

/// The checks of a BelongsTo's foreign-key field (Relationship and Column name them in
/// the instantiation a failure shows).
template <class T, fixed_string Relationship, fixed_string Column, class Target, std::size_t KeyField>
constexpr std::size_t checked_foreign_key_column() {
    static_assert(KeyField < field_count<T>,
                  "alchemy: a BelongsTo<Target> field needs an integer field named <relationship>_id "
                  "beside it (see Relationship and Column in the instantiation above), or "
                  "sa::relationship(&T::relationship).foreign_key(&T::field) in sa::mapping<T>");
    static_assert(std::is_integral_v<without_optional_t<field_type_t<T, KeyField>>>,
                  "alchemy: the foreign-key field of a BelongsTo must be an integer (see Column in the "
                  "instantiation above)");
    static_assert(model_info<Target>::primary_key_count == 1,
                  "alchemy: BelongsTo<Target> needs a Target with a single-column primary key");
    static_assert(std::is_integral_v<column_field_t<Target, model_info<Target>::primary_key[0]>>,
                  "alchemy: BelongsTo<Target> needs a Target whose primary key is an integer, as the "
                  "foreign key holding it is");
    static_assert(foreign_keys_refer_to_primary_key<T, Target, KeyField>(),
                  "alchemy: a sa::foreign_key(...) on the key column of a BelongsTo<Target> (see "
                  "Relationship and Column in the instantiation above) must refer to Target's primary "
                  "key, which the relationship loads and writes by; point it at that field");
    return model_info<T>::column_of_field(KeyField);
}

/// The column holding the foreign key of BelongsTo field `Field` of T: the mapping's
/// .foreign_key(...), else the field named `<relationship>_id`.
template <class T, std::size_t Field>
constexpr std::size_t belongs_to_column() {
    using Target = typename field_type_t<T, Field>::target_type;
    constexpr auto& name = field_name_storage<T, Field>;
    return checked_foreign_key_column<T, name, id_suffixed<name>(), Target,
                                      belongs_to_key_field<T, Field>()>();
}

template <class T, std::size_t I>
void add_conventional_foreign_key(Table& table) {
    using F = field_type_t<T, I>;
    if constexpr (is_belongs_to_v<F>) {
        using Target = typename F::target_type;
        constexpr std::size_t column = belongs_to_column<T, I>();
        const std::string column_name(model_info<T>::columns[column].name);
        const bool declared = std::any_of(
            table.foreign_keys.begin(), table.foreign_keys.end(),
            [&](const ForeignKey& fk) { return fk.columns == std::vector<std::string>{column_name}; });
        if (declared) return;
        const std::string target_table(model_info<Target>::table_name);
        ForeignKey fk;
        fk.columns = {column_name};
        fk.name = naming::foreign_key(table.name, fk.columns, target_table);
        fk.referred_table = target_table;
        fk.referred_columns = {
            std::string(model_info<Target>::columns[model_info<Target>::primary_key[0]].name)};
        table.foreign_keys.push_back(std::move(fk));
    }
}

/// Adds option I of sa::mapping<S> to T's table: S is T, or a mixin T embeds in field
/// MixinAt (whose mapping holds column options only, model.hpp).
template <class T, class S, std::size_t I, std::size_t MixinAt = ColumnSpec::not_embedded>
void add_option(Table& table) {
    constexpr const auto& option = std::get<I>(mapping<S>.options);
    using Option = std::remove_cvref_t<decltype(option)>;
    if constexpr (Option::kind == option_kind::unique) {
        UniqueConstraint uq;
        uq.columns = column_names<T>(option_columns<T, S, I, MixinAt>());
        uq.name = naming::unique(table.name, uq.columns);
        table.unique_constraints.push_back(std::move(uq));
    } else if constexpr (Option::kind == option_kind::index) {
        Index ix;
        ix.columns = column_names<T>(option_columns<T, S, I, MixinAt>());
        ix.unique = option.unique;
        ix.name = option.name.empty() ? naming::index(table.name, ix.columns) : std::string(option.name);
        table.indexes.push_back(std::move(ix));
    } else if constexpr (Option::kind == option_kind::foreign_key) {
        using Target = model_of_t<decltype(option.referred)>;
        constexpr std::size_t column = column_index_of<option.field>;
        constexpr std::size_t referred = column_index_of<option.referred>;
        ForeignKey fk;
        fk.columns = {std::string(model_info<T>::columns[column].name)};
        fk.referred_table = std::string(model_info<Target>::table_name);
        fk.referred_columns = {std::string(model_info<Target>::columns[referred].name)};
        fk.name = naming::foreign_key(table.name, fk.columns, fk.referred_table);
        fk.on_delete = option.delete_action;
        fk.on_update = option.update_action;
        table.foreign_keys.push_back(std::move(fk));
    } else if constexpr (Option::kind == option_kind::check) {
        table.check_constraints.push_back({naming::check(table.name, option.name), std::string(option.sql)});
    } else if constexpr (Option::kind == option_kind::renamed_from) {
        if constexpr (requires { option.field; }) {
            constexpr std::size_t column = column_index_of<option.field>;
            table.columns[column].renamed_from = std::string(option.old_name);
        } else {
            table.renamed_from = std::string(option.old_name);
        }
    }
}

/// Enums stored as text get VARCHAR(longest name) and a CHECK listing the names.
template <class T, std::size_t C>
void add_enum_text_rules(Table& table) {
    if constexpr (model_info<T>::columns[C].enum_as_text) {
        using F = column_field_t<T, C>;
        using E = without_optional_t<F>;
        const auto& spec = model_info<T>::columns[C];
        std::size_t longest = 0;
        std::string names;
        for (const auto& entry : enum_entries<E>) {
            longest = std::max(longest, entry.name.size());
            if (!names.empty()) names += ", ";
            names += '\'';
            names += entry.name;
            names += '\'';
        }
        table.columns[C].type.length = static_cast<int>(longest);
        table.check_constraints.push_back(
            {naming::check(table.name, spec.name), "\"" + std::string(spec.name) + "\" IN (" + names + ")"});
    }
}

}  // namespace detail

/// The runtime description of model T's table.
template <class T>
    requires(detail::require_model<T>())
Table table_of() {
    using info = model_info<T>;
    Table table;
    table.name = std::string(info::table_name);
    for (const auto& spec : info::columns) {
        Column column;
        column.name = std::string(spec.name);
        column.type = {spec.kind, spec.max_length};
        // A key column is NOT NULL whatever its field (as SQLAlchemy's primary_key=True):
        // rows whose keys were NULL could not be told apart, and PostgreSQL makes it so anyway.
        column.nullable = spec.nullable && !spec.primary_key;
        column.autoincrement = spec.autoincrement;
        if (!spec.server_default.empty()) column.server_default = std::string(spec.server_default);
        table.columns.push_back(std::move(column));
    }
    table.primary_key.name = naming::primary_key(table.name);
    for (auto c : info::primary_key) table.primary_key.columns.emplace_back(info::columns[c].name);
    detail::for_each_mixin_field<T>([&](auto field) {
        using Mixin = field_type_t<T, decltype(field)::value>;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (detail::add_option<T, Mixin, I, decltype(field)::value>(table), ...);
        }(std::make_index_sequence<detail::mapping_option_count<Mixin>>{});
    });
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (detail::add_option<T, T, I>(table), ...);
    }(std::make_index_sequence<detail::mapping_option_count<T>>{});
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (detail::add_conventional_foreign_key<T, I>(table), ...);
    }(std::make_index_sequence<field_count<T>>{});
    [&]<std::size_t... C>(std::index_sequence<C...>) {
        (detail::add_enum_text_rules<T, C>(table), ...);
    }(std::make_index_sequence<info::column_count>{});
    return table;
}

/// The MetaData of a set of models: sa::metadata<User, Post>().create_all(engine).
template <class... Ts>
    requires(detail::require_model<Ts>() && ...)
MetaData metadata() {
    return MetaData(std::vector<Table>{table_of<Ts>()...});
}

}  // namespace alchemy
