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
// sa::select<T>(). FROM is the table (or alias, subquery, CTE) of the first selected
// column, or what .select_from(...) names; every other table must come in through
// join/left_join, which the compiler checks when the statement runs on its own. Inside
// another statement, the tables it does not list are the enclosing statement's to
// provide (a correlated subquery; sql/subquery.hpp). Columns of a left-joined table
// read as std::optional. Each call returns a new statement type; the SQL of a type is
// rendered once per dialect and cached.
#pragma once

#include "alchemy/core/param_buffer.hpp"
#include "alchemy/schema/model_row.hpp"
#include "alchemy/sql/alias.hpp"
#include "alchemy/sql/column.hpp"
#include "alchemy/sql/shape_variant.hpp"
#include "alchemy/sql/subquery.hpp"

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/bind.hpp>
#include <boost/mp11/list.hpp>
#include <boost/mp11/utility.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace alchemy {

namespace detail {

/// Where a clause's text stands in a SELECT, which is also the order its values bind in.
enum class clause_position { join = 1, where, group_by, having, order_by, limit, offset };

template <class Source, bool Left, sql_expression On>
struct join_clause {
    static constexpr clause_position position = clause_position::join;
    static constexpr bool fixed_shape = Source::fixed_shape && On::fixed_shape;
    static constexpr std::size_t shape_variants = combined_shape_variants<Source, On>;
    using joined = typename Source::tag;
    static constexpr bool left = Left;
    using sources = typename On::sources;
    Source source;
    On on;
    std::size_t shape_variant() const noexcept { return combined_shape_variant(source, on); }
    void lower(ast::Select& s) const { s.joins.push_back({Left, source.table_ref(), on.lower()}); }
    void bind(ParamBuffer& out) const {
        source.bind(out);
        on.bind(out);
    }
};

template <sql_expression E>
struct where_clause {
    static constexpr clause_position position = clause_position::where;
    static constexpr bool fixed_shape = E::fixed_shape;
    static constexpr std::size_t shape_variants = shape_variants_of<E>;
    using sources = typename E::sources;
    E condition;
    std::size_t shape_variant() const noexcept { return shape_variant_of(condition); }
    void lower(ast::Select& s) const { s.where.push_back(condition.lower()); }
    void bind(ParamBuffer& out) const { condition.bind(out); }
};

template <sql_expression... Es>
struct group_by_clause {
    static constexpr clause_position position = clause_position::group_by;
    static constexpr bool fixed_shape = (Es::fixed_shape && ...);
    static constexpr std::size_t shape_variants = combined_shape_variants<Es...>;
    using sources = concat_t<typename Es::sources...>;
    std::tuple<Es...> expressions;
    std::size_t shape_variant() const noexcept {
        return std::apply([](const auto&... e) { return combined_shape_variant(e...); }, expressions);
    }
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
    static constexpr std::size_t shape_variants = shape_variants_of<E>;
    using sources = typename E::sources;
    E condition;
    std::size_t shape_variant() const noexcept { return shape_variant_of(condition); }
    void lower(ast::Select& s) const { s.having.push_back(condition.lower()); }
    void bind(ParamBuffer& out) const { condition.bind(out); }
};

template <class... Items>
struct order_by_clause {
    static constexpr clause_position position = clause_position::order_by;
    static constexpr bool fixed_shape = (Items::fixed_shape && ...);
    static constexpr std::size_t shape_variants = combined_shape_variants<Items...>;
    using sources = concat_t<typename Items::sources...>;
    std::tuple<Items...> items;
    std::size_t shape_variant() const noexcept {
        return std::apply([](const auto&... i) { return combined_shape_variant(i...); }, items);
    }
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

/// LIMIT and OFFSET, each present only if given at run time: one statement type for all
/// four combinations, its SQL fixed per combination (shape_variant.hpp).
struct limit_offset_clause {
    static constexpr clause_position position = clause_position::limit;
    static constexpr bool fixed_shape = false;
    static constexpr std::size_t shape_variants = 4;
    std::size_t shape_variant() const noexcept { return (limit ? 1u : 0u) | (offset ? 2u : 0u); }
    using sources = type_list<>;
    std::optional<std::int64_t> limit;
    std::optional<std::int64_t> offset;
    void lower(ast::Select& s) const {
        s.limit = limit.has_value();
        s.offset = offset.has_value();
    }
    void bind(ParamBuffer& out) const {
        if (limit) out.add(Param::of_int(*limit));
        if (offset) out.add(Param::of_int(*offset));
    }
};

/// `clauses` with LIMIT (P = limit) or OFFSET n. As in SQLAlchemy a later limit() or
/// offset() replaces the earlier one: the clause holding it is changed; only when there
/// is none does a new clause come last (two would bind two values for one placeholder).
template <clause_position P, class C>
void set_count_in(C& clause, std::int64_t n) {
    if constexpr (std::is_same_v<C, count_clause<P>>) clause.count = n;
    else if constexpr (std::is_same_v<C, limit_offset_clause>)
        (P == clause_position::limit ? clause.limit : clause.offset) = n;
}
template <class C>
void set_limit_offset_in(C& clause, std::optional<std::int64_t> limit, std::optional<std::int64_t> offset) {
    if constexpr (std::is_same_v<C, limit_offset_clause>) clause = {limit, offset};
}
template <clause_position P, class... Cs>
auto set_count(std::tuple<Cs...> clauses, std::int64_t n) {
    if constexpr (((std::is_same_v<Cs, count_clause<P>> || std::is_same_v<Cs, limit_offset_clause>) || ...)) {
        std::apply([&](auto&... c) { (set_count_in<P>(c, n), ...); }, clauses);
        return clauses;
    } else {
        return append(clauses, count_clause<P>{n});
    }
}
/// `clauses` with limit_offset(limit, offset), which replaces every earlier LIMIT and OFFSET.
template <class C>
auto without_count(const C& clause) {
    if constexpr (C::position == clause_position::limit || C::position == clause_position::offset)
        return std::tuple<>{};
    else return std::tuple<C>{clause};
}
template <class... Cs>
auto set_limit_offset(std::tuple<Cs...> clauses, std::optional<std::int64_t> limit,
                      std::optional<std::int64_t> offset) {
    if constexpr ((std::is_same_v<Cs, limit_offset_clause> || ...)) {
        std::apply([&](auto&... c) { (set_limit_offset_in(c, limit, offset), ...); }, clauses);
        return clauses;
    } else {
        return append(
            std::apply([](const auto&... c) { return std::tuple_cat(without_count(c)...); }, clauses),
            limit_offset_clause{limit, offset});
    }
}

struct distinct_clause {  // SELECT DISTINCT: no values
    static constexpr clause_position position = clause_position::join;
    static constexpr bool fixed_shape = true;
    using sources = type_list<>;
    void lower(ast::Select& s) const { s.distinct = true; }
    void bind(ParamBuffer&) const {}
};

template <clause_position P, class... Clauses>
void bind_at(const std::tuple<Clauses...>& clauses, ParamBuffer& out) {
    std::apply(
        [&](const auto&... c) {
            ((std::remove_cvref_t<decltype(c)>::position == P ? c.bind(out) : void()), ...);
        },
        clauses);
}
/// Binds clauses in the order their text comes, whatever order they were added in.
template <class... Clauses>
void bind_by_position(const std::tuple<Clauses...>& clauses, ParamBuffer& out) {
    bind_at<clause_position::join>(clauses, out);
    bind_at<clause_position::where>(clauses, out);
    bind_at<clause_position::group_by>(clauses, out);
    bind_at<clause_position::having>(clauses, out);
    bind_at<clause_position::order_by>(clauses, out);
    bind_at<clause_position::limit>(clauses, out);
    bind_at<clause_position::offset>(clauses, out);
}

template <class C>
inline constexpr bool is_join_v = requires { typename C::joined; };

/// Tables (and aliases, subqueries, CTEs) reachable in a statement: FROM plus every
/// joined one.
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
template <class From>
using from_tags_t =
    std::conditional_t<std::is_void_v<typename From::tag>, type_list<>, type_list<typename From::tag>>;
template <class From, class... Clauses>
using reachable_t = concat_t<from_tags_t<From>, typename joined_model<Clauses>::type...>;
template <class... Clauses>
using left_joined_t = concat_t<
    std::conditional_t<is_left_join<Clauses>(), typename joined_model<Clauses>::type, type_list<>>...>;

/// The first model of List, void when it is empty.
template <class List>
using first_source_t =
    boost::mp11::mp_eval_if<boost::mp11::mp_empty<List>, void, boost::mp11::mp_front, List>;

/// The members of List that Exclude does not hold.
template <class List, class Exclude>
using difference_t =
    boost::mp11::mp_remove_if_q<List, boost::mp11::mp_bind_front<boost::mp11::mp_contains, Exclude>>;

template <std::size_t I, class List>
using nth_t = boost::mp11::mp_at_c<List, I>;

/// Is E a column read through a codec (possibly labelled)?
template <class E>
struct column_info {
    static constexpr bool is_column = false;
};
template <codec_column E>
struct column_info<E> {
    static constexpr bool is_column = true;
    using column = E;
};
template <codec_column E>
struct column_info<labeled<E>> : column_info<E> {};

/// The C++ type one selected expression reads as, given the left-joined sources:
/// std::optional when a left join that matched nothing can make it NULL.
template <class E, class LeftJoined>
consteval auto selected_type() {
    using C = unlabeled_t<E>;
    using V = typename C::value_type;
    if constexpr (boost::mp11::mp_empty<LeftJoined>::value) return std::type_identity<V>{};
    else return std::type_identity<maybe_optional_t<V, null_when_unmatched<C, LeftJoined>::value>>{};
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

/// Column C of model T, as selected by select<T>().
template <class T, std::size_t C>
struct model_column {
    using model_type = T;
    static constexpr std::size_t index = C;
    using codec = column_codec<T, C>;
    using field_type = typename codec::field_type;
    using value_type = field_type;
    using sources = type_list<T>;
    static constexpr std::string_view name = model_info<T>::columns[C].name;
};

/// select<T>(): every column of model T.
template <class T>
struct all_columns_of {
    static constexpr std::size_t count = model_info<T>::column_count;
    using sources = type_list<T>;
    static constexpr bool fixed_shape = true;
    void lower(ast::Select& s) const {
        for (const auto& column : model_info<T>::columns)
            s.columns.emplace_back(ast::Kind::column, column.name, model_info<T>::table_name);
    }
    void bind(ParamBuffer&) const {}
    std::array<std::string_view, count> natural_names() const {
        std::array<std::string_view, count> names{};
        for (std::size_t i = 0; i < count; ++i) names[i] = model_info<T>::columns[i].name;
        return names;
    }
};

template <class T>
struct model_reader {
    static constexpr int columns = static_cast<int>(model_info<T>::column_count);
    static T read(const Cursor& c) { return row_traits<T>::read(c); }
};

/// select<T, U, ...>(): every column of each model, model after model.
template <class... Ts>
struct entity_columns {
    static constexpr std::size_t count = (model_info<Ts>::column_count + ...);
    using sources = type_list<Ts...>;
    static constexpr bool fixed_shape = true;
    void lower(ast::Select& s) const { (all_columns_of<Ts>{}.lower(s), ...); }
    void bind(ParamBuffer&) const {}
    std::array<std::string_view, count> natural_names() const {
        std::array<std::string_view, count> names{};
        std::size_t i = 0;
        auto append = [&](const auto& part) {
            for (auto name : part) names[i++] = name;
        };
        (append(all_columns_of<Ts>{}.natural_names()), ...);
        return names;
    }
};

template <class U, class... Ts>
inline constexpr std::size_t occurrences_v = (std::size_t{std::is_same_v<U, Ts>} + ... + 0);

/// Reads one model of a row of several from its columns starting at `first`; a
/// left-joined model that matched no row (a NULL primary key) reads as std::nullopt.
template <class T>
void read_entity(const Cursor& c, int first, T& out) {
    read_columns(c, out, first);
}
template <class T>
void read_entity(const Cursor& c, int first, std::optional<T>& out) {
    if (c.is_null(first + static_cast<int>(model_info<T>::primary_key[0]))) {
        out.reset();
        return;
    }
    read_columns(c, out.emplace(), first);
}

template <class Row, class... Ts>
struct entities_reader {
    static constexpr int columns = static_cast<int>((model_info<Ts>::column_count + ...));
    static Row read(const Cursor& c) {
        static constexpr std::array<int, sizeof...(Ts)> widths{
            static_cast<int>(model_info<Ts>::column_count)...};
        Row row{};
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            int first = 0;
            ((read_entity(c, first, std::get<I>(row)), first += widths[I]), ...);
        }(std::index_sequence_for<Ts...>{});
        return row;
    }
};

/// The SELECT list: selected expressions, or all columns of one model.
template <class... Es>
struct expression_columns {
    static constexpr std::size_t count = sizeof...(Es);
    using sources = concat_t<typename Es::sources...>;
    static constexpr bool fixed_shape = (Es::fixed_shape && ...);
    static constexpr std::size_t shape_variants = combined_shape_variants<Es...>;
    std::tuple<Es...> expressions;
    std::size_t shape_variant() const noexcept {
        return std::apply([](const auto&... e) { return combined_shape_variant(e...); }, expressions);
    }
    void lower(ast::Select& s) const {
        std::apply([&](const auto&... e) { (add(s, e), ...); }, expressions);
    }
    template <class E>
    static void add(ast::Select& s, const E& e) {
        s.columns.push_back(e.lower());
        if constexpr (!std::is_same_v<E, unlabeled_t<E>>) {
            s.labels.resize(s.columns.size());
            s.labels.back() = e.name;
        }
    }
    void bind(ParamBuffer& out) const {
        std::apply([&](const auto&... e) { (e.bind(out), ...); }, expressions);
    }
    std::array<std::string_view, count> natural_names() const {
        return std::apply(
            [](const auto&... e) { return std::array<std::string_view, count>{natural_name(e)...}; },
            expressions);
    }
};

/// Row type, reader, and each column's expression and C++ type.
template <class Columns, class LeftJoined>
struct row_for;
template <class... Es, class LeftJoined>
struct row_for<expression_columns<Es...>, LeftJoined> {
    using row = row_of_t<selected_t<Es, LeftJoined>...>;
    using reader = selected_reader<row, Es...>;
    using exprs = type_list<Es...>;
    using values = type_list<selected_t<Es, LeftJoined>...>;
};
template <class T, class LeftJoined>
struct row_for<all_columns_of<T>, LeftJoined> {
    template <std::size_t... C>
    static auto columns(std::index_sequence<C...>) -> type_list<model_column<T, C>...>;
    template <std::size_t... C>
    static auto types(std::index_sequence<C...>) -> type_list<typename model_column<T, C>::value_type...>;

