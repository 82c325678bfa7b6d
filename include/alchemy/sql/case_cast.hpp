// CASE WHEN ... THEN ... [ELSE ...] END and CAST(x AS type), typed:
//
//   sa::case_().when(sa::col<&Order::amount> > 100, "big").else_("small")  // std::string
//   sa::cast<double>(sa::col<&Order::quantity>)                              // double
#pragma once

#include "alchemy/schema/column_kind.hpp"
#include "alchemy/sql/expression_ops.hpp"
#include "alchemy/sql/functions.hpp"

#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace alchemy {

// CASE ---------------------------------------------------------------------------------

namespace detail {

/// One WHEN condition THEN value. V is the value's own type, which may differ from the
/// stored expression's: a plain "x" bound beside an optional column is still not NULL.
template <sql_expression C, sql_expression E, class V>
struct case_branch {
    using value_type = V;
    using sources = concat_t<typename C::sources, typename E::sources>;
    static constexpr bool fixed_shape = C::fixed_shape && E::fixed_shape;
    static constexpr std::size_t shape_variants = combined_shape_variants<C, E>;
    C condition;
    E value;
    std::size_t shape_variant() const noexcept { return combined_shape_variant(condition, value); }
};

/// The ELSE of a CASE; no_else stands for its absence, which means ELSE NULL.
template <sql_expression E, class V>
struct case_else {
    using value_type = V;
    using sources = typename E::sources;
    static constexpr bool fixed_shape = E::fixed_shape;
    static constexpr std::size_t shape_variants = shape_variants_of<E>;
    E value;
    std::size_t shape_variant() const noexcept { return shape_variant_of(value); }
};
struct no_else {
    using value_type = std::nullopt_t;
    using sources = type_list<>;
    static constexpr bool fixed_shape = true;
};

template <class C>
consteval void check_case_condition() {
    static_assert(std::is_same_v<without_optional_t<value_of_t<C>>, bool>,
                  "alchemy: case_().when(condition, value) needs a boolean condition, such as "
                  "a comparison");
}

}  // namespace detail

/// CASE WHEN c1 THEN v1 ... [ELSE e] END. Its type is the common type of the values,
/// std::optional unless there is an ELSE and no value may be NULL. Plain values bind the
/// way the first THEN value stores them.
template <class Peer, class Else, class... Branches>
struct case_expression : expression_ops<case_expression<Peer, Else, Branches...>> {
    static constexpr bool has_else = !std::is_same_v<Else, detail::no_else>;

private:
    using common = detail::common_value_t<typename Branches::value_type..., typename Else::value_type>;
    static_assert(!std::is_void_v<common>,
                  "alchemy: case_() values must have compatible types (numbers with numbers, "
                  "text with text)");
    static constexpr bool nullable = detail::may_be_null_v<typename Else::value_type> ||
                                     (detail::may_be_null_v<typename Branches::value_type> || ...);

public:
    using value_type = detail::maybe_optional_t<common, nullable>;
    using sources = detail::concat_t<typename Branches::sources..., typename Else::sources>;
    static constexpr bool fixed_shape = (Branches::fixed_shape && ...) && Else::fixed_shape;
    static constexpr std::size_t shape_variants = detail::combined_shape_variants<Branches..., Else>;

    std::tuple<Branches...> branches;
    [[no_unique_address]] Else otherwise;

    std::size_t shape_variant() const noexcept {
        return std::apply([&](const auto&... b) { return detail::combined_shape_variant(b..., otherwise); },
                          branches);
    }

    case_expression(std::tuple<Branches...> b, Else e) : branches(std::move(b)), otherwise(std::move(e)) {}

    /// Another WHEN condition THEN value, tried after the ones before it.
    template <class C, class V>
        requires(!has_else)
    auto when(C&& condition, V&& value) const {
        detail::check_case_condition<C>();
        using Branch = detail::case_branch<detail::expression_of_t<C>, detail::operand_t<Peer, V>,
                                           detail::value_of_t<V>>;
        Branch branch{detail::as_expression(std::forward<C>(condition)),
                      detail::as_operand<Peer>(std::forward<V>(value))};
        return case_expression<Peer, Else, Branches..., Branch>(
            std::tuple_cat(branches, std::tuple<Branch>{std::move(branch)}), otherwise);
    }
    /// ELSE value: the result when no condition holds (without it: NULL).
    template <class V>
        requires(!has_else)
    auto else_(V&& value) const {
        using E = detail::case_else<detail::operand_t<Peer, V>, detail::value_of_t<V>>;
        return case_expression<Peer, E, Branches...>(branches,
                                                     E{detail::as_operand<Peer>(std::forward<V>(value))});
    }

