// SQL functions as typed expressions: aggregates (count, sum, avg, min, max), scalar
// functions (coalesce, lower, upper, length, now) and any server function (sa::func).
//
// Each result type follows what the database returns, made std::optional where it can
// be NULL: sum/avg/min/max are NULL over no rows, lower(x) is NULL when x is.
#pragma once

#include "alchemy/core/error.hpp"
#include "alchemy/schema/model.hpp"
#include "alchemy/schema/type_name.hpp"
#include "alchemy/sql/expression_ops.hpp"
#include "alchemy/sql/window.hpp"

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace alchemy {

namespace detail {

/// A base that adds nothing, for function types without .over().
struct not_windowable {};

/// How a function is called: a plain function, one that may also stand in a window
/// (aggregates, server functions), or an aggregate over DISTINCT values (which
/// PostgreSQL refuses in a window).
enum class call_kind { plain, windowable, distinct };

/// The common C++ type of values that meet in one result (coalesce, CASE): the type
/// itself, numbers widened by std::common_type, text as std::string; void when they
/// do not mix. NULL (sa::null) gives way to any other type.
template <class A, class B>
consteval auto common_value_pair() {
    // Once two types do not mix, nothing mixes.
    if constexpr (std::is_void_v<A>) return std::type_identity<void>{};
    else if constexpr (std::is_same_v<A, std::nullopt_t>) return std::type_identity<B>{};
    else if constexpr (std::is_same_v<B, std::nullopt_t>) return std::type_identity<A>{};
    else if constexpr (std::is_same_v<A, B>) return std::type_identity<A>{};
    else if constexpr (is_number_v<A> && is_number_v<B>)
        return std::type_identity<std::common_type_t<A, B>>{};
    else if constexpr (is_text_like_v<A> && is_text_like_v<B>) return std::type_identity<std::string>{};
    else return std::type_identity<void>{};
}
template <class A, class B>
using common_value_of_two = typename decltype(common_value_pair<A, B>())::type;
/// The common value of the types in List, left to right.
template <class List>
using common_value =
    boost::mp11::mp_fold<boost::mp11::mp_pop_front<List>, boost::mp11::mp_front<List>, common_value_of_two>;
/// The common type of values of types Vs (NULL-ability ignored; std::optional stripped);
/// void when they do not mix or are all NULL.
template <class... Vs>
using common_value_t = std::conditional_t<
    std::is_same_v<common_value<boost::mp11::mp_list<without_optional_t<Vs>...>>, std::nullopt_t>, void,
    common_value<boost::mp11::mp_list<without_optional_t<Vs>...>>>;

/// Whether a value of type V may be NULL: std::optional, or sa::null itself.
template <class V>
inline constexpr bool may_be_null_v = nullable_v<V> || std::is_same_v<std::remove_cvref_t<V>, std::nullopt_t>;

/// A function name fit to be spliced into SQL: an identifier, optionally schema-qualified.
constexpr bool is_function_name(std::string_view name) noexcept {
    if (name.empty() || name.front() == '.' || name.back() == '.') return false;
    if (name.front() >= '0' && name.front() <= '9') return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '_' || c == '.';
        if (!ok) return false;
    }
    return true;
}

/// The * in count(*); `Models` are the tables it counts rows of (sources).
template <class... Models>
struct star_argument {
    using value_type = void;
    using sources = type_list<Models...>;
    static constexpr bool fixed_shape = true;
    ast::Node lower() const { return ast::Node(ast::Kind::star); }
    void bind(ParamBuffer&) const {}
};

namespace fn {
// clang-format off
struct count { static constexpr std::string_view sql = "count"; };
struct sum { static constexpr std::string_view sql = "sum"; };
struct avg { static constexpr std::string_view sql = "avg"; };
struct min { static constexpr std::string_view sql = "min"; };
struct max { static constexpr std::string_view sql = "max"; };
struct coalesce { static constexpr std::string_view sql = "coalesce"; };
struct lower { static constexpr std::string_view sql = "lower"; };
struct upper { static constexpr std::string_view sql = "upper"; };
struct length { static constexpr std::string_view sql = "length"; };
// clang-format on

/// A name given as a template argument: sa::func<R, "name">.
template <fixed_string Name>
struct named {
    static constexpr std::string_view sql = Name.view();
};
}  // namespace fn

}  // namespace detail