    using row = T;
    using reader = model_reader<T>;
    using exprs = decltype(columns(std::make_index_sequence<model_info<T>::column_count>{}));
    using values = decltype(types(std::make_index_sequence<model_info<T>::column_count>{}));
};

/// The types of a list, made NULL-able when `nullable` (a left-joined model's columns).
template <class List, bool nullable>
struct maybe_optional_list;
template <class... Vs, bool nullable>
struct maybe_optional_list<type_list<Vs...>, nullable> {
    using type = type_list<maybe_optional_t<Vs, nullable>...>;
};

template <class... Ts, class LeftJoined>
struct row_for<entity_columns<Ts...>, LeftJoined> {
    using row = std::tuple<maybe_optional_t<Ts, contains_v<Ts, LeftJoined>>...>;
    using reader = entities_reader<row, Ts...>;
    using exprs = concat_t<typename row_for<all_columns_of<Ts>, LeftJoined>::exprs...>;
    using values =
        concat_t<typename maybe_optional_list<typename row_for<all_columns_of<Ts>, LeftJoined>::values,
                                              contains_v<Ts, LeftJoined>>::type...>;
};

/// The subquery or CTE object a selected column reads from, if it is a column of `Tag`.
template <class Tag, class E>
inline constexpr bool carries_source_v = requires(const unlabeled_t<E>& e) {
    { e.source() } -> std::same_as<const Tag&>;
};
template <class Tag, class E>
const Tag& carried_source(const E& e) {
    if constexpr (std::is_same_v<E, unlabeled_t<E>>) return e.source();
    else return e.expression.source();
}

/// The FROM item of a SELECT whose first source is Tag: a model's table, an alias, or
/// the subquery or CTE a selected column of it carries (none: FROM must be named with
/// select_from()).
template <class Tag, class E, class... Es>
auto from_for(const E& e, const Es&... es) {
    if constexpr (std::is_void_v<Tag>) return no_source{};
    else if constexpr (!from_item<Tag>) return table_source<Tag>{};
    else if constexpr (std::is_empty_v<Tag>) return Tag{};
    else if constexpr (carries_source_v<Tag, E>) return Tag(carried_source<Tag>(e));
    else if constexpr (sizeof...(Es) > 0) return from_for<Tag>(es...);
    else return no_source{};
}

}  // namespace detail

/// A SELECT statement; see the file comment.
template <class From, class Columns, class... Clauses>
class Select : public detail::query_ops<Select<From, Columns, Clauses...>> {
    using shape = detail::row_for<Columns, detail::left_joined_t<Clauses...>>;
    using reachable = detail::reachable_t<From, Clauses...>;
    using used = detail::concat_t<typename Columns::sources, typename Clauses::sources...>;

public:
    using from_type = From;
    /// The models (and aliases) in FROM and JOIN.
    using tables = reachable;
    using row_type = typename shape::row;
    using reader_type = typename shape::reader;
    static constexpr std::size_t column_count = Columns::count;
    /// The C++ type of column I, and the expression that selects it.
    template <std::size_t I>
    using column_t = detail::nth_t<I, typename shape::values>;
    template <std::size_t I>
    using column_expr_t = detail::nth_t<I, typename shape::exprs>;
    /// Tables used but not in FROM/JOIN: the enclosing statement must provide them.
    using outer_sources = detail::difference_t<used, reachable>;
    static constexpr bool fixed_shape =
        From::fixed_shape && Columns::fixed_shape && (Clauses::fixed_shape && ...);
    /// With more than one, the SQL is fixed by the type and shape_variant() (a
    /// limit_offset(), here or in a statement this one embeds): cached per variant
    /// (shape_variant.hpp).
    static constexpr std::size_t shape_variants = detail::combined_shape_variants<From, Columns, Clauses...>;
    std::size_t shape_variant() const noexcept {
        return std::apply(
            [&](const auto&... c) { return detail::combined_shape_variant(from_, columns_, c...); },
            clauses_);
    }
    static constexpr bool orders_or_limits =
        ((Clauses::position >= detail::clause_position::order_by) || ...);

