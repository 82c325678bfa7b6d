// Window functions: f(...) OVER (PARTITION BY ... ORDER BY ...).
//
//   sa::row_number().over(sa::partition_by(sa::col<&Order::user_id>),
//                         sa::order_by(sa::col<&Order::id>.desc()))
//   sa::sum(sa::col<&Order::amount>).over(sa::order_by(sa::col<&Order::id>))
//
// Aggregates and sa::func calls have .over(); row_number(), rank() and dense_rank() have
// nothing else, because without OVER they are not valid SQL.
#pragma once

#include "alchemy/sql/expression_ops.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace alchemy {

/// PARTITION BY e, ...: made by sa::partition_by().
template <sql_expression... Es>
struct partition_spec {
    using sources = detail::concat_t<typename Es::sources...>;
    static constexpr bool fixed_shape = (Es::fixed_shape && ...);
    static constexpr std::size_t shape_variants = detail::combined_shape_variants<Es...>;

    std::tuple<Es...> expressions;

    std::size_t shape_variant() const noexcept {
        return std::apply([](const auto&... e) { return detail::combined_shape_variant(e...); }, expressions);
    }

    void lower(detail::ast::Node& window) const {
        window.partition_count = static_cast<int>(sizeof...(Es));
        std::apply([&](const auto&... e) { (window.add(e.lower()), ...); }, expressions);
    }
    void bind(ParamBuffer& out) const {
        std::apply([&](const auto&... e) { (e.bind(out), ...); }, expressions);
    }
};

/// ORDER BY item, ... inside OVER: made by sa::order_by(); items are order_item.
template <class... Items>
struct window_order_spec {
    using sources = detail::concat_t<typename Items::sources...>;
    static constexpr bool fixed_shape = (Items::fixed_shape && ...);
    static constexpr std::size_t shape_variants = detail::combined_shape_variants<Items...>;

    std::tuple<Items...> items;

    std::size_t shape_variant() const noexcept {
        return std::apply([](const auto&... i) { return detail::combined_shape_variant(i...); }, items);
    }

    void lower(detail::ast::Node& window) const {
        std::apply(
            [&](const auto&... item) {
                (
                    [&] {
                        auto lowered = item.lower();
                        window.add(std::move(lowered.expression));
                        window.order.push_back(lowered.ordering);
                    }(),
                    ...);
            },
            items);
    }
    void bind(ParamBuffer& out) const {
        std::apply([&](const auto&... item) { (item.bind(out), ...); }, items);
    }
};

/// The window partition: sa::partition_by(sa::col<&Order::user_id>, ...).
template <class... Es>
    requires(sizeof...(Es) > 0)
auto partition_by(Es&&... expressions) {
    return partition_spec<detail::expression_of_t<Es>...>{
        {detail::as_expression(std::forward<Es>(expressions))...}};
}

namespace detail {
template <class I>
auto window_order_item(const I& item) {
    if constexpr (sql_expression<I>) return order_item<I>{item};
    else return item;
}
}  // namespace detail

/// The window order: sa::order_by(e, e.desc(), sa::desc(e).nulls_last(), ...).
template <class... Items>
    requires(sizeof...(Items) > 0)
auto order_by(const Items&... items) {
    return window_order_spec<decltype(detail::window_order_item(items))...>{
        {detail::window_order_item(items)...}};
}

/// function OVER (window): the function's value for each row, computed over its window.
template <sql_expression F, class Partition, class Order>
struct window_expression : expression_ops<window_expression<F, Partition, Order>> {
    using value_type = typename F::value_type;
    using sources =
        detail::concat_t<typename F::sources, typename Partition::sources, typename Order::sources>;
    static constexpr bool fixed_shape = F::fixed_shape && Partition::fixed_shape && Order::fixed_shape;
    static constexpr std::size_t shape_variants = detail::combined_shape_variants<F, Partition, Order>;

    F function;
    Partition partition;
    Order order;

    std::size_t shape_variant() const noexcept {
        return detail::combined_shape_variant(function, partition, order);
    }

    window_expression(F f, Partition p, Order o)
        : function(std::move(f)), partition(std::move(p)), order(std::move(o)) {}

    detail::ast::Node lower() const {
        detail::ast::Node n{detail::ast::Kind::window};
        n.add(function.lower());
        partition.lower(n);
        order.lower(n);
        return n;
    }
    void bind(ParamBuffer& out) const {
        function.bind(out);
        partition.bind(out);
        order.bind(out);
    }
};

/// .over(...) for a function type Self. Self either is the call that goes inside OVER, or
/// names it as `window_call` (ranking functions, which are not expressions on their own).
template <class Self>
struct windowable {
    /// OVER (): the whole result is one window.
    auto over() const { return make(partition_spec<>{}, window_order_spec<>{}); }
    template <class... Es>
    auto over(partition_spec<Es...> partition) const {
        return make(std::move(partition), window_order_spec<>{});
    }
    template <class... Items>
    auto over(window_order_spec<Items...> order) const {
        return make(partition_spec<>{}, std::move(order));
    }
    template <class... Es, class... Items>
    auto over(partition_spec<Es...> partition, window_order_spec<Items...> order) const {
        return make(std::move(partition), std::move(order));
    }

private:
    template <class Partition, class Order>
    auto make(Partition partition, Order order) const {
        if constexpr (requires { typename Self::window_call; }) {
            using F = typename Self::window_call;
            return window_expression<F, Partition, Order>(F{}, std::move(partition), std::move(order));
        } else {
            return window_expression<Self, Partition, Order>(static_cast<const Self&>(*this),
                                                             std::move(partition), std::move(order));
        }
    }
};

namespace detail {

/// name(): a function of no arguments, valid only inside a window.
template <class Name>
struct ranking_call {
    using value_type = std::int64_t;
    using sources = type_list<>;
    static constexpr bool fixed_shape = true;

    ast::Node lower() const { return ast::Node(ast::Kind::function, Name::sql); }
    void bind(ParamBuffer&) const {}
};

namespace fn {
// clang-format off
struct row_number { static constexpr std::string_view sql = "row_number"; };
struct rank { static constexpr std::string_view sql = "rank"; };
struct dense_rank { static constexpr std::string_view sql = "dense_rank"; };
// clang-format on
}  // namespace fn

}  // namespace detail

/// row_number(), rank(), dense_rank() before their .over(...); std::int64_t.
template <class Name>
struct ranking_function : windowable<ranking_function<Name>> {
    using window_call = detail::ranking_call<Name>;
};

/// Row number in its window, from 1.
inline ranking_function<detail::fn::row_number> row_number() { return {}; }
/// Rank in its window's order, with gaps after ties (1, 1, 3).
inline ranking_function<detail::fn::rank> rank() { return {}; }
/// Rank in its window's order, without gaps after ties (1, 1, 2).
inline ranking_function<detail::fn::dense_rank> dense_rank() { return {}; }

}  // namespace alchemy
