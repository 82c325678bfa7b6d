// sa::col<&T::field>: a typed reference to one column of a mapped model. It is an
// expression (comparisons, LIKE, IN, ...) and the left side of assignments in
// update().set(sa::col<&User::name> = "x").
#pragma once

#include "alchemy/core/param_buffer.hpp"
#include "alchemy/schema/column_codec.hpp"
#include "alchemy/schema/model.hpp"
#include "alchemy/sql/expression_ops.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace alchemy {

template <class Column, class Value>
struct column_assignment;

/// A value bound the way `Column` stores it (its codec): enums by name or number,
/// type_adapter conversions, std::nullopt and empty optionals as NULL.
template <class Column, class T>
struct column_bound_value {
    using field_type = typename Column::field_type;
    /// The column's type, made optional when the value may hold none (a std::optional
    /// compared with a NOT NULL column).
    using value_type =
        detail::maybe_optional_t<field_type, detail::nullable_v<T> ||
                                                 std::is_same_v<std::remove_cvref_t<T>, std::nullopt_t>>;
    using sources = detail::type_list<>;
    static constexpr bool fixed_shape = true;

    value_type value;

    template <class U>
    explicit column_bound_value(U&& v) : value(convert(std::forward<U>(v))) {}

    detail::ast::Node lower() const { return detail::ast::Node(detail::ast::Kind::parameter); }
    void bind(ParamBuffer& out) const {
        if constexpr (std::is_same_v<value_type, field_type>) Column::codec::bind(value, out);
        else if (value) Column::codec::bind(*value, out);
        else out.add(Param::null());
    }

private:
    using inner_type = detail::without_optional_t<value_type>;

    template <class U>
    static value_type convert(U&& v) {
        using V = std::remove_cvref_t<U>;
        if constexpr (std::is_same_v<V, std::nullopt_t> || !detail::compatible_values<field_type, V>())
            return value_type{};  // NULL; or a mismatch the caller's static_assert has reported
        else if constexpr (detail::nullable_v<V>)
            return v ? value_type(stored(*std::forward<U>(v))) : value_type{};
        else return value_type(stored(std::forward<U>(v)));
    }
    /// `v` in the field's type. Only assignments bring numbers here (as_operand binds a
    /// number beside a number as itself), and an integer the field cannot hold is refused.
    template <class U>
    static inner_type stored(U&& v) {
        using V = std::remove_cvref_t<U>;
        if constexpr (detail::std_integer_v<V> && detail::std_integer_v<inner_type> &&
                      !std::is_same_v<V, inner_type>)
            return Column::codec::narrow(v);
        else return static_cast<inner_type>(std::forward<U>(v));
    }
};

template <auto Member>
    requires column_pointer<decltype(Member)>
struct column_ref : expression_ops<column_ref<Member>> {
    using model_type = model_of_t<decltype(Member)>;
    using field_type = typename detail::member_pointer_traits<decltype(Member)>::field;
    using value_type = field_type;
    using sources = detail::type_list<model_type>;
    static constexpr bool fixed_shape = true;
    static constexpr std::size_t index = column_index_of<Member>;
    static constexpr std::string_view name = model_info<model_type>::columns[index].name;
    static constexpr std::string_view table = model_info<model_type>::table_name;
    using codec = detail::column_codec<model_type, index>;

    /// Plain values beside this column bind through its codec.
    template <class T>
    using bound_as = column_bound_value<column_ref, T>;

    detail::ast::Node lower() const { return detail::ast::Node(detail::ast::Kind::column, name, table); }
    void bind(ParamBuffer&) const {}

    /// `sa::col<&User::name> = value` inside update().set(...) and upserts.
    template <class V>
    auto operator=(V&& value) const {
        static_assert(!std::is_same_v<std::remove_cvref_t<V>, null_t> || detail::nullable_v<field_type>,
                      "alchemy: assigning sa::null to a column whose field is not std::optional; "
                      "make the field optional or assign a value");
        static_assert(detail::nullable_v<field_type> || !detail::maybe_null_value_v<V>,
                      "alchemy: assigning a std::optional to a column whose field is not "
                      "std::optional; assign its value (*opt) or make the field optional");
        static_assert(std::is_same_v<std::remove_cvref_t<V>, null_t> ||
                          detail::compatible_values<field_type, detail::value_of_t<V>>(),
                      "alchemy: assigning a value of an incompatible type to a column; assign "
                      "a value of the column's own type");
        static_assert(sql_expression<std::remove_cvref_t<V>> ||
                          !std::is_floating_point_v<detail::without_optional_t<detail::value_of_t<V>>> ||
                          !std::is_integral_v<detail::without_optional_t<field_type>>,
                      "alchemy: assigning a floating-point value to an integer column would drop its "
                      "fraction; round it first (std::llround) or make the field floating-point");
        // A plain value, numbers too, is stored in the field's type (bound_as).
        using E = std::conditional_t<sql_expression<std::remove_cvref_t<V>>, std::remove_cvref_t<V>,
                                     bound_as<std::remove_cvref_t<V>>>;
        return column_assignment<column_ref, E>{E(std::forward<V>(value))};
    }
};

/// `column = value` in SET clauses.
template <class Column, class Value>
struct column_assignment {
    using column = Column;
    using sources = typename Value::sources;
    static constexpr bool fixed_shape = Value::fixed_shape;
    static constexpr std::size_t shape_variants = detail::shape_variants_of<Value>;

    Value value;

    std::size_t shape_variant() const noexcept { return detail::shape_variant_of(value); }

    detail::ast::Assignment lower() const { return {Column::name, value.lower()}; }
    void bind(ParamBuffer& out) const { value.bind(out); }
};

namespace detail {
template <class A>
inline constexpr bool is_assignment_v = requires { typename A::column; };
/// Whether the assignment at Index among As... is the one written to its column, no later
/// one assigning the same column. A later values() or set() replaces an earlier value for
/// a column, as in SQLAlchemy; SQL itself refuses a column twice (PostgreSQL) or keeps
/// the last silently (SQLite).
template <std::size_t Index, class... As>
consteval bool last_assignment_to_its_column() {
    using Column = typename std::tuple_element_t<Index, std::tuple<As...>>::column;
    constexpr std::array<bool, sizeof...(As)> same_column{std::is_same_v<typename As::column, Column>...};
    for (std::size_t later = Index + 1; later < same_column.size(); ++later)
        if (same_column[later]) return false;
    return true;
}
/// Calls f on each of `assignments` that is the last to its column, in order: lowering
/// and binding both go through here, so placeholders and values stay paired.
template <class... As, class F>
void for_each_written_assignment(const std::tuple<As...>& assignments, F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                if constexpr (last_assignment_to_its_column<I, As...>()) f(std::get<I>(assignments));
            }(),
            ...);
    }(std::index_sequence_for<As...>{});
}
/// Whether A assigns a column of model T (vacuously true when A is no assignment at all,
/// which its caller reports on its own).
template <class A, class T>
consteval bool assigns_column_of() {
    if constexpr (is_assignment_v<A>) return std::is_same_v<typename A::column::model_type, T>;
    else return true;
}
}  // namespace detail

/// The column of field `Member`: sa::col<&User::name>; for a column of a mixin the
/// model embeds, the model's member and the mixin's field:
/// sa::col<&User::stamps, &Timestamps::created_at>.
template <auto Member, auto... Inner>
inline constexpr column_ref<detail::column_named_by<Member, Inner...>()> col{};

}  // namespace alchemy
