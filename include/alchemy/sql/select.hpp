// sa::select(...): SELECT statements as typed values.
//
//   sa::select(sa::col<&User::name>, sa::count(sa::col<&Post::id>))
//       .join<Post>(sa::col<&Post::user_id> == sa::col<&User::id>)
//       .where(sa::col<&User::name>.like("j%"))
//       .group_by(sa::col<&User::name>)
//       .order_by(sa::col<&User::name>.asc())
//       .limit(10)
//
// Rows are std::tuple<column types...> (one column: the bare type), or T for
// sa::select<T>(). FROM is the model of the first selected column (or select_from<T>());
// every other table must come in through join/left_join, which the compiler checks.
// Columns of a left-joined model read as std::optional. Each call returns a new
// statement type; the SQL of a type is rendered once per dialect and cached.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/param_buffer.hpp"
#include "alchemy/schema/model_row.hpp"
#include "alchemy/sql/column.hpp"
#include "alchemy/sql/detail/sql_cache.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace alchemy {

namespace detail {

/// Where a clause's text stands in a SELECT, which is also the order its values bind in.
enum class clause_position { join = 1, where, group_by, having, order_by, limit, offset };

template <class U, bool Left, sql_expression On>
struct join_clause {
    static constexpr clause_position position = clause_position::join;
    static constexpr bool fixed_shape = On::fixed_shape;
    using joined = U;
    static constexpr bool left = Left;
    using sources = typename On::sources;
    On on;
    void lower(ast::Select& s) const {
        s.joins.push_back({Left, {model_info<U>::table_name, {}, nullptr}, on.lower()});
    }
    void bind(ParamBuffer& out) const { on.bind(out); }
};

template <sql_expression E>
struct where_clause {
    static constexpr clause_position position = clause_position::where;
    static constexpr bool fixed_shape = E::fixed_shape;
    using sources = typename E::sources;
    E condition;
    void lower(ast::Select& s) const { s.where.push_back(condition.lower()); }
    void bind(ParamBuffer& out) const { condition.bind(out); }
};

template <sql_expression... Es>
struct group_by_clause {
    static constexpr clause_position position = clause_position::group_by;
    static constexpr bool fixed_shape = (Es::fixed_shape && ...);
    using sources = concat_t<typename Es::sources...>;
    std::tuple<Es...> expressions;
    void lower(ast::Select& s) const {
        std::apply([&](const auto&... e) { (s.group_by.push_back(e.lower()), ...); }, expressions);
    }
    void bind(ParamBuffer& out) const {
        std::apply([&](const auto&... e) { (e.bind(out), ...); }, expressions);
    }
};

template <sql_expression E>
struct having_clause {
    static constexpr clause_position position = clause_position::having;
    static constexpr bool fixed_shape = E::fixed_shape;
    using sources = typename E::sources;
    E condition;
    void lower(ast::Select& s) const { s.having.push_back(condition.lower()); }
    void bind(ParamBuffer& out) const { condition.bind(out); }
};

template <class... Items>
struct order_by_clause {
    static constexpr clause_position position = clause_position::order_by;
    static constexpr bool fixed_shape = (Items::fixed_shape && ...);
    using sources = concat_t<typename Items::sources...>;
    std::tuple<Items...> items;
    void lower(ast::Select& s) const {
        std::apply([&](const auto&... i) { (s.order_by.push_back(i.lower()), ...); }, items);
    }
    void bind(ParamBuffer& out) const {
        std::apply([&](const auto&... i) { (i.bind(out), ...); }, items);
    }
};

template <clause_position Position>
struct count_clause {  // LIMIT n / OFFSET n
    static constexpr clause_position position = Position;
    static constexpr bool fixed_shape = true;
    using sources = type_list<>;
    std::int64_t count;
    void lower(ast::Select& s) const {
        if constexpr (Position == clause_position::limit) s.limit = true;
        else s.offset = true;
    }
    void bind(ParamBuffer& out) const { out.add(Param::of_int(count)); }
};

struct distinct_clause {  // SELECT DISTINCT: no values
    static constexpr clause_position position = clause_position::join;
    static constexpr bool fixed_shape = true;
    using sources = type_list<>;
    void lower(ast::Select& s) const { s.distinct = true; }
    void bind(ParamBuffer&) const {}
};

template <class C>
inline constexpr bool is_join_v = requires { typename C::joined; };

template <class E>
inline constexpr bool is_labeled_v = false;
template <class E>
inline constexpr bool is_labeled_v<labeled<E>> = true;

/// Models reachable in a statement: FROM plus every joined model (reachable_t below).
template <class C>
consteval bool is_left_join() {
    if constexpr (is_join_v<C>) return C::left;
    else return false;
}
template <class C, bool = is_join_v<C>>
struct joined_model {
    using type = type_list<>;
};
template <class C>
struct joined_model<C, true> {
    using type = type_list<typename C::joined>;
};
template <class From, class... Clauses>
using reachable_t = concat_t<type_list<From>, typename joined_model<Clauses>::type...>;
template <class... Clauses>
using left_joined_t =
    concat_t<std::conditional_t<is_left_join<Clauses>(), typename joined_model<Clauses>::type, type_list<>>...>;

template <class List>
struct first_source;
template <class M, class... Ms>
struct first_source<type_list<M, Ms...>> {
    using type = M;
};
template <>
struct first_source<type_list<>> {
    using type = void;
};

/// Is E a column (possibly labelled), and of which model?
template <class E>
struct column_info {
    static constexpr bool is_column = false;
};
template <auto M>
struct column_info<column_ref<M>> {
    static constexpr bool is_column = true;
    using column = column_ref<M>;
};
template <auto M>
struct column_info<labeled<column_ref<M>>> : column_info<column_ref<M>> {};

/// The C++ type one selected expression reads as, given the left-joined models.
template <class E, class LeftJoined>
consteval auto selected_type() {
    if constexpr (column_info<E>::is_column) {
        using C = typename column_info<E>::column;
        using V = typename C::value_type;
        if constexpr (contains_v<typename C::model_type, LeftJoined>)
            return std::type_identity<maybe_optional_t<V, true>>{};
        else
            return std::type_identity<V>{};
    } else {
        return std::type_identity<typename E::value_type>{};
    }
}
template <class E, class LeftJoined>
using selected_t = typename decltype(selected_type<E, LeftJoined>())::type;

/// Reads one selected expression at column `i`: columns through their codec (enums,
/// adapters), anything else through value_traits.
template <class E, class V>
void read_selected(const Cursor& c, int i, V& out) {
    if constexpr (column_info<E>::is_column) {
        using C = typename column_info<E>::column;
        if constexpr (nullable_v<V> && !nullable_v<typename C::field_type>) {
            if (c.is_null(i)) {
                out.reset();
                return;
            }
            typename C::field_type value{};
            C::codec::read(c, i, value);
            out = std::move(value);
        } else {
            C::codec::read(c, i, out);
        }
    } else {
        out = value_traits<V>::read(c, i);
    }
}

template <class Row, class... Es>
struct selected_reader {
    static constexpr int columns = sizeof...(Es);
    static Row read(const Cursor& c) {
        Row row{};
        if constexpr (sizeof...(Es) == 1) {
            read_selected<Es...>(c, 0, row);
        } else {
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                (read_selected<Es>(c, static_cast<int>(I), std::get<I>(row)), ...);
            }(std::index_sequence_for<Es...>{});
        }
        return row;
    }
};