/// Name(args...) with result type V. Name is a type with a static `sql` name, so the
/// SQL text depends only on the C++ type.
template <class Name, class V, detail::call_kind Kind, sql_expression... Args>
struct function_call
    : expression_ops<function_call<Name, V, Kind, Args...>>,
      std::conditional_t<Kind == detail::call_kind::windowable,
                         windowable<function_call<Name, V, Kind, Args...>>, detail::not_windowable> {
    using value_type = V;
    using sources = detail::concat_t<typename Args::sources...>;
    static constexpr bool fixed_shape = (Args::fixed_shape && ...);
    static constexpr std::size_t shape_variants = detail::combined_shape_variants<Args...>;

    std::tuple<Args...> args;

    explicit function_call(Args... a) : args(std::move(a)...) {}

    std::size_t shape_variant() const noexcept {
        return std::apply([](const auto&... a) { return detail::combined_shape_variant(a...); }, args);
    }

    detail::ast::Node lower() const {
        detail::ast::Node n{detail::ast::Kind::function, Name::sql};
        n.flag = Kind == detail::call_kind::distinct;
        n.children.reserve(sizeof...(Args));
        std::apply([&](const auto&... a) { (n.add(a.lower()), ...); }, args);
        return n;
    }
    void bind(ParamBuffer& out) const {
        std::apply([&](const auto&... a) { (a.bind(out), ...); }, args);
    }
};

namespace detail {

/// Name(args...) of kind Kind; plain C++ arguments become bound values.
template <class Name, class V, call_kind Kind = call_kind::plain, class... Args>
auto call(Args&&... args) {
    return function_call<Name, V, Kind, expression_of_t<Args>...>(as_expression(std::forward<Args>(args))...);
}
template <class Name, class V, class... Args>
auto aggregate(Args&&... args) {
    return call<Name, V, call_kind::windowable>(std::forward<Args>(args)...);
}

// count() counts the rows it finds, 0 when none; coalesce() is NULL only when every argument is.
template <class V, call_kind Kind, class... Args, class LeftJoined>
struct null_when_unmatched<function_call<fn::count, V, Kind, Args...>, LeftJoined> : std::false_type {};
template <class V, call_kind Kind, class... Args, class LeftJoined>
struct null_when_unmatched<function_call<fn::coalesce, V, Kind, Args...>, LeftJoined>
    : std::bool_constant<(
          (may_be_null_v<typename Args::value_type> || null_when_unmatched<Args, LeftJoined>::value) &&
          ...)> {};

template <class T>
using plain_value_t = without_optional_t<value_of_t<T>>;
template <class T>
using text_result_t = maybe_optional_t<std::string, nullable_v<value_of_t<T>>>;

}  // namespace detail

// Aggregates ---------------------------------------------------------------------------

/// count(*) over the statement's rows: select(col, sa::count()).group_by(col).
inline auto count() { return detail::aggregate<detail::fn::count, std::int64_t>(detail::star_argument<>{}); }
/// count(*) over the rows of T; selects FROM T by itself: select(sa::count<User>()).
template <class T>
    requires mapped_model<T>
auto count() {
    return detail::aggregate<detail::fn::count, std::int64_t>(detail::star_argument<T>{});
}
/// count(x): the rows where x is not NULL.
template <class E>
auto count(E&& e) {
    return detail::aggregate<detail::fn::count, std::int64_t>(std::forward<E>(e));
}
/// count(DISTINCT x): the distinct non-NULL values of x. Not a window function.
template <class E>
auto count_distinct(E&& e) {
    return detail::call<detail::fn::count, std::int64_t, detail::call_kind::distinct>(std::forward<E>(e));
}

/// sum(x): std::optional of std::int64_t for integers, double for floating point;
/// empty over no rows (or only NULLs).
template <class E>
auto sum(E&& e) {
    using X = detail::plain_value_t<E>;
    static_assert(detail::is_number_v<X>, "alchemy: sum() applies to numeric expressions only");
    using V = std::optional<std::conditional_t<std::is_floating_point_v<X>, double, std::int64_t>>;
    return detail::aggregate<detail::fn::sum, V>(std::forward<E>(e));
}
/// avg(x): std::optional<double>; empty over no rows.
template <class E>
auto avg(E&& e) {
    static_assert(detail::is_number_v<detail::plain_value_t<E>>,
                  "alchemy: avg() applies to numeric expressions only");
    return detail::aggregate<detail::fn::avg, std::optional<double>>(std::forward<E>(e));
}
/// min(x): std::optional of x's type; empty over no rows.
template <class E>
auto min(E&& e) {
    return detail::aggregate<detail::fn::min, std::optional<detail::plain_value_t<E>>>(std::forward<E>(e));
}
/// max(x): std::optional of x's type; empty over no rows.
template <class E>
auto max(E&& e) {
    return detail::aggregate<detail::fn::max, std::optional<detail::plain_value_t<E>>>(std::forward<E>(e));
}

// Scalar functions ---------------------------------------------------------------------

