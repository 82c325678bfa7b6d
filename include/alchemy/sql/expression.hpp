// Typed SQL expressions: the concept every expression meets, bound values, and the
// operators that combine them.
//
// An expression type E says, at compile time:
//   value_type  the C++ type of its value (std::optional<...> when it may be NULL)
//   sources     detail::type_list of the models (tables) it reads from, so a statement
//               can check that each one is in its FROM/JOIN
//   lower()     its shape as a statement-tree node (sql/statement_tree.hpp); depends only on
//               the type, so the SQL of a statement is cached per statement type
//   bind(out)   its values, in the order lower() placed their placeholders
#pragma once

#include "alchemy/core/param_buffer.hpp"
#include "alchemy/core/value.hpp"
#include "alchemy/core/value_traits.hpp"
#include "alchemy/schema/column_kind.hpp"
#include "alchemy/sql/shape_variant.hpp"
#include "alchemy/sql/statement_tree.hpp"

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/bind.hpp>
#include <boost/mp11/list.hpp>

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace alchemy {

namespace detail {

/// A list of types (the models an expression reads, a row's column types): Boost.Mp11's,
/// under the names the statements use.
template <class... Ts>
using type_list = boost::mp11::mp_list<Ts...>;
template <class... Lists>
using concat_t = boost::mp11::mp_append<Lists...>;
template <class T, class List>
inline constexpr bool contains_v = boost::mp11::mp_contains<List, T>::value;
template <class Sub, class Super>
inline constexpr bool subset_v =
    boost::mp11::mp_all_of_q<Sub, boost::mp11::mp_bind_front<boost::mp11::mp_contains, Super>>::value;

/// `t` with `more` after its elements: how a statement grows by a clause. Cheaper to
/// compile than std::tuple_cat, which every where() and order_by() instantiates.
template <class... Ts, class... Us>
std::tuple<Ts..., Us...> append(const std::tuple<Ts...>& t, Us... more) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::tuple<Ts..., Us...>(std::get<I>(t)..., std::move(more)...);
    }(std::index_sequence_for<Ts...>{});
}

/// `V` made NULL-able when `nullable`.
template <class V, bool nullable>
using maybe_optional_t = std::conditional_t<nullable && !nullable_v<V>, std::optional<V>, V>;

/// Whether expression E can be NULL in a row where the left-joined sources LeftJoined
/// matched nothing (all their columns NULL): whenever it reads one of them, except where
/// a specialization knows E yields a value for NULL operands (count(), IS NULL, coalesce()
/// with an argument that cannot be NULL).
template <class E, class LeftJoined>
struct null_when_unmatched
    : boost::mp11::mp_any_of_q<typename E::sources,
                               boost::mp11::mp_bind_front<boost::mp11::mp_contains, LeftJoined>> {};

}  // namespace detail

/// A typed SQL expression; see the file comment.
template <class E>
concept sql_expression = requires(const E& e, ParamBuffer& out) {
    typename E::value_type;
    typename E::sources;
    { e.lower() } -> std::same_as<detail::ast::Node>;
    e.bind(out);
};

namespace detail {

/// Text-like C++ types that compare with std::string columns.
template <class T>
inline constexpr bool is_text_like_v =
    std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view> || std::is_same_v<T, const char*> ||
    std::is_same_v<T, char*> || (std::is_array_v<T> && std::is_same_v<std::remove_extent_t<T>, const char>) ||
    (std::is_array_v<T> && std::is_same_v<std::remove_extent_t<T>, char>);

template <class T>
inline constexpr bool is_number_v = std::is_arithmetic_v<T> && !std::is_same_v<T, bool>;

/// Integer types that hold numbers (std::in_range accepts them): not bool, not characters.
template <class T>
inline constexpr bool std_integer_v =
    std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
    !std::is_same_v<T, wchar_t> && !std::is_same_v<T, char8_t> && !std::is_same_v<T, char16_t> &&
    !std::is_same_v<T, char32_t>;

/// Whether SQL values of C++ types A and B can be compared or assigned: the same type,
/// numbers with numbers, text with text. NULL-ability does not matter.
template <class A, class B>
consteval bool compatible_values() {
    using X = without_optional_t<std::decay_t<A>>;
    using Y = without_optional_t<std::decay_t<B>>;
    if constexpr (std::is_same_v<X, Y>) return true;
    else if constexpr (is_number_v<X> && is_number_v<Y>) return true;
    else if constexpr (is_text_like_v<X> && is_text_like_v<Y>) return true;
    else if constexpr (std::is_same_v<std::decay_t<A>, std::nullopt_t> ||
                       std::is_same_v<std::decay_t<B>, std::nullopt_t>)
        return true;
    else return false;
}

}  // namespace detail

