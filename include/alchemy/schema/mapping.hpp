// sa::mapping<T>: what the conventions do not say about a model, declared at compile
// time outside the struct:
//
//   template <> inline constexpr auto sa::mapping<User> = sa::table("users",
//       sa::unique(&User::email),
//       sa::index(&User::name),
//       sa::length(&User::name, 80),
//       sa::server_default(&User::created_at, "CURRENT_TIMESTAMP"),
//       sa::check("age_not_negative", "age >= 0"));
//
// Each option names fields by member pointer, so a misspelt field is a compile error
// and renaming a field renames its column everywhere. model.hpp reads the options.
#pragma once

#include "alchemy/schema/table.hpp"

#include <concepts>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace alchemy {

namespace detail {
/// Tells the options apart when model.hpp reads them.
enum class option_kind {
    primary_key,
    autoincrement,
    unique,
    index,
    foreign_key,
    server_default,
    length,
    check,
    enum_as_text,
    renamed_from,
    version,
};

template <class M>
struct member_pointer_traits;
template <class F, class T>
struct member_pointer_traits<F T::*> {
    using model = T;
    using field = F;
};
}  // namespace detail

/// A pointer to a data member, such as &User::email.
template <class M>
concept field_pointer = std::is_member_object_pointer_v<M>;

/// The struct a member pointer belongs to.
template <field_pointer M>
using model_of_t = typename detail::member_pointer_traits<M>::model;

/// Columns of the primary key (default: the field named "id").
template <field_pointer... Ms>
struct primary_key_option {
    static constexpr detail::option_kind kind = detail::option_kind::primary_key;
    std::tuple<Ms...> fields;
};
template <field_pointer... Ms>
constexpr primary_key_option<Ms...> primary_key(Ms... fields) {
    static_assert(sizeof...(Ms) > 0, "alchemy: primary_key() needs at least one field");
    return {{fields...}};
}

/// Turns database-generated values on or off for an integer primary key
/// (default: on for a single integer primary key).
template <field_pointer M>
struct autoincrement_option {
    static constexpr detail::option_kind kind = detail::option_kind::autoincrement;
    M field;
    bool enabled;
};
template <field_pointer M>
constexpr autoincrement_option<M> autoincrement(M field, bool enabled = true) {
    return {field, enabled};
}

/// A UNIQUE constraint over one or more columns.
template <field_pointer... Ms>
struct unique_option {
    static constexpr detail::option_kind kind = detail::option_kind::unique;
    std::tuple<Ms...> fields;
};
template <field_pointer... Ms>
constexpr unique_option<Ms...> unique(Ms... fields) {
    static_assert(sizeof...(Ms) > 0, "alchemy: unique() needs at least one field");
    return {{fields...}};
}

/// An index over one or more columns; named by the naming convention unless given a name.
template <field_pointer... Ms>
struct index_option {
    static constexpr detail::option_kind kind = detail::option_kind::index;
    std::string_view name;
    bool unique;
    std::tuple<Ms...> fields;
};
template <field_pointer... Ms>
constexpr index_option<Ms...> index(Ms... fields) {
    static_assert(sizeof...(Ms) > 0, "alchemy: index() needs at least one field");
    return {{}, false, {fields...}};
}
template <field_pointer... Ms>
constexpr index_option<Ms...> index(std::string_view name, Ms... fields) {
    static_assert(sizeof...(Ms) > 0, "alchemy: index() needs at least one field");
    return {name, false, {fields...}};
}
template <field_pointer... Ms>
constexpr index_option<Ms...> unique_index(Ms... fields) {
    static_assert(sizeof...(Ms) > 0, "alchemy: unique_index() needs at least one field");
    return {{}, true, {fields...}};
}

inline constexpr ReferentialAction no_action = ReferentialAction::no_action;
inline constexpr ReferentialAction restrict = ReferentialAction::restrict;
inline constexpr ReferentialAction cascade = ReferentialAction::cascade;
inline constexpr ReferentialAction set_null = ReferentialAction::set_null;
inline constexpr ReferentialAction set_default = ReferentialAction::set_default;