    Select(From from, Columns columns, std::tuple<Clauses...> clauses)
        : from_(std::move(from)), columns_(std::move(columns)), clauses_(std::move(clauses)) {}

    template <sql_expression E>
    auto where(E condition) const {
        return with(detail::where_clause<E>{std::move(condition)});
    }
    /// JOIN model U's table ON `on`.
    template <class U, sql_expression On>
    auto join(On on) const {
        static_assert(mapped_model<U>, "alchemy: join<U>() needs a mapped model U");
        return with(detail::join_clause<detail::table_source<U>, false, On>{{}, std::move(on)});
    }
    /// JOIN an alias, subquery or CTE ON `on`.
    template <detail::from_item S, sql_expression On>
    auto join(S source, On on) const {
        return with(detail::join_clause<S, false, On>{std::move(source), std::move(on)});
    }
    template <class U, sql_expression On>
    auto left_join(On on) const {
        static_assert(mapped_model<U>, "alchemy: left_join<U>() needs a mapped model U");
        return with(detail::join_clause<detail::table_source<U>, true, On>{{}, std::move(on)});
    }
    template <detail::from_item S, sql_expression On>
    auto left_join(S source, On on) const {
        return with(detail::join_clause<S, true, On>{std::move(source), std::move(on)});
    }
    /// FROM model T's table, instead of the first selected column's.
    template <class T>
        requires(detail::require_model<T>())
    auto select_from() const {
        return Select<detail::table_source<T>, Columns, Clauses...>({}, columns_, clauses_);
    }
    /// FROM an alias, subquery or CTE: sa::select(sa::count()).select_from(sq).
    template <detail::from_item S>
    auto select_from(S source) const {
        return Select<S, Columns, Clauses...>(std::move(source), columns_, clauses_);
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
        return with(detail::order_by_clause<decltype(detail::as_order_item(items))...>{
            {detail::as_order_item(items)...}});
    }
    /// LIMIT n; a later limit() (or limit_offset()) replaces it.
    auto limit(std::int64_t n) const {
        return with_clauses(detail::set_count<detail::clause_position::limit>(clauses_, n));
    }
    /// OFFSET n; a later offset() (or limit_offset()) replaces it.
    auto offset(std::int64_t n) const {
        return with_clauses(detail::set_count<detail::clause_position::offset>(clauses_, n));
    }
    /// LIMIT and OFFSET, each only if given; they replace any earlier limit() and offset().
    /// Whichever are given, the statement has one type (limit(n) and offset(n) make a new
    /// type each), so code that picks them at run time compiles once; its SQL is cached
    /// once per combination.
    auto limit_offset(std::optional<std::int64_t> limit, std::optional<std::int64_t> offset) const {
        return with_clauses(detail::set_limit_offset(clauses_, limit, offset));
    }
    auto distinct() const { return with(detail::distinct_clause{}); }