/// A value bound as a parameter; its C++ type decides how (value_traits).
template <class T>
struct bound_value {
    using value_type = T;
    using sources = detail::type_list<>;
    static constexpr bool fixed_shape = true;

    T value;

    detail::ast::Node lower() const { return detail::ast::Node(detail::ast::Kind::parameter); }
    void bind(ParamBuffer& out) const {
        // A number travels inside its Param; only text and blobs need storage that lives on.
        if constexpr (std::is_arithmetic_v<T>) out.add(to_param(value));
        else out.add_owned(Value(to_param(value)));
    }
};

/// sa::null: SQL NULL, for assignments (`col = sa::null`) and comparisons (IS NULL).
struct null_t {
    using value_type = std::nullopt_t;
    using sources = detail::type_list<>;
    static constexpr bool fixed_shape = true;
    detail::ast::Node lower() const { return detail::ast::Node(detail::ast::Kind::null); }
    void bind(ParamBuffer&) const {}
};
inline constexpr null_t null{};

namespace detail {

/// A C++ value becomes a bound parameter; an expression stays itself.
template <class T>
auto as_expression(T&& v) {
    if constexpr (sql_expression<std::remove_cvref_t<T>>) return std::forward<T>(v);
    else if constexpr (is_text_like_v<std::remove_cvref_t<T>> &&
                       !std::is_same_v<std::remove_cvref_t<T>, std::string>)
        return bound_value<std::string>{std::string(v)};
    else return bound_value<std::remove_cvref_t<T>>{std::forward<T>(v)};
}

template <class T>
using expression_of_t = decltype(as_expression(std::declval<T>()));

template <class A, class B>
inline constexpr bool shape_fixed_v =
    std::remove_cvref_t<A>::fixed_shape && std::remove_cvref_t<B>::fixed_shape;

}  // namespace detail

// Operators build these nodes --------------------------------------------------------

/// `lhs op rhs` for a fixed SQL operator spelling.
template <class Op, sql_expression L, sql_expression R, class V>
struct binary_expression {
    using value_type = V;
    using sources = detail::concat_t<typename L::sources, typename R::sources>;
    static constexpr bool fixed_shape = L::fixed_shape && R::fixed_shape;
    static constexpr std::size_t shape_variants = detail::combined_shape_variants<L, R>;

    L lhs;
    R rhs;

    std::size_t shape_variant() const noexcept { return detail::combined_shape_variant(lhs, rhs); }

    detail::ast::Node lower() const {
        detail::ast::Node n{detail::ast::Kind::binary, Op::sql};
        n.children.reserve(2);
        n.add(lhs.lower());
        n.add(rhs.lower());
        return n;
    }
    void bind(ParamBuffer& out) const {
        lhs.bind(out);
        rhs.bind(out);
    }
};

/// `op operand` (NOT x, -x) or `operand op` (x IS NULL).
template <class Op, sql_expression E, class V, bool Postfix>
struct unary_expression {
    using value_type = V;
    using sources = typename E::sources;
    static constexpr bool fixed_shape = E::fixed_shape;
    static constexpr std::size_t shape_variants = detail::shape_variants_of<E>;

    E operand;

