// The methods every expression has: .like .ilike .not_like .contains .startswith
// .endswith .in_ .not_in .between .is_null .is_not_null .asc .desc .label. Expression
// types inherit them from expression_ops<Self>.
#pragma once

#include "alchemy/sql/detail/like_pattern.hpp"
#include "alchemy/sql/expression.hpp"

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace alchemy {

/// x LIKE pattern ESCAPE escape (text: LIKE, NOT LIKE, ILIKE, NOT ILIKE). The escape
/// character is always given, and bound: without it PostgreSQL escapes with \ and SQLite
/// with nothing, so one pattern would match differently on the two backends.
template <sql_expression E, sql_expression P, class Text>
struct like_expression {
    using value_type = detail::comparison_t<E, P>;
    using sources = detail::concat_t<typename E::sources, typename P::sources>;
    static constexpr bool fixed_shape = E::fixed_shape && P::fixed_shape;
    static constexpr std::size_t shape_variants = detail::combined_shape_variants<E, P>;

    E operand;
    P pattern;
    char escape = '\\';

    std::size_t shape_variant() const noexcept { return detail::combined_shape_variant(operand, pattern); }

    detail::ast::Node lower() const {
        detail::ast::Node n{detail::ast::Kind::like, Text::sql};
        n.add(operand.lower());
        n.add(pattern.lower());
        n.add(detail::ast::Node(detail::ast::Kind::parameter));
        return n;
    }
    void bind(ParamBuffer& out) const {
        operand.bind(out);
        const auto first = out.size();
        pattern.bind(out);
        detail::check_like_pattern(out.params().subspan(first), escape);
        out.add_owned(Value(Param::of_text(std::string_view(&escape, 1))));
    }
};

/// x IN (v1, v2, ...) over values known at run time: the SQL has one placeholder per
/// value, so its text is rendered for each execution instead of cached.
template <sql_expression E, sql_expression V>
struct in_list_expression {
    using value_type = detail::maybe_optional_t<bool, detail::nullable_v<typename E::value_type>>;
    using sources = typename E::sources;
    static constexpr bool fixed_shape = false;

    E operand;
    std::vector<V> values;
    bool negated = false;

    detail::ast::Node lower() const {
        if (values.empty()) {
            // x IN () is not SQL: an empty list matches nothing (NOT IN: everything).
            return detail::ast::Node(detail::ast::Kind::keyword, negated ? "(1 = 1)" : "(1 = 0)");
        }
        detail::ast::Node list{detail::ast::Kind::list};
        for (const auto& v : values) list.add(v.lower());
        detail::ast::Node n{detail::ast::Kind::binary, negated ? "NOT IN" : "IN"};
        n.add(operand.lower());
        n.add(std::move(list));
        return n;
    }
    void bind(ParamBuffer& out) const {
        if (values.empty()) return;
        operand.bind(out);
        for (const auto& v : values) v.bind(out);
    }
};

/// x BETWEEN low AND high.
template <sql_expression E, sql_expression Low, sql_expression High>
struct between_expression {
    using value_type = detail::comparison_t<E, Low>;
    using sources = detail::concat_t<typename E::sources, typename Low::sources, typename High::sources>;
    static constexpr bool fixed_shape = E::fixed_shape && Low::fixed_shape && High::fixed_shape;
    static constexpr std::size_t shape_variants = detail::combined_shape_variants<E, Low, High>;

    E operand;
    Low low;
    High high;
    bool negated = false;

    std::size_t shape_variant() const noexcept { return detail::combined_shape_variant(operand, low, high); }

    detail::ast::Node lower() const {
        detail::ast::Node n{detail::ast::Kind::between, negated ? "NOT BETWEEN" : "BETWEEN"};
        n.add(operand.lower());
        n.add(low.lower());
        n.add(high.lower());
        return n;
    }
    void bind(ParamBuffer& out) const {
        operand.bind(out);
        low.bind(out);
        high.bind(out);
    }
};

/// An expression with a name in the SELECT list: expr AS name. The name is known only
/// at run time, so a statement with labels renders its SQL per execution. It is kept by
/// value: a name made for the call (fmt::format) would otherwise dangle.
template <sql_expression E>
struct labeled {
    using value_type = typename E::value_type;
    using sources = typename E::sources;
    static constexpr bool fixed_shape = false;

    E expression;
    std::string name;

    detail::ast::Node lower() const { return expression.lower(); }
    void bind(ParamBuffer& out) const { expression.bind(out); }
};

/// One ORDER BY item: expr [ASC|DESC] [NULLS FIRST|LAST]. Direction and NULL placement
/// are part of the type, because they are part of the cached SQL text.
template <sql_expression E, bool Descending = false,
          detail::ast::Ordering::Nulls Nulls = detail::ast::Ordering::Nulls::unspecified>
struct order_item {
    using sources = typename E::sources;
    static constexpr bool fixed_shape = E::fixed_shape;
    static constexpr std::size_t shape_variants = detail::shape_variants_of<E>;

    E expression;

    std::size_t shape_variant() const noexcept { return detail::shape_variant_of(expression); }
    order_item<E, Descending, detail::ast::Ordering::Nulls::first> nulls_first() const {
        return {expression};
    }
    order_item<E, Descending, detail::ast::Ordering::Nulls::last> nulls_last() const { return {expression}; }
    detail::ast::OrderItem lower() const { return {expression.lower(), {Descending, Nulls}}; }
    void bind(ParamBuffer& out) const { expression.bind(out); }
};

namespace detail {
/// An ORDER BY item: an order_item as it is, an expression ascending.
template <class I>
auto as_order_item(const I& item) {
    if constexpr (sql_expression<I>) return order_item<I>{item};
    else return item;
}

/// A query that can stand inside an expression: a SELECT, or a union of SELECTs
/// (sql/subquery.hpp says what else it provides).
template <class S>
concept query_statement = requires {
    typename S::row_type;
    typename S::outer_sources;
    S::column_count;
};
}  // namespace detail

/// x IN (SELECT ...); defined in sql/subquery.hpp.
template <class E, class S, bool Negated>
struct in_subquery_expression;

namespace detail {
struct like_text {
    static constexpr std::string_view sql = "LIKE";
};
struct not_like_text {
    static constexpr std::string_view sql = "NOT LIKE";
};
struct ilike_text {
    static constexpr std::string_view sql = "ILIKE";
};
struct not_ilike_text {
    static constexpr std::string_view sql = "NOT ILIKE";
};

template <class E>
inline constexpr bool text_valued_v = is_text_like_v<without_optional_t<typename E::value_type>>;
}  // namespace detail

/// The tag of contains/startswith/endswith that escapes `%`, `_` and `\` in the value,
/// so user input matches literally (SQLAlchemy's autoescape=True).
struct autoescape_t {
    explicit autoescape_t() = default;
};
inline constexpr autoescape_t autoescape{};

template <class Self>
struct expression_ops {
    /// SQL LIKE; `%` and `_` in the pattern are wildcards, and `escape` (default `\`)
    /// makes the character after it literal, on both backends (ESCAPE is always sent).
    /// The pattern is bound; a pattern value holding a NUL byte, or ending in an unpaired
    /// escape character, is a DataError before anything is sent.
    template <class P>
    auto like(P&& pattern, char escape = '\\') const {
        return make_like<detail::like_text>(std::forward<P>(pattern), escape);
    }
    template <class P>
    auto not_like(P&& pattern, char escape = '\\') const {
        return make_like<detail::not_like_text>(std::forward<P>(pattern), escape);
    }
    /// Case-insensitive LIKE (PostgreSQL ILIKE; on SQLite, LIKE, which ignores ASCII case).
    template <class P>
    auto ilike(P&& pattern, char escape = '\\') const {
        return make_like<detail::ilike_text>(std::forward<P>(pattern), escape);
    }
    template <class P>
    auto not_ilike(P&& pattern, char escape = '\\') const {
        return make_like<detail::not_ilike_text>(std::forward<P>(pattern), escape);
    }
    /// LIKE '%' || text || '%' (also startswith: text || '%', endswith: '%' || text), the
    /// pattern built from the value here. `%` and `_` in `text` stay wildcards, as in
    /// SQLAlchemy; with sa::autoescape they, and `\`, match themselves.
    auto contains(std::string_view text) const { return make_affix(text, true, true, false); }
    auto contains(std::string_view text, autoescape_t) const { return make_affix(text, true, true, true); }
    auto startswith(std::string_view text) const { return make_affix(text, false, true, false); }
    auto startswith(std::string_view text, autoescape_t) const { return make_affix(text, false, true, true); }
    auto endswith(std::string_view text) const { return make_affix(text, true, false, false); }
    auto endswith(std::string_view text, autoescape_t) const { return make_affix(text, true, false, true); }

    /// x IN (values...) for values known at run time.
    template <class T>
    auto in_(const std::vector<T>& values) const {
        return make_in(values, false);
    }
    template <class T>
    auto not_in(const std::vector<T>& values) const {
        return make_in(values, true);
    }
    template <class... Ts>
        requires(sizeof...(Ts) > 0 && (!sql_expression<Ts> && ...) && (!detail::query_statement<Ts> && ...))
    auto in_(const Ts&... values) const {
        return make_in(std::vector<std::common_type_t<std::decay_t<const Ts>...>>{values...}, false);
    }
    template <class... Ts>
        requires(sizeof...(Ts) > 0 && (!sql_expression<Ts> && ...) && (!detail::query_statement<Ts> && ...))
    auto not_in(const Ts&... values) const {
        return make_in(std::vector<std::common_type_t<std::decay_t<const Ts>...>>{values...}, true);
    }
    /// x IN (SELECT y ...): a query of one column of x's type. It may read tables of the
    /// statement around it (a correlated subquery).
    template <detail::query_statement S>
    auto in_(const S& query) const {
        return make_in_query<false>(query);
    }
    template <detail::query_statement S>
    auto not_in(const S& query) const {
        return make_in_query<true>(query);
    }

    template <class Low, class High>
    auto between(Low&& low, High&& high) const {
        static_assert(detail::compatible_values<typename Self::value_type, detail::value_of_t<Low>>() &&
                          detail::compatible_values<typename Self::value_type, detail::value_of_t<High>>(),
                      "alchemy: between() bounds must have the column's type");
        using L = detail::operand_t<Self, Low>;
        using H = detail::operand_t<Self, High>;
        return between_expression<Self, L, H>{self(), detail::as_operand<Self>(std::forward<Low>(low)),
                                              detail::as_operand<Self>(std::forward<High>(high))};
    }

    /// NULL-safe comparisons: NULL is not distinct from NULL (SQLite: IS / IS NOT).
    template <class V>
    auto is_not_distinct_from(V&& value) const {
        return null_safe_comparison<op::is_not_distinct_from>(std::forward<V>(value));
    }
    template <class V>
    auto is_distinct_from(V&& value) const {
        return null_safe_comparison<op::is_distinct_from>(std::forward<V>(value));
    }

    auto is_null() const { return unary_expression<op::is_null, Self, bool, true>{self()}; }
    auto is_not_null() const { return unary_expression<op::is_not_null, Self, bool, true>{self()}; }

    // auto: Self is still incomplete where these are declared (CRTP).
    auto asc() const { return order_item<Self, false>{self()}; }
    auto desc() const { return order_item<Self, true>{self()}; }
    /// Names the expression in a SELECT list.
    auto label(std::string name) const { return labeled<Self>{self(), std::move(name)}; }

private:
    const Self& self() const { return static_cast<const Self&>(*this); }

    template <class Op, class V>
    auto null_safe_comparison(V&& value) const {
        static_assert(detail::compatible_values<typename Self::value_type, detail::value_of_t<V>>(),
                      "alchemy: comparing values of incompatible types; compare with a value of "
                      "the expression's own type");
        return detail::make_binary<Op, const Self&, V, bool>(self(), std::forward<V>(value));
    }

    template <class Text, class P>
    auto make_like(P&& pattern, char escape) const {
        static_assert(detail::text_valued_v<Self>, "alchemy: like()/ilike() apply to text expressions only");
        detail::check_like_escape(escape);
        using PE = detail::operand_t<Self, P>;
        return like_expression<Self, PE, Text>{self(), detail::as_operand<Self>(std::forward<P>(pattern)),
                                               escape};
    }

    auto make_affix(std::string_view text, bool any_before, bool any_after, bool escaped) const {
        static_assert(detail::text_valued_v<Self>,
                      "alchemy: contains()/startswith()/endswith() apply to text expressions only");
        std::string pattern = any_before ? "%" : "";
        pattern += escaped ? detail::escape_like(text, '\\') : std::string(text);
        if (any_after) pattern += '%';
        return make_like<detail::like_text>(std::move(pattern), '\\');
    }

    template <bool Negated, class S>
    auto make_in_query(const S& query) const {
        static_assert(S::column_count == 1, "alchemy: in_(query) needs a query of exactly one column");
        static_assert(
            detail::compatible_values<typename Self::value_type, typename S::template column_t<0>>(),
            "alchemy: in_(query) selects values of another type than the expression's");
        return in_subquery_expression<Self, S, Negated>{{}, self(), std::make_shared<const S>(query)};
    }

    template <class T>
    auto make_in(const std::vector<T>& values, bool negated) const {
        static_assert(detail::compatible_values<typename Self::value_type, T>(),
                      "alchemy: in_() values must have the column's type");
        using V = detail::operand_t<Self, const T&>;
        in_list_expression<Self, V> e{self(), {}, negated};
        e.values.reserve(values.size());
        for (const auto& v : values) e.values.push_back(detail::as_operand<Self>(v));
        return e;
    }
};

/// Free spellings for any expression: sa::asc(e), sa::desc(e).
template <sql_expression E>
order_item<E, false> asc(const E& e) {
    return {e};
}
template <sql_expression E>
order_item<E, true> desc(const E& e) {
    return {e};
}

}  // namespace alchemy