    /// Column names as a subquery: a column's own name or label, else col_<position>.
    std::array<std::string_view, column_count> output_names() const {
        return detail::complete_names(columns_.natural_names());
    }

    // The parts other statements put together (CompoundSelect, Subquery, Cte):
    // the WITH queries of the CTEs read in FROM/JOIN, and the rest of the SELECT.
    void lower_ctes(detail::ast::Select& s, detail::cte_scope& scope) const {
        for_each_cte([&](const auto& cte) {
            if (!scope.define(cte.name, cte.identity())) return;
            s.ctes.push_back(cte.definition());
            if (cte.recursive) s.recursive = true;
        });
    }
    void bind_ctes(ParamBuffer& out, detail::cte_scope& scope) const {
        for_each_cte([&](const auto& cte) {
            if (scope.define(cte.name, cte.identity())) cte.bind_definition(out);
        });
    }
    /// With name_columns, columns without a usable name of their own get one, so the
    /// statement around this one can refer to them.
    void lower_core(detail::ast::Select& s, bool name_columns) const {
        columns_.lower(s);
        if (name_columns) name_outputs(s);
        if constexpr (!std::is_same_v<From, detail::no_source>) s.from.push_back(from_.table_ref());
        std::apply([&](const auto&... c) { (c.lower(s), ...); }, clauses_);
    }
    /// Binds in text order: SELECT list, FROM, then the clauses by position.
    void bind_core(ParamBuffer& out) const {
        columns_.bind(out);
        if constexpr (!std::is_same_v<From, detail::no_source>) from_.bind(out);
        detail::bind_by_position(clauses_, out);
    }
    void lower_statement(detail::ast::Select& s, detail::cte_scope& scope, bool name_columns) const {
        lower_ctes(s, scope);
        lower_core(s, name_columns);
    }
    void bind_statement(ParamBuffer& out, detail::cte_scope& scope) const {
        bind_ctes(out, scope);
        bind_core(out);
    }

private:
    template <class, class, class...>
    friend class Select;