    std::size_t shape_variant() const noexcept { return detail::shape_variant_of(operand); }

    detail::ast::Node lower() const {
        detail::ast::Node n{Postfix ? detail::ast::Kind::postfix : detail::ast::Kind::prefix, Op::sql};
        n.add(operand.lower());
        return n;
    }
    void bind(ParamBuffer& out) const { operand.bind(out); }
};

namespace op {
// clang-format off
struct eq { static constexpr std::string_view sql = "="; };
struct ne { static constexpr std::string_view sql = "!="; };
struct lt { static constexpr std::string_view sql = "<"; };
struct le { static constexpr std::string_view sql = "<="; };
struct gt { static constexpr std::string_view sql = ">"; };
struct ge { static constexpr std::string_view sql = ">="; };
struct and_ { static constexpr std::string_view sql = "AND"; };
struct or_ { static constexpr std::string_view sql = "OR"; };
struct not_ { static constexpr std::string_view sql = "NOT"; };
struct add { static constexpr std::string_view sql = "+"; };
struct sub { static constexpr std::string_view sql = "-"; };
struct mul { static constexpr std::string_view sql = "*"; };
struct div { static constexpr std::string_view sql = "/"; };
struct mod { static constexpr std::string_view sql = "%"; };
struct concat { static constexpr std::string_view sql = "||"; };
struct neg { static constexpr std::string_view sql = "-"; };
struct is_null { static constexpr std::string_view sql = "IS NULL"; };
struct is_not_null { static constexpr std::string_view sql = "IS NOT NULL"; };
// NULL-safe equality; SQLite spells these IS / IS NOT (src/sql/render_ast.cpp).
struct is_not_distinct_from { static constexpr std::string_view sql = "IS NOT DISTINCT FROM"; };
struct is_distinct_from { static constexpr std::string_view sql = "IS DISTINCT FROM"; };
// clang-format on
}  // namespace op

namespace detail {

template <class Op, class E, class LeftJoined>
    requires std::is_same_v<Op, op::is_null> || std::is_same_v<Op, op::is_not_null>
struct null_when_unmatched<unary_expression<Op, E, bool, true>, LeftJoined> : std::false_type {};

template <class L, class R>
inline constexpr bool either_nullable_v =
    nullable_v<typename L::value_type> || nullable_v<typename R::value_type>;

/// The result of comparing L and R: bool, or optional<bool> when either may be NULL.
template <class L, class R>
using comparison_t = maybe_optional_t<bool, either_nullable_v<L, R>>;

/// Arithmetic result: double if either side is floating point, else int64.
template <class L, class R>
using arithmetic_value_t = maybe_optional_t<
    std::conditional_t<std::is_floating_point_v<without_optional_t<typename L::value_type>> ||
                           std::is_floating_point_v<without_optional_t<typename R::value_type>>,
                       double, std::int64_t>,
    either_nullable_v<L, R>>;

/// Whether plain value V beside expression Peer is a number beside a number.
template <class Peer, class V>
inline constexpr bool number_beside_number_v =
    is_number_v<without_optional_t<V>> && is_number_v<without_optional_t<typename Peer::value_type>>;

/// `v` as the operand beside `Peer`: a plain value compared with or assigned to a column
/// is bound the way that column stores it (enums as names, type_adapter conversions). A
/// number beside a number binds as itself, as in SQLAlchemy: in the column's type
/// `age == 10.7` would match 10 and `age * 0.5` would multiply by 0.
template <class Peer, class T>
auto as_operand(T&& v) {
    using V = std::remove_cvref_t<T>;
    if constexpr (sql_expression<V>) return std::forward<T>(v);
    else if constexpr (number_beside_number_v<Peer, V>) return as_expression(std::forward<T>(v));
    else if constexpr (requires { typename Peer::template bound_as<V>; })
        return typename Peer::template bound_as<V>{std::forward<T>(v)};
    else return as_expression(std::forward<T>(v));
}

template <class Peer, class T>
using operand_t = decltype(as_operand<Peer>(std::declval<T>()));

template <class Op, class L, class R, class V>
auto make_binary(L&& lhs, R&& rhs) {
    using LE = operand_t<expression_of_t<R>, L>;
    using RE = operand_t<expression_of_t<L>, R>;
    return binary_expression<Op, LE, RE, V>{as_operand<expression_of_t<R>>(std::forward<L>(lhs)),
                                            as_operand<expression_of_t<L>>(std::forward<R>(rhs))};
}

/// At least one operand is a SQL expression (the other may be a plain C++ value).
template <class L, class R>
concept expression_operands =
    sql_expression<std::remove_cvref_t<L>> || sql_expression<std::remove_cvref_t<R>>;

template <class T>
using value_of_t = typename expression_of_t<T>::value_type;

}  // namespace detail

