// Set operations on SELECTs: sa::union_, sa::union_all, sa::intersect, sa::except_.
//
//   sa::union_(sa::select(sa::col<&User::name>), sa::select(sa::col<&Admin::name>))
//       .order_by(sa::col<&User::name>)
//       .limit(10)
//
// The members are plain SELECTs with the same row type and no ORDER BY/LIMIT/OFFSET of
// their own (SQLite has no parentheses around members to scope them); order_by, limit
// and offset apply to the whole result. ORDER BY names output columns, the one form
// both PostgreSQL and SQLite accept after a UNION. Rows read like the first member's.
#pragma once

#include "alchemy/sql/select.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace alchemy {

namespace detail {

template <class S>
inline constexpr bool is_select_v = false;
template <class From, class Columns, class... Clauses>
inline constexpr bool is_select_v<Select<From, Columns, Clauses...>> = true;

/// ORDER BY of a compound: each item by its output column name.
template <class... Items>
struct compound_order_clause {
    static constexpr clause_position position = clause_position::order_by;
    static constexpr bool fixed_shape = (Items::fixed_shape && ...);
    std::tuple<Items...> items;

    void lower(ast::Select& s) const {
        std::apply([&](const auto&... i) { (s.order_by.push_back(by_name(i)), ...); }, items);
    }
    void bind(ParamBuffer&) const {}

private:
    template <class I>
    static ast::OrderItem by_name(const I& item) {
        auto lowered = item.lower();
        lowered.expression = ast::Node(ast::Kind::column, natural_name(item.expression));
        return lowered;
    }
};

/// Whether ORDER BY expression I names selected expression E: the same expression (a
/// label only by the same label), or, for select<T>(), the same column of T's table.
template <class I, class E>
consteval bool names_selected() {
    if constexpr (std::is_same_v<I, E>) return true;
    else if constexpr (requires {
                           typename I::model_type;
                           I::index;
                           typename E::model_type;
                           E::index;
                       })
        return std::is_same_v<typename I::model_type, typename E::model_type> && I::index == E::index &&
               std::is_same_v<typename I::sources, typename E::sources>;
    else return false;
}

/// Whether ORDER BY expression I is one of query S's output columns.
template <class S, class I>
consteval bool is_output_column() {
    return []<std::size_t... C>(std::index_sequence<C...>) {
        return (names_selected<I, typename S::template column_expr_t<C>>() || ...);
    }(std::make_index_sequence<S::column_count>{});
}

}  // namespace detail