    template <class C>
    auto with(C clause) const {
        return with_clauses(detail::append(clauses_, std::move(clause)));
    }
    template <class... Cs>
    auto with_clauses(std::tuple<Cs...> clauses) const {
        return Select<From, Columns, Cs...>(from_, columns_, std::move(clauses));
    }

    template <class F>
    void for_each_cte(F&& f) const {
        if constexpr (detail::is_cte_v<From>) f(from_);
        std::apply(
            [&](const auto&... c) {
                (
                    [&] {
                        using C = std::remove_cvref_t<decltype(c)>;
                        if constexpr (detail::is_join_v<C>) {
                            if constexpr (detail::is_cte_v<std::remove_cvref_t<decltype(c.source)>>)
                                f(c.source);
                        }
                    }(),
                    ...);
            },
            clauses_);
    }

    void name_outputs(detail::ast::Select& s) const {
        const auto natural = columns_.natural_names();
        const auto names = detail::complete_names(natural);
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (names[i] == natural[i]) continue;
            s.labels.resize(s.columns.size());
            s.labels[i] = names[i];
        }
    }

    From from_;
    Columns columns_;
    std::tuple<Clauses...> clauses_;
};

/// SELECT the given expressions; FROM is the table, alias, subquery or CTE of the first
/// one that reads one.
template <sql_expression... Es>
    requires(sizeof...(Es) > 0)