/// select<T>(): every column of model T.
template <class T>
struct all_columns_of {
    using sources = type_list<T>;
    static constexpr bool fixed_shape = true;
    void lower(ast::Select& s) const {
        for (const auto& column : model_info<T>::columns)
            s.columns.emplace_back(ast::Kind::column, column.name, model_info<T>::table_name);
    }
    void bind(ParamBuffer&) const {}
};

template <class T>
struct model_reader {
    static constexpr int columns = static_cast<int>(model_info<T>::column_count);
    static T read(const Cursor& c) { return row_traits<T>::read(c); }
};

/// The SELECT list: selected expressions, or all columns of one model.
template <class... Es>
struct expression_columns {
    using sources = concat_t<typename Es::sources...>;
    static constexpr bool fixed_shape = (Es::fixed_shape && ...);
    std::tuple<Es...> expressions;
    void lower(ast::Select& s) const {
        std::apply([&](const auto&... e) { (add(s, e), ...); }, expressions);
    }
    template <class E>
    static void add(ast::Select& s, const E& e) {
        s.columns.push_back(e.lower());
        if constexpr (is_labeled_v<E>) {
            s.labels.resize(s.columns.size());
            s.labels.back() = e.name;
        }
    }
    void bind(ParamBuffer& out) const {
        std::apply([&](const auto&... e) { (e.bind(out), ...); }, expressions);
    }
};

template <class Columns, class LeftJoined>
struct row_for;
template <class... Es, class LeftJoined>
struct row_for<expression_columns<Es...>, LeftJoined> {
    using row = row_of_t<selected_t<Es, LeftJoined>...>;
    using reader = selected_reader<row, Es...>;
};
template <class T, class LeftJoined>
struct row_for<all_columns_of<T>, LeftJoined> {
    using row = T;
    using reader = model_reader<T>;
};

}  // namespace detail

/// A SELECT statement; see the file comment.
template <class From, class Columns, class... Clauses>
class Select {
public:
    using from_type = From;
    using row_type = typename detail::row_for<Columns, detail::left_joined_t<Clauses...>>::row;
    using reader_type = typename detail::row_for<Columns, detail::left_joined_t<Clauses...>>::reader;
    static constexpr bool fixed_shape = Columns::fixed_shape && (Clauses::fixed_shape && ...);

    Select(Columns columns, std::tuple<Clauses...> clauses)
        : columns_(std::move(columns)), clauses_(std::move(clauses)) {}