/// A foreign key from `field` to `referred` (a field of another model, usually its id):
///   sa::foreign_key(&Post::author_id, &User::id).on_delete(sa::cascade)
template <field_pointer M, field_pointer R>
struct foreign_key_option {
    static constexpr detail::option_kind kind = detail::option_kind::foreign_key;
    M field;
    R referred;
    ReferentialAction delete_action = ReferentialAction::no_action;
    ReferentialAction update_action = ReferentialAction::no_action;

    constexpr foreign_key_option on_delete(ReferentialAction action) const {
        auto copy = *this;
        copy.delete_action = action;
        return copy;
    }
    constexpr foreign_key_option on_update(ReferentialAction action) const {
        auto copy = *this;
        copy.update_action = action;
        return copy;
    }
};
template <field_pointer M, field_pointer R>
constexpr foreign_key_option<M, R> foreign_key(M field, R referred) {
    return {field, referred};
}

/// The SQL expression the database uses when an INSERT omits the column.
template <field_pointer M>
struct server_default_option {
    static constexpr detail::option_kind kind = detail::option_kind::server_default;
    M field;
    std::string_view sql;
};
template <field_pointer M>
constexpr server_default_option<M> server_default(M field, std::string_view sql) {
    return {field, sql};
}

/// VARCHAR(n) instead of TEXT for a string column.
template <field_pointer M>
struct length_option {
    static constexpr detail::option_kind kind = detail::option_kind::length;
    M field;
    int length;
};
template <field_pointer M>
constexpr length_option<M> length(M field, int n) {
    return {field, n};
}

/// A CHECK constraint; `name` becomes ck_<table>_<name>.
struct check_option {
    static constexpr detail::option_kind kind = detail::option_kind::check;
    std::string_view name;
    std::string_view sql;
};
constexpr check_option check(std::string_view name, std::string_view sql) { return {name, sql}; }

/// Stores an enum field as its enumerator names (VARCHAR plus a CHECK listing them)
/// instead of its integer value.
template <field_pointer M>
struct enum_as_text_option {
    static constexpr detail::option_kind kind = detail::option_kind::enum_as_text;
    M field;
};
template <field_pointer M>
constexpr enum_as_text_option<M> enum_as_text(M field) {
    return {field};
}

/// An integer column the Session uses for optimistic concurrency: each UPDATE sets it
/// to the old value + 1 and matches the old value, so a lost update raises
/// StaleDataError instead of overwriting another transaction's change.
template <field_pointer M>
struct version_option {
    static constexpr detail::option_kind kind = detail::option_kind::version;
    M field;
};
template <field_pointer M>
constexpr version_option<M> version(M field) {
    return {field};
}

/// One of the sa::primary_key/unique/index/foreign_key/... options above.
template <class O>
concept mapping_option = requires {
    { O::kind } -> std::convertible_to<detail::option_kind>;
};

/// Tells autogenerate that a column was renamed (rather than dropped and added):
///   sa::renamed_from(&User::nickname, "nick")
template <field_pointer M>
struct column_renamed_option {
    static constexpr detail::option_kind kind = detail::option_kind::renamed_from;
    M field;
    std::string_view old_name;
};
template <field_pointer M>
constexpr column_renamed_option<M> renamed_from(M field, std::string_view old_name) {
    return {field, old_name};
}
/// Tells autogenerate that the table was renamed: sa::renamed_from("people").
struct table_renamed_option {
    static constexpr detail::option_kind kind = detail::option_kind::renamed_from;
    std::string_view old_name;
};
constexpr table_renamed_option renamed_from(std::string_view old_name) { return {old_name}; }

/// A model's table name and options. An empty name means the convention
/// (snake_case of the type name).
template <mapping_option... Options>
struct table_mapping {
    std::string_view name;
    std::tuple<Options...> options;
};
template <mapping_option... Options>
constexpr table_mapping<Options...> table(std::string_view name, Options... options) {
    return {name, {options...}};
}
template <mapping_option... Options>
constexpr table_mapping<Options...> table(Options... options) {
    return {{}, {options...}};
}

/// Specialise for a model to override the conventions; see the file comment.
template <class T>
inline constexpr auto mapping = table_mapping<>{};

}  // namespace alchemy