auto select(Es... expressions) {
    using tag = detail::first_source_t<detail::concat_t<typename Es::sources...>>;
    auto from = detail::from_for<tag>(expressions...);
    using Columns = detail::expression_columns<Es...>;
    return Select<decltype(from), Columns>(std::move(from), Columns{{std::move(expressions)...}}, {});
}

/// SELECT every column of T's table; rows are T. With several models (SQLAlchemy's
/// select(Post, User)), rows are std::tuple<T, U, ...>, FROM is T's table and the others
/// come in through join<U>() / left_join<U>(); a left-joined model reads as
/// std::optional<U>, empty when no row matched.
template <class T, class... Ts>
    requires(detail::require_model<T>() && (detail::require_model<Ts>() && ...))
auto select() {
    static_assert(
        ((detail::occurrences_v<Ts, T, Ts...> == 1) && ... && (detail::occurrences_v<T, T, Ts...> == 1)),
        "alchemy: select<T, U, ...>() names a model twice; select the second one's "
        "columns through an sa::alias<T, \"name\"> instead");
    if constexpr (sizeof...(Ts) == 0)
        return Select<detail::table_source<T>, detail::all_columns_of<T>>({}, {}, {});
    else return Select<detail::table_source<T>, detail::entity_columns<T, Ts...>>({}, {}, {});
}

}  // namespace alchemy

// Set operations and recursive CTEs are built from Selects; they come with them.
#include "alchemy/sql/compound.hpp"