/// Members combined by set operator Op; see the file comment.
template <class Op, class... Members, class... Clauses>
class CompoundSelect<Op, std::tuple<Members...>, Clauses...>
    : public detail::query_ops<CompoundSelect<Op, std::tuple<Members...>, Clauses...>> {
    using first = std::tuple_element_t<0, std::tuple<Members...>>;
    static_assert((detail::is_select_v<Members> && ...),
                  "alchemy: union_/intersect/except_ combine plain SELECTs; to combine a "
                  "union with more rows, select from it as .subquery<\"name\">()");
    static_assert((std::is_same_v<typename Members::row_type, typename first::row_type> && ...),
                  "alchemy: union_/intersect/except_ need SELECTs with the same column types; "
                  "select matching columns or sa::cast<T>() them");
    static_assert((!Members::orders_or_limits && ...),
                  "alchemy: a SELECT inside union_/intersect/except_ cannot have its own "
                  "order_by/limit/offset; apply them to the union");

public:
    using row_type = typename first::row_type;
    using reader_type = typename first::reader_type;
    static constexpr std::size_t column_count = first::column_count;
    template <std::size_t I>
    using column_t = typename first::template column_t<I>;
    template <std::size_t I>
    using column_expr_t = typename first::template column_expr_t<I>;
    using outer_sources = detail::concat_t<typename Members::outer_sources...>;
    static constexpr bool fixed_shape = (Members::fixed_shape && ...) && (Clauses::fixed_shape && ...);
    /// With more than one, the SQL is fixed by the type and shape_variant(): the members'
    /// variants (a member embedding a limited query) and the clauses' (shape_variant.hpp).
    static constexpr std::size_t shape_variants = detail::combined_shape_variants<Members..., Clauses...>;
    std::size_t shape_variant() const noexcept {
        return std::apply(
            [&](const auto&... m) {
                return std::apply(
                    [&](const auto&... c) { return detail::combined_shape_variant(m..., c...); }, clauses_);
            },
            members_);
    }

    explicit CompoundSelect(std::tuple<Members...> members, std::tuple<Clauses...> clauses = {})
        : members_(std::move(members)), clauses_(std::move(clauses)) {}

    /// ORDER BY columns of the result: those the first SELECT selects, or the labelled
    /// expressions it selects; ascending, or .asc() / .desc() of them.
    template <class... Items>
    auto order_by(Items... items) const {
        using clause = detail::compound_order_clause<decltype(as_order_item(items))...>;
        return with(clause{{as_order_item(items)...}});
    }
    /// LIMIT n; a later limit() replaces it.
    auto limit(std::int64_t n) const {
        return with_clauses(detail::set_count<detail::clause_position::limit>(clauses_, n));
    }
    /// OFFSET n; a later offset() replaces it.
    auto offset(std::int64_t n) const {
        return with_clauses(detail::set_count<detail::clause_position::offset>(clauses_, n));
    }

    /// Column names as a subquery: the first SELECT's.
    std::array<std::string_view, column_count> output_names() const {
        return std::get<0>(members_).output_names();
    }

    // The members' WITH queries all go to the front: SQLite takes no WITH inside a member.
    void lower_statement(detail::ast::Select& s, detail::cte_scope& scope, bool name_columns) const {
        std::apply([&](const auto&... m) { (m.lower_ctes(s, scope), ...); }, members_);
        std::apply(
            [&](const auto& head, const auto&... rest) {
                head.lower_core(s, name_columns);
                (s.compound.emplace_back(Op::sql, lower_member(rest)), ...);
            },
            members_);
        std::apply([&](const auto&... c) { (c.lower(s), ...); }, clauses_);
    }
    void bind_statement(ParamBuffer& out, detail::cte_scope& scope) const {
        std::apply([&](const auto&... m) { (m.bind_ctes(out, scope), ...); }, members_);
        std::apply([&](const auto&... m) { (m.bind_core(out), ...); }, members_);
        detail::bind_by_position(clauses_, out);
    }

private:
    template <class, class, class...>
    friend class CompoundSelect;

    template <class C>
    auto with(C clause) const {
        return with_clauses(detail::append(clauses_, std::move(clause)));
    }
    template <class... Cs>
    auto with_clauses(std::tuple<Cs...> clauses) const {
        return CompoundSelect<Op, std::tuple<Members...>, Cs...>(members_, std::move(clauses));
    }

    // The SQL standard names a union's columns by its first SELECT, and ORDER BY refers to
    // them by name: any other column would sort by whichever output column shares its name.
    template <class I>
    static auto as_order_item(const I& item) {
        if constexpr (sql_expression<I>) {
            return as_order_item(order_item<I>{item});
        } else {
            using E = decltype(item.expression);
            static_assert(detail::has_natural_name_v<E>,
                          "alchemy: order_by() of a union/intersect/except takes its columns "
                          "(or labelled expressions), since it sorts by output column name");
            static_assert(detail::is_output_column<first, E>(),
                          "alchemy: order_by() of a union/intersect/except names a column its first "
                          "SELECT does not select; order by one of that SELECT's columns, or by the "
                          "labelled expression it selects");
            return item;
        }
    }

    template <class M>
    static std::shared_ptr<const detail::ast::Select> lower_member(const M& member) {
        auto select = std::make_shared<detail::ast::Select>();
        member.lower_core(*select, false);
        return select;
    }

    std::tuple<Members...> members_;
    std::tuple<Clauses...> clauses_;
};

/// SELECT ... UNION SELECT ...: the rows of every query, without duplicates.
template <class A, class B, class... Rest>
auto union_(A a, B b, Rest... rest) {
    return CompoundSelect<detail::set_op::union_, std::tuple<A, B, Rest...>>(
        {std::move(a), std::move(b), std::move(rest)...});
}
/// SELECT ... UNION ALL SELECT ...: the rows of every query, duplicates kept.
template <class A, class B, class... Rest>
auto union_all(A a, B b, Rest... rest) {
    return CompoundSelect<detail::set_op::union_all, std::tuple<A, B, Rest...>>(
        {std::move(a), std::move(b), std::move(rest)...});
}
/// SELECT ... INTERSECT SELECT ...: the rows every query finds.
template <class A, class B, class... Rest>
auto intersect(A a, B b, Rest... rest) {
    return CompoundSelect<detail::set_op::intersect, std::tuple<A, B, Rest...>>(
        {std::move(a), std::move(b), std::move(rest)...});
}
/// SELECT ... EXCEPT SELECT ...: the rows of the first query the others do not find.
template <class A, class B, class... Rest>
auto except_(A a, B b, Rest... rest) {
    return CompoundSelect<detail::set_op::except_, std::tuple<A, B, Rest...>>(
        {std::move(a), std::move(b), std::move(rest)...});
}

}  // namespace alchemy