/// coalesce(a, b, ...): the first argument that is not NULL. Its type is the arguments'
/// common type, std::optional only when every argument may be NULL. Plain values bind
/// the way the first argument stores them (a column's enum or adapter).
template <class First, class... Rest>
auto coalesce(First&& first, Rest&&... rest) {
    static_assert(sizeof...(Rest) > 0, "alchemy: coalesce() needs at least two arguments");
    using Common = detail::common_value_t<detail::value_of_t<First>, detail::value_of_t<Rest>...>;
    static_assert(!std::is_void_v<Common>,
                  "alchemy: coalesce() arguments must have compatible types (numbers with "
                  "numbers, text with text)");
    constexpr bool nullable = detail::may_be_null_v<detail::value_of_t<First>> &&
                              (detail::may_be_null_v<detail::value_of_t<Rest>> && ...);
    using V = detail::maybe_optional_t<Common, nullable>;
    using Peer = detail::expression_of_t<First>;
    return function_call<detail::fn::coalesce, V, detail::call_kind::plain, Peer,
                         detail::operand_t<Peer, Rest>...>(
        detail::as_expression(std::forward<First>(first)),
        detail::as_operand<Peer>(std::forward<Rest>(rest))...);
}

/// lower(x) / upper(x): std::string, optional when x is. SQLite folds only ASCII letters;
/// PostgreSQL follows the database's locale.
template <class E>
auto lower(E&& e) {
    static_assert(detail::is_text_like_v<detail::plain_value_t<E>>,
                  "alchemy: lower() applies to text expressions only");
    return detail::call<detail::fn::lower, detail::text_result_t<E>>(std::forward<E>(e));
}
template <class E>
auto upper(E&& e) {
    static_assert(detail::is_text_like_v<detail::plain_value_t<E>>,
                  "alchemy: upper() applies to text expressions only");
    return detail::call<detail::fn::upper, detail::text_result_t<E>>(std::forward<E>(e));
}
/// length(x): characters (not bytes) of text x; std::int64_t, optional when x is.
template <class E>
auto length(E&& e) {
    static_assert(detail::is_text_like_v<detail::plain_value_t<E>>,
                  "alchemy: length() applies to text expressions only");
    using V = detail::maybe_optional_t<std::int64_t, detail::nullable_v<detail::value_of_t<E>>>;
    return detail::call<detail::fn::length, V>(std::forward<E>(e));
}

/// CURRENT_TIMESTAMP: the transaction's start time on PostgreSQL, the statement's on
/// SQLite (whole seconds there).
struct current_timestamp_expression : expression_ops<current_timestamp_expression> {
    using value_type = std::chrono::sys_time<std::chrono::microseconds>;
    using sources = detail::type_list<>;
    static constexpr bool fixed_shape = true;

    detail::ast::Node lower() const {
        return detail::ast::Node(detail::ast::Kind::keyword, "CURRENT_TIMESTAMP");
    }
    void bind(ParamBuffer&) const {}
};
inline current_timestamp_expression now() { return {}; }
inline current_timestamp_expression current_timestamp() { return {}; }

// Any server function ------------------------------------------------------------------

/// A function named at run time (sa::func<R>("name", ...)): its SQL text is built for
/// each execution, like other statements whose shape is not fixed.
template <class V, sql_expression... Args>
struct runtime_function_call : expression_ops<runtime_function_call<V, Args...>>,
                               windowable<runtime_function_call<V, Args...>> {
    using value_type = V;
    using sources = detail::concat_t<typename Args::sources...>;
    static constexpr bool fixed_shape = false;

    std::string name;
    std::tuple<Args...> args;

    explicit runtime_function_call(std::string n, Args... a) : name(std::move(n)), args(std::move(a)...) {
        if (!detail::is_function_name(name))
            throw ArgumentError("alchemy: sa::func name '" + name +
                                "' is not a function name (letters, digits, _ and . only)");
    }

    detail::ast::Node lower() const {
        detail::ast::Node n{detail::ast::Kind::function, name};
        n.children.reserve(sizeof...(Args));
        std::apply([&](const auto&... a) { (n.add(a.lower()), ...); }, args);
        return n;
    }
    void bind(ParamBuffer& out) const {
        std::apply([&](const auto&... a) { (a.bind(out), ...); }, args);
    }
};

/// Any function the server has, with result type R (std::optional<...> if it may be
/// NULL): sa::func<double>("abs", x). The name is spliced into the SQL, so it must be
/// a plain identifier (ArgumentError otherwise), and the statement's text is rendered
/// for each execution; prefer sa::func<R, "name">(args...) when the name is fixed.
/// Both have .over(...) for server window and aggregate functions.
template <class R, class... Args>
auto func(std::string name, Args&&... args) {
    return runtime_function_call<R, detail::expression_of_t<Args>...>(
        std::move(name), detail::as_expression(std::forward<Args>(args))...);
}
/// sa::func<R, "name">(args...): the name is part of the type, so the SQL is cached.
template <class R, detail::fixed_string Name, class... Args>
auto func(Args&&... args) {
    static_assert(detail::is_function_name(Name.view()),
                  "alchemy: sa::func<R, \"name\"> needs a function name of letters, digits, _ "
                  "and . only");
    return detail::aggregate<detail::fn::named<Name>, R>(std::forward<Args>(args)...);
}

}  // namespace alchemy