    detail::ast::Node lower() const {
        detail::ast::Node n{detail::ast::Kind::case_when};
        n.children.reserve(2 * sizeof...(Branches) + (has_else ? 1 : 0));
        std::apply([&](const auto&... b) { ((n.add(b.condition.lower()), n.add(b.value.lower())), ...); },
                   branches);
        if constexpr (has_else) n.add(otherwise.value.lower());
        n.flag = has_else;
        return n;
    }
    /// In text order: each condition, then its value; the ELSE value last.
    void bind(ParamBuffer& out) const {
        std::apply([&](const auto&... b) { ((b.condition.bind(out), b.value.bind(out)), ...); }, branches);
        if constexpr (has_else) otherwise.value.bind(out);
    }
};

/// A CASE before its first WHEN; only .when() applies.
struct case_builder {
    template <class C, class V>
    auto when(C&& condition, V&& value) const {
        detail::check_case_condition<C>();
        using Peer = detail::expression_of_t<V>;
        using Branch = detail::case_branch<detail::expression_of_t<C>, Peer, detail::value_of_t<V>>;
        return case_expression<Peer, detail::no_else, Branch>(
            std::tuple<Branch>{Branch{detail::as_expression(std::forward<C>(condition)),
                                      detail::as_expression(std::forward<V>(value))}},
            detail::no_else{});
    }
};

/// sa::case_().when(condition, value)...[.else_(value)].
inline case_builder case_() { return {}; }

// CAST ---------------------------------------------------------------------------------

namespace detail {

/// The type name CAST uses for C++ type V, in a portable spelling that the renderer
/// turns into the dialect's (BIGINT is INTEGER on SQLite, BLOB is BYTEA on PostgreSQL).
template <class V>
consteval std::string_view cast_type_name() {
    switch (builtin_kind<V>()) {
    case TypeKind::boolean: return "BOOLEAN";
    case TypeKind::small_integer: return "SMALLINT";
    case TypeKind::integer: return "INTEGER";
    case TypeKind::big_integer: return "BIGINT";
    case TypeKind::single_precision: return "REAL";
    case TypeKind::double_precision: return "DOUBLE PRECISION";
    case TypeKind::text: return "TEXT";
    case TypeKind::blob: return "BLOB";
    case TypeKind::timestamp: return "TIMESTAMP";
    case TypeKind::date: return "DATE";
    }
    return {};
}

}  // namespace detail

/// CAST(x AS <T's SQL type>); T, or std::optional<T> when x may be NULL.
template <class T, sql_expression E>
struct cast_expression : expression_ops<cast_expression<T, E>> {
    using value_type = detail::maybe_optional_t<T, detail::nullable_v<typename E::value_type>>;
    using sources = typename E::sources;
    static constexpr bool fixed_shape = E::fixed_shape;
    static constexpr std::size_t shape_variants = detail::shape_variants_of<E>;

    E operand;

    explicit cast_expression(E e) : operand(std::move(e)) {}

    std::size_t shape_variant() const noexcept { return detail::shape_variant_of(operand); }

    detail::ast::Node lower() const {
        constexpr auto type = detail::cast_type_name<detail::without_optional_t<T>>();
        detail::ast::Node n{detail::ast::Kind::cast, type};
        // The operand's type where a backend may convert it wrongly (Dialect::casts_text_to_boolean).
        if constexpr (std::is_same_v<detail::without_optional_t<typename E::value_type>, std::string>)
            n.qualifier = "TEXT";
        n.add(operand.lower());
        return n;
    }
    void bind(ParamBuffer& out) const { operand.bind(out); }
};

/// sa::cast<T>(x): x converted by the database to the SQL type of T, one of the built-in
/// column types (bool, integers, floating point, std::string, blob, sys_time,
/// year_month_day) or std::optional of one.
template <class T, class E>
auto cast(E&& e) {
    static_assert(detail::is_builtin_column_value<detail::without_optional_t<T>>(),
                  "alchemy: cast<T>() needs a built-in SQL type T: bool, an integer, float, "
                  "double, std::string, std::vector<std::byte>, sys_time or year_month_day");
    return cast_expression<T, detail::expression_of_t<E>>(detail::as_expression(std::forward<E>(e)));
}

}  // namespace alchemy