namespace detail {
/// A plain C++ value that may hold no value (std::optional, std::nullopt): compared with
/// == or != it decides at run time between equality and NULL, so the SQL must not.
template <class T>
inline constexpr bool maybe_null_value_v =
    !sql_expression<std::remove_cvref_t<T>> &&
    (nullable_v<T> || std::is_same_v<std::remove_cvref_t<T>, std::nullopt_t>);
}  // namespace detail

/// Comparisons: `sa::col<&User::age> >= 18` and so on. Comparing with a value of an
/// unrelated type (a number with text) does not compile. `==` / `!=` with a std::optional
/// value are NULL-safe (IS NOT DISTINCT FROM / IS DISTINCT FROM; IS / IS NOT on SQLite):
/// an empty optional matches NULL, as `col == None` does in SQLAlchemy, and the SQL text
/// stays the same whether the optional holds a value or not.
#define ALCHEMY_COMPARISON(symbol, name, null_safe)                                                         \
    template <class L, class R>                                                                             \
        requires detail::expression_operands<L, R>                                                          \
    auto operator symbol(L&& lhs, R&& rhs) {                                                                \
        static_assert(detail::compatible_values<detail::value_of_t<L>, detail::value_of_t<R>>(),            \
                      "alchemy: comparing values of incompatible types (e.g. a number column "              \
                      "with text); compare a column with a value of its own type");                         \
        using LE = detail::expression_of_t<L>;                                                              \
        using RE = detail::expression_of_t<R>;                                                              \
        if constexpr (!std::is_void_v<null_safe> &&                                                         \
                      (detail::maybe_null_value_v<L> || detail::maybe_null_value_v<R>))                     \
            return detail::make_binary<null_safe, L, R, bool>(std::forward<L>(lhs), std::forward<R>(rhs));  \
        else                                                                                                \
            return detail::make_binary<op::name, L, R, detail::comparison_t<LE, RE>>(std::forward<L>(lhs),  \
                                                                                     std::forward<R>(rhs)); \
    }
ALCHEMY_COMPARISON(==, eq, op::is_not_distinct_from)
ALCHEMY_COMPARISON(!=, ne, op::is_distinct_from)
ALCHEMY_COMPARISON(<, lt, void)
ALCHEMY_COMPARISON(<=, le, void)
ALCHEMY_COMPARISON(>, gt, void)
ALCHEMY_COMPARISON(>=, ge, void)
#undef ALCHEMY_COMPARISON

/// `x == sa::null` is `x IS NULL` and `x != sa::null` is `x IS NOT NULL`, as in
/// SQLAlchemy: `x = NULL` is never true. These win over the comparisons above because
/// null_t is a more specialised parameter than a forwarding reference.
template <class E>
    requires sql_expression<std::remove_cvref_t<E>> && (!std::is_same_v<std::remove_cvref_t<E>, null_t>)
auto operator==(E&& e, null_t) {
    return unary_expression<op::is_null, std::remove_cvref_t<E>, bool, true>{std::forward<E>(e)};
}
template <class E>
    requires sql_expression<std::remove_cvref_t<E>> && (!std::is_same_v<std::remove_cvref_t<E>, null_t>)