    template <sql_expression E>
    auto where(E condition) const {
        return with(detail::where_clause<E>{std::move(condition)});
    }
    template <class U, sql_expression On>
    auto join(On on) const {
        static_assert(mapped_model<U>, "alchemy: join<U>() needs a mapped model U");
        return with(detail::join_clause<U, false, On>{std::move(on)});
    }
    template <class U, sql_expression On>
    auto left_join(On on) const {
        static_assert(mapped_model<U>, "alchemy: left_join<U>() needs a mapped model U");
        return with(detail::join_clause<U, true, On>{std::move(on)});
    }
    template <sql_expression... Es>
    auto group_by(Es... expressions) const {
        return with(detail::group_by_clause<Es...>{{std::move(expressions)...}});
    }
    template <sql_expression E>
    auto having(E condition) const {
        static_assert((... || (Clauses::position == detail::clause_position::group_by)),
                      "alchemy: having() without group_by(); group the rows first, or filter "
                      "them with where()");
        return with(detail::having_clause<E>{std::move(condition)});
    }
    /// ORDER BY items: expressions (ascending) or e.asc() / e.desc() / sa::desc(e).
    template <class... Items>
    auto order_by(Items... items) const {
        return with(detail::order_by_clause<decltype(as_order_item(items))...>{{as_order_item(items)...}});
    }
    auto limit(std::int64_t n) const {
        return with(detail::count_clause<detail::clause_position::limit>{n});
    }
    auto offset(std::int64_t n) const {
        return with(detail::count_clause<detail::clause_position::offset>{n});
    }
    auto distinct() const { return with(detail::distinct_clause{}); }

    /// The statement tree (for the renderer and for use inside other statements).
    detail::ast::Select lower() const {
        check_sources();
        detail::ast::Select s;
        columns_.lower(s);
        if constexpr (!std::is_void_v<From>)
            s.from.push_back({model_info<From>::table_name, {}, nullptr});
        std::apply([&](const auto&... c) { (c.lower(s), ...); }, clauses_);
        return s;
    }
    /// Binds every value in text order: SELECT list, then the clauses by position.
    void bind(ParamBuffer& out) const {
        columns_.bind(out);
        bind_clauses<detail::clause_position::join>(out);
        bind_clauses<detail::clause_position::where>(out);
        bind_clauses<detail::clause_position::group_by>(out);
        bind_clauses<detail::clause_position::having>(out);
        bind_clauses<detail::clause_position::order_by>(out);
        bind_clauses<detail::clause_position::limit>(out);
        bind_clauses<detail::clause_position::offset>(out);
    }

    /// The SQL as sent to `dialect`.
    std::string sql(const Dialect& dialect) const {
        if constexpr (fixed_shape)
            return cached_sql(dialect);
        else
            return detail::ast::render(dialect, lower());
    }

    Result<row_type, reader_type> execute_on(Connection& conn) const {
        ParamBuffer params;
        bind(params);
        if constexpr (fixed_shape) {
            return conn.execute_sql(cached_sql(conn.dialect()), params.params())
                .template read_with<row_type, reader_type>();
        } else {
            const auto text = detail::ast::render(conn.dialect(), lower());
            return conn.execute_sql(text, params.params()).template read_with<row_type, reader_type>();
        }
    }

private:
    template <class, class, class...>
    friend class Select;

    template <class C>
    auto with(C clause) const {
        return Select<From, Columns, Clauses..., C>(
            columns_, std::tuple_cat(clauses_, std::tuple<C>{std::move(clause)}));
    }

    template <class I>
    static auto as_order_item(const I& item) {
        if constexpr (sql_expression<I>) return order_item<I>{item};
        else return item;
    }

    template <detail::clause_position P>
    void bind_clauses(ParamBuffer& out) const {
        std::apply(
            [&](const auto&... c) {
                (
                    [&] {
                        if constexpr (std::remove_cvref_t<decltype(c)>::position == P) c.bind(out);
                    }(),
                    ...);
            },
            clauses_);
    }

    static void check_sources() {
        using reachable = detail::reachable_t<From, Clauses...>;
        using used = detail::concat_t<typename Columns::sources, typename Clauses::sources...>;
        static_assert(detail::subset_v<used, reachable>,
                      "alchemy: the statement uses a column whose table is not in its FROM "
                      "or JOIN clauses; add .join<Model>(on) or select from that model");
    }

    const std::string& cached_sql(const Dialect& dialect) const {
        return detail::sql_cache<Select>::get(
            dialect, [this](const Dialect& d) { return detail::ast::render(d, lower()); });
    }

    Columns columns_;
    std::tuple<Clauses...> clauses_;
};

/// SELECT the given expressions; FROM is the model of the first one.
template <sql_expression... Es>
    requires(sizeof...(Es) > 0)
auto select(Es... expressions) {
    using from = typename detail::first_source<detail::concat_t<typename Es::sources...>>::type;
    return Select<from, detail::expression_columns<Es...>>(
        detail::expression_columns<Es...>{{std::move(expressions)...}}, {});
}

/// SELECT every column of T's table; rows are T.
template <class T>
    requires(detail::require_model<T>())
auto select() {
    return Select<T, detail::all_columns_of<T>>(detail::all_columns_of<T>{}, {});
}

}  // namespace alchemy
