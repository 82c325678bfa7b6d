// What a statement can read FROM besides a model's own table, starting with aliases:
// sa::alias<User, "u2"> is the users table under the name "u2", for self-joins, and
// sa::excluded<&User::name> is the row an upsert proposed (EXCLUDED.name).
//
// The name is a template argument, so each alias is a type of its own: the FROM/JOIN
// check tells "users" from "u2", and the cached SQL of a statement never mixes names.
#pragma once

#include "alchemy/core/param_buffer.hpp"
#include "alchemy/schema/column_codec.hpp"
#include "alchemy/schema/model.hpp"
#include "alchemy/schema/type_name.hpp"
#include "alchemy/sql/column.hpp"

#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace alchemy {

namespace detail {

/// A FROM or JOIN item: a table, an alias, a subquery or a CTE. `tag` is the type that
/// stands for it in the `sources` of the expressions reading it (the model for a plain
/// table, the item's own type otherwise); bind() binds the values inside it (a
/// subquery's), in the place its text takes.
template <class S>
concept from_item = requires(const S& s, ParamBuffer& out) {
    typename S::tag;
    { s.table_ref() } -> std::same_as<ast::TableRef>;
    s.bind(out);
    S::fixed_shape;
};

/// What tells model T from every other model, whatever table names they share.
template <class T>
const void* model_identity() noexcept {
    return &model_info<T>::table_name;
}

/// FROM a model's own table.
template <class T>
struct table_source {
    using tag = T;
    static constexpr bool fixed_shape = true;
    ast::TableRef table_ref() const {
        return {model_info<T>::table_name, {}, nullptr, {}, model_identity<T>()};
    }
    void bind(ParamBuffer&) const {}
};

/// No FROM clause: a SELECT of expressions that read no table.
struct no_source {
    using tag = void;
    static constexpr bool fixed_shape = true;
};

/// A value that binds and reads through a model column's codec (enums stored as text,
/// type_adapter conversions): sa::col, alias columns, and the columns and scalar
/// subqueries that pass a model column through.
template <class E>
concept codec_column = requires {
    typename E::codec;
    typename E::field_type;
};

}  // namespace detail

/// Column `Member` of a named FROM item `Source` whose rows are its model's: an alias
/// ("u2"."name") or EXCLUDED ("excluded"."name").
template <class Source, auto Member>
    requires column_pointer<decltype(Member)>
struct source_column : expression_ops<source_column<Source, Member>> {
    using model_type = model_of_t<decltype(Member)>;
    using field_type = typename detail::member_pointer_traits<decltype(Member)>::field;
    using value_type = field_type;
    using sources = detail::type_list<typename Source::tag>;
    static constexpr bool fixed_shape = true;
    static constexpr std::size_t index = column_index_of<Member>;
    static constexpr std::string_view name = model_info<model_type>::columns[index].name;
    using codec = detail::column_codec<model_type, index>;

    /// Plain values beside this column bind through its codec.
    template <class T>
    using bound_as = column_bound_value<source_column, T>;

    detail::ast::Node lower() const {
        return detail::ast::Node(detail::ast::Kind::column, name, Source::name);
    }
    void bind(ParamBuffer&) const {}
};

/// Model T's table under another name; see sa::alias.
template <class T, detail::fixed_string Name>
struct Alias {
    using tag = Alias;
    using model_type = T;
    static constexpr std::string_view name = Name.view();
    static constexpr bool fixed_shape = true;

    detail::ast::TableRef table_ref() const {
        return {model_info<T>::table_name, name, nullptr, {}, detail::model_identity<T>()};
    }
    void bind(ParamBuffer&) const {}

    /// The aliased table's column of field `Member`: u2.col<&User::name>() (a mixin's
    /// column as in sa::col: u2.col<&User::stamps, &Timestamps::created_at>()).
    template <auto Member, auto... Inner>
    auto col() const {
        constexpr auto column = detail::column_named_by<Member, Inner...>();
        static_assert(std::is_same_v<model_of_t<std::remove_const_t<decltype(column)>>, T>,
                      "alchemy: alias col<&X::field>() names a field of another model than "
                      "the aliased one");
        return source_column<Alias, column>{};
    }
};

/// The table of model T under the name `Name`, for self-joins:
///
///   auto manager = sa::alias<User, "manager">;
///   sa::select(sa::col<&User::name>, manager.col<&User::name>())
///       .left_join(manager, manager.col<&User::id>() == sa::col<&User::manager_id>)
template <class T, detail::fixed_string Name>
    requires(detail::require_model<T>())
inline constexpr Alias<T, Name> alias{};

namespace detail {
/// The row an INSERT proposed, inside ON CONFLICT ... DO UPDATE.
template <class T>
using excluded_row = Alias<T, "excluded">;
}  // namespace detail

/// In insert<T>()...on_conflict_do_update(...).set(...): the value the INSERT proposed
/// for a column, EXCLUDED.column. Only an upsert's SET can read it.
template <auto Member, auto... Inner>
inline constexpr auto excluded = [] {
    constexpr auto column = detail::column_named_by<Member, Inner...>();
    return source_column<detail::excluded_row<model_of_t<std::remove_const_t<decltype(column)>>>, column>{};
}();

}  // namespace alchemy