auto operator==(null_t, E&& e) {
    return unary_expression<op::is_null, std::remove_cvref_t<E>, bool, true>{std::forward<E>(e)};
}
template <class E>
    requires sql_expression<std::remove_cvref_t<E>> && (!std::is_same_v<std::remove_cvref_t<E>, null_t>)
auto operator!=(E&& e, null_t) {
    return unary_expression<op::is_not_null, std::remove_cvref_t<E>, bool, true>{std::forward<E>(e)};
}
template <class E>
    requires sql_expression<std::remove_cvref_t<E>> && (!std::is_same_v<std::remove_cvref_t<E>, null_t>)
auto operator!=(null_t, E&& e) {
    return unary_expression<op::is_not_null, std::remove_cvref_t<E>, bool, true>{std::forward<E>(e)};
}

/// Arithmetic on numbers: + - * / %.
#define ALCHEMY_ARITHMETIC(symbol, name)                                                   \
    template <class L, class R>                                                            \
        requires detail::expression_operands<L, R> &&                                      \
                 detail::is_number_v<detail::without_optional_t<detail::value_of_t<L>>> && \
                 detail::is_number_v<detail::without_optional_t<detail::value_of_t<R>>>    \
    auto operator symbol(L&& lhs, R&& rhs) {                                               \
        using LE = detail::expression_of_t<L>;                                             \
        using RE = detail::expression_of_t<R>;                                             \
        return detail::make_binary<op::name, L, R, detail::arithmetic_value_t<LE, RE>>(    \
            std::forward<L>(lhs), std::forward<R>(rhs));                                   \
    }
ALCHEMY_ARITHMETIC(+, add)
ALCHEMY_ARITHMETIC(-, sub)
ALCHEMY_ARITHMETIC(*, mul)
ALCHEMY_ARITHMETIC(/, div)
ALCHEMY_ARITHMETIC(%, mod)
#undef ALCHEMY_ARITHMETIC

/// Boolean logic: && || !
template <class L, class R>
    requires detail::expression_operands<L, R>
auto operator&&(L&& lhs, R&& rhs) {
    using LE = detail::expression_of_t<L>;
    using RE = detail::expression_of_t<R>;
    return detail::make_binary<op::and_, L, R, detail::comparison_t<LE, RE>>(std::forward<L>(lhs),
                                                                             std::forward<R>(rhs));
}
template <class L, class R>
    requires detail::expression_operands<L, R>
auto operator||(L&& lhs, R&& rhs) {
    using LE = detail::expression_of_t<L>;
    using RE = detail::expression_of_t<R>;
    return detail::make_binary<op::or_, L, R, detail::comparison_t<LE, RE>>(std::forward<L>(lhs),
                                                                            std::forward<R>(rhs));
}
template <sql_expression E>
auto operator!(const E& e) {
    return unary_expression<op::not_, E, typename E::value_type, false>{e};
}

/// String concatenation (SQL ||): sa::concat(a, b).
template <class L, class R>
    requires detail::expression_operands<L, R>
auto concat(L&& lhs, R&& rhs) {
    using LE = detail::expression_of_t<L>;
    using RE = detail::expression_of_t<R>;
    return detail::make_binary<op::concat, L, R,
                               detail::maybe_optional_t<std::string, detail::either_nullable_v<LE, RE>>>(
        std::forward<L>(lhs), std::forward<R>(rhs));
}

namespace detail {
template <class T>
inline constexpr bool text_value_v = is_text_like_v<without_optional_t<value_of_t<T>>>;
}  // namespace detail

/// `a + b` on two text values is concatenation too: `sa::col<&User::first> + " " + ...`.
template <class L, class R>
    requires detail::expression_operands<L, R> && detail::text_value_v<L> && detail::text_value_v<R>
auto operator+(L&& lhs, R&& rhs) {
    return alchemy::concat(std::forward<L>(lhs), std::forward<R>(rhs));
}

}  // namespace alchemy
