// Evaluates a WHERE condition or a SET value in C++ against an object, with SQL's NULL
// rules (std::nullopt is unknown), for synchronize_session = evaluate: after a bulk
// UPDATE or DELETE, the objects in the session that match change the same way.
//
// Columns, bound values, NULL, comparisons (NULL-safe ones too), AND/OR/NOT, IS [NOT] NULL,
// arithmetic, IN (values), BETWEEN and filter_by() evaluate; anything else (LIKE,
// functions, subqueries) does not, and `evaluable<E, T>` says so at compile time. Neither
// does a comparison of what the database may compare otherwise than C++: only numbers and
// booleans compare here, not text (the column's collation decides: SQLite's NOCASE, a
// locale's order), enums and adapted types (stored as text, perhaps), nor times (SQLite
// compares their text). What only the values show (a NaN, an integer overflow, a result
// its field cannot hold as the database stores it) throws cannot_evaluate, before the
// statement is sent: the caller then asks the database instead.
#pragma once

#include "alchemy/sql/column.hpp"
#include "alchemy/sql/expression_ops.hpp"

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

namespace alchemy::detail {

template <class V>
std::optional<V> known(const V& v) {
    return v;
}
template <class V>
std::optional<V> known(const std::optional<V>& v) {
    return v;
}

/// An evaluator met a value it cannot compute as the database would (see the file comment).
struct cannot_evaluate {};

/// evaluator<E, T>::eval(e, obj) evaluates e on obj; undefined for what does not evaluate.
template <class E, class T>
struct evaluator;

template <class E, class T>
concept evaluable = requires(const E& e, const T& obj) { evaluator<E, T>::eval(e, obj); };

template <class E, class T>
auto eval(const E& e, const T& obj) {
    return evaluator<E, T>::eval(e, obj);
}
template <class E, class T>
using eval_value_t = typename decltype(eval(std::declval<const E&>(), std::declval<const T&>()))::value_type;

template <auto M, class T>
    requires std::same_as<typename column_ref<M>::model_type, T>
struct evaluator<column_ref<M>, T> {
    static auto eval(const column_ref<M>&, const T& obj) {
        return known(field_of<column_ref<M>::index>(obj));
    }
};
template <class V, class T>
struct evaluator<bound_value<V>, T> {
    static auto eval(const bound_value<V>& b, const T&) { return known(b.value); }
};
template <class C, class V, class T>
struct evaluator<column_bound_value<C, V>, T> {
    static auto eval(const column_bound_value<C, V>& b, const T&) { return known(b.value); }
};

/// Values C++ compares as both databases do: numbers and booleans.
template <class A, class B>
concept ordered_with = std::is_arithmetic_v<A> && std::is_arithmetic_v<B>;

template <class Op>
inline constexpr bool comparison_op_v =
    std::is_same_v<Op, op::eq> || std::is_same_v<Op, op::ne> || std::is_same_v<Op, op::lt> ||
    std::is_same_v<Op, op::le> || std::is_same_v<Op, op::gt> || std::is_same_v<Op, op::ge>;
template <class Op>
inline constexpr bool arithmetic_op_v =
    std::is_same_v<Op, op::add> || std::is_same_v<Op, op::sub> || std::is_same_v<Op, op::mul> ||
    std::is_same_v<Op, op::div> || std::is_same_v<Op, op::mod>;

/// An integer or floating value as the double both databases compare it as, beside a
/// floating one: a float is bound as a double, and an integer beyond 2^53, which SQLite
/// compares exactly and PostgreSQL rounds, has no one answer.
template <class V>
double as_compared_double(const V& v) {
    if constexpr (std_integer_v<V>) {
        constexpr std::int64_t exact = std::int64_t{1} << 53;
        if (std::cmp_greater(v, exact) || std::cmp_less(v, -exact)) throw cannot_evaluate{};
    }
    return static_cast<double>(v);
}

/// a == b and a < b as SQL has them: integers of different types by value (a plain
/// number beside a column keeps its own type, detail::as_operand), and a floating value
/// with any number as doubles (C++ would compare an integer with a float as floats).
template <class A, class B>
bool sql_equal(const A& a, const B& b) {
    if constexpr (std_integer_v<A> && std_integer_v<B>) return std::cmp_equal(a, b);
    else if constexpr (std::is_floating_point_v<A> || std::is_floating_point_v<B>)
        return as_compared_double(a) == as_compared_double(b);
    else return a == b;
}
template <class A, class B>
bool sql_less(const A& a, const B& b) {
    if constexpr (std_integer_v<A> && std_integer_v<B>) return std::cmp_less(a, b);
    else if constexpr (std::is_floating_point_v<A> || std::is_floating_point_v<B>)
        return as_compared_double(a) < as_compared_double(b);
    else return a < b;
}

/// PostgreSQL orders NaN above every number and equal to itself; SQLite stores it as NULL.
template <class V>
void refuse_nan(const V& v) {
    if constexpr (std::is_floating_point_v<V>)
        if (std::isnan(v)) throw cannot_evaluate{};
}

template <class Op, class A, class B>
bool compare(const A& a, const B& b) {
    refuse_nan(a);
    refuse_nan(b);
    if constexpr (std::is_same_v<Op, op::eq>) return sql_equal(a, b);
    else if constexpr (std::is_same_v<Op, op::ne>) return !sql_equal(a, b);
    else if constexpr (std::is_same_v<Op, op::lt>) return sql_less(a, b);
    else if constexpr (std::is_same_v<Op, op::le>) return !sql_less(b, a);
    else if constexpr (std::is_same_v<Op, op::gt>) return sql_less(b, a);
    else return !sql_less(a, b);
}

template <class Op, class L, class R, class V, class T>
    requires comparison_op_v<Op> && evaluable<L, T> && evaluable<R, T> &&
             ordered_with<eval_value_t<L, T>, eval_value_t<R, T>>
struct evaluator<binary_expression<Op, L, R, V>, T> {
    static std::optional<bool> eval(const binary_expression<Op, L, R, V>& e, const T& obj) {
        const auto a = detail::eval(e.lhs, obj);
        const auto b = detail::eval(e.rhs, obj);
        if (!a || !b) return std::nullopt;
        return compare<Op>(*a, *b);
    }
};

/// IS [NOT] DISTINCT FROM: NULL equals NULL, so the answer is never unknown.
template <class Op, class L, class R, class V, class T>
    requires(std::is_same_v<Op, op::is_not_distinct_from> || std::is_same_v<Op, op::is_distinct_from>) &&
            evaluable<L, T> && evaluable<R, T> && ordered_with<eval_value_t<L, T>, eval_value_t<R, T>>
struct evaluator<binary_expression<Op, L, R, V>, T> {
    static std::optional<bool> eval(const binary_expression<Op, L, R, V>& e, const T& obj) {
        const auto a = detail::eval(e.lhs, obj);
        const auto b = detail::eval(e.rhs, obj);
        if (a) refuse_nan(*a);
        if (b) refuse_nan(*b);
        const bool same = a && b ? sql_equal(*a, *b) : a.has_value() == b.has_value();
        return std::is_same_v<Op, op::is_not_distinct_from> ? same : !same;
    }
};

template <class Op, class L, class R, class V, class T>
    requires(std::is_same_v<Op, op::and_> || std::is_same_v<Op, op::or_>) && evaluable<L, T> &&
            evaluable<R, T>
struct evaluator<binary_expression<Op, L, R, V>, T> {
    static std::optional<bool> eval(const binary_expression<Op, L, R, V>& e, const T& obj) {
        const std::optional<bool> a = detail::eval(e.lhs, obj);
        const std::optional<bool> b = detail::eval(e.rhs, obj);
        constexpr bool decisive = std::is_same_v<Op, op::or_>;  // true decides OR, false decides AND
        if ((a && *a == decisive) || (b && *b == decisive)) return decisive;
        if (a && b) return !decisive;
        return std::nullopt;
    }
};

/// `v` as a value of type X holds it, where X holds it exactly as the database stores it:
/// PostgreSQL rounds a number with a fraction put in an integer column, SQLite keeps it
/// whole; an integer out of X's range fails there or changes kind.
template <class X, class V>
X exact_value(const V& v) {
    if constexpr (std::is_integral_v<X> && std::is_floating_point_v<V>) {
        throw cannot_evaluate{};
    } else if constexpr (std_integer_v<X> && std_integer_v<V>) {
        if (!std::in_range<X>(v)) throw cannot_evaluate{};
        return static_cast<X>(v);
    } else {
        return static_cast<X>(v);
    }
}

template <class Op, class L, class R, class V, class T>
    requires arithmetic_op_v<Op> && evaluable<L, T> && evaluable<R, T> &&
             (!std::is_same_v<Op, op::mod> || std::is_integral_v<without_optional_t<V>>)
struct evaluator<binary_expression<Op, L, R, V>, T> {
    using X = without_optional_t<V>;
    static std::optional<X> eval(const binary_expression<Op, L, R, V>& e, const T& obj) {
        const auto a = detail::eval(e.lhs, obj);
        const auto b = detail::eval(e.rhs, obj);
        if (!a || !b) return std::nullopt;
        const X x = exact_value<X>(*a);
        const X y = exact_value<X>(*b);
        if constexpr (std::is_integral_v<X>) {
            // An overflow fails on PostgreSQL and turns into a REAL on SQLite.
            X r{};
            bool overflow = false;
            if constexpr (std::is_same_v<Op, op::add>) overflow = __builtin_add_overflow(x, y, &r);
            else if constexpr (std::is_same_v<Op, op::sub>) overflow = __builtin_sub_overflow(x, y, &r);
            else if constexpr (std::is_same_v<Op, op::mul>) overflow = __builtin_mul_overflow(x, y, &r);
            else if (y == X{}) return std::nullopt;
            else if (std::is_signed_v<X> && y == X(-1) && x == std::numeric_limits<X>::min()) overflow = true;
            else if constexpr (std::is_same_v<Op, op::div>) r = x / y;
            else r = x % y;
            if (overflow) throw cannot_evaluate{};
            return r;
        } else {
            refuse_nan(x);
            refuse_nan(y);
            X r{};
            if constexpr (std::is_same_v<Op, op::add>) r = x + y;
            else if constexpr (std::is_same_v<Op, op::sub>) r = x - y;
            else if constexpr (std::is_same_v<Op, op::mul>) r = x * y;
            else if (y == X{}) return std::nullopt;
            else r = x / y;
            if (!std::isfinite(r)) throw cannot_evaluate{};  // an overflow, which fails on PostgreSQL
            return r;
        }
    }
};

template <class Op, class E, class V, bool Postfix, class T>
    requires evaluable<E, T> && (std::is_same_v<Op, op::not_> || std::is_same_v<Op, op::is_null> ||
                                 std::is_same_v<Op, op::is_not_null>)
struct evaluator<unary_expression<Op, E, V, Postfix>, T> {
    static std::optional<bool> eval(const unary_expression<Op, E, V, Postfix>& e, const T& obj) {
        const auto a = detail::eval(e.operand, obj);
        if constexpr (std::is_same_v<Op, op::is_null>) return !a.has_value();
        else if constexpr (std::is_same_v<Op, op::is_not_null>) return a.has_value();
        else return a ? std::optional<bool>(!*a) : std::nullopt;
    }
};

template <class E, class V, class T>
    requires evaluable<E, T> && evaluable<V, T> && ordered_with<eval_value_t<E, T>, eval_value_t<V, T>>
struct evaluator<in_list_expression<E, V>, T> {
    static std::optional<bool> eval(const in_list_expression<E, V>& e, const T& obj) {
        if (e.values.empty()) return e.negated;
        const auto a = detail::eval(e.operand, obj);
        if (!a) return std::nullopt;
        refuse_nan(*a);
        bool unknown = false;
        for (const auto& v : e.values) {
            const auto b = detail::eval(v, obj);
            if (b) refuse_nan(*b);
            if (!b) unknown = true;
            else if (sql_equal(*a, *b)) return !e.negated;
        }
        if (unknown) return std::nullopt;
        return e.negated;
    }
};

template <class E, class Low, class High, class T>
    requires evaluable<E, T> && evaluable<Low, T> && evaluable<High, T> &&
             ordered_with<eval_value_t<E, T>, eval_value_t<Low, T>> &&
             ordered_with<eval_value_t<E, T>, eval_value_t<High, T>>
struct evaluator<between_expression<E, Low, High>, T> {
    static std::optional<bool> eval(const between_expression<E, Low, High>& e, const T& obj) {
        const auto a = detail::eval(e.operand, obj);
        const auto low = detail::eval(e.low, obj);
        const auto high = detail::eval(e.high, obj);
        if (!a || !low || !high) return std::nullopt;
        refuse_nan(*a);
        refuse_nan(*low);
        refuse_nan(*high);
        const bool inside = !sql_less(*a, *low) && !sql_less(*high, *a);
        return inside != e.negated;
    }
};

}  // namespace alchemy::detail
