// Statements inside statements. A query (a SELECT, or a union of SELECTs) can be
//   a FROM/JOIN item     stmt.subquery<"name">()             FROM (SELECT ...) AS "name"
//   a WITH query         stmt.cte<"name">()                  WITH "name" AS (SELECT ...)
//                        stmt.cte<"name">(sa::recursive)     WITH RECURSIVE, see Cte
//   a value              stmt.scalar_subquery()              (SELECT ...)
//   a condition          sa::exists(stmt), x.in_(stmt)       EXISTS (SELECT ...), x IN (SELECT ...)
// Columns of a subquery or CTE: sq.c<I>() by position, or sq.col<&User::name>() by the
// model column it selected.
//
// Correlation: the tables a query reads but does not list in its own FROM/JOIN are its
// `outer_sources`. They become the sources of the expression the query forms, so the
// enclosing statement's FROM/JOIN check decides whether they are provided. A query run,
// rendered or used in FROM by itself must have none.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/param_buffer.hpp"
#include "alchemy/core/result.hpp"
#include "alchemy/sql/alias.hpp"
#include "alchemy/sql/shape_variant.hpp"
#include "alchemy/sql/sql_cache.hpp"

#include <boost/mp11/list.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace alchemy {

/// A union/intersect/except of SELECTs (compound.hpp).
template <class Op, class Members, class... Clauses>
class CompoundSelect;

/// Tag for stmt.cte<"name">(sa::recursive).
struct recursive_t {
    explicit recursive_t() = default;
};
inline constexpr recursive_t recursive{};

namespace detail {

/// The set operators of CompoundSelect.
namespace set_op {
// clang-format off
struct union_ { static constexpr std::string_view sql = "UNION"; };
struct union_all { static constexpr std::string_view sql = "UNION ALL"; };
struct intersect { static constexpr std::string_view sql = "INTERSECT"; };
struct except_ { static constexpr std::string_view sql = "EXCEPT"; };
// clang-format on
}  // namespace set_op

template <class S>
inline constexpr bool is_compound_v = false;
template <class Op, class Members, class... Clauses>
inline constexpr bool is_compound_v<CompoundSelect<Op, Members, Clauses...>> = true;

[[noreturn]] void throw_unrelated_ctes(std::string_view name);

/// The WITH queries a statement has defined so far. Lowering and binding walk the FROM
/// and JOIN items in the same order with one of these, so a CTE used twice is defined,
/// and its values bound, once. A CTE is known by its query (copies share it), not by its
/// name: two different ones of one name would leave one undefined, with its values.
class cte_scope {
public:
    /// False when this CTE is defined already; CompileError when another one of its name is.
    bool define(std::string_view name, const void* query) {
        for (const auto& d : defined_)
            if (d.name == name) {
                if (d.query != query && d.query != nullptr) throw_unrelated_ctes(name);
                return false;
            }
        defined_.push_back({name, query});
        return true;
    }
    /// Inside a recursive CTE's own query its name refers to itself, whichever object
    /// (the anchor) a member reads it through.
    void define_self(std::string_view name) { defined_.push_back({name, nullptr}); }

private:
    struct definition {
        std::string_view name;
        const void* query;
    };
    std::vector<definition> defined_;
};

template <class E>
struct unlabeled {
    using type = E;
};
template <class E>
struct unlabeled<labeled<E>> {
    using type = E;
};
/// E without a .label(): the expression it names.
template <class E>
using unlabeled_t = typename unlabeled<E>::type;

/// What a subquery column (or a scalar subquery) keeps of the column it passes through:
/// the codec, so enums stored as text and adapted types still bind and read as their
/// C++ types.
template <class Self, class Inner, bool = codec_column<unlabeled_t<Inner>>>
struct codec_of {};
template <class Self, class Inner>
struct codec_of<Self, Inner, true> {
    using codec = typename unlabeled_t<Inner>::codec;
    using field_type = typename unlabeled_t<Inner>::field_type;
    template <class T>
    using bound_as = column_bound_value<Self, T>;
};
/// Which model column a subquery column passes through, so sq.col<&User::name>() finds it.
template <class Inner, bool =
                           requires {
                               typename Inner::model_type;
                               Inner::index;
                           }>
struct column_identity {};
template <class Inner>
struct column_identity<Inner, true> {
    using model_type = typename Inner::model_type;
    static constexpr std::size_t index = Inner::index;
};

/// The name a selected expression has as a subquery column by itself: its label or its
/// column's name; empty for anything else (such columns get generated names).
template <class E>
std::string_view natural_name(const labeled<E>& e) {
    return e.name;
}
template <class E>
std::string_view natural_name(const E& e) {
    if constexpr (requires { e.column_name(); }) return e.column_name();
    else if constexpr (requires { E::name; } && codec_column<E>) return E::name;
    else return {};
}
template <class E>
inline constexpr bool has_natural_name_v =
    requires(const E& e) { e.column_name(); } || (requires { E::name; } && codec_column<E>);
template <class E>
inline constexpr bool has_natural_name_v<labeled<E>> = true;

/// Completes a query's column names as a subquery, in place: every column without a name
/// of its own, or with the name of an earlier column (in any ASCII case), becomes
/// col_<position>, or, when another column is named that already, col_<position + k *
/// count> for the smallest k that no column uses (a column read by a name two columns
/// have is the wrong one on SQLite, which ignores case there). Generated names stay valid
/// for the program's life.
void complete_column_names(std::span<std::string_view> names);
template <std::size_t N>
std::array<std::string_view, N> complete_names(std::array<std::string_view, N> names) {
    complete_column_names(names);
    return names;
}

inline constexpr std::size_t no_column = static_cast<std::size_t>(-1);
inline constexpr std::size_t ambiguous_column = static_cast<std::size_t>(-2);

/// Whether selected expression E is column `Column` of model M.
template <class E, class M, std::size_t Column>
consteval bool selects_column() {
    using C = column_identity<unlabeled_t<E>>;
    if constexpr (requires { typename C::model_type; })
        return std::is_same_v<typename C::model_type, M> && C::index == Column;
    else return false;
}

/// The position of the column of model field `Member` among query S's columns.
template <class S, auto Member>
consteval std::size_t output_index_of() {
    using M = model_of_t<decltype(Member)>;
    constexpr std::size_t column = column_index_of<Member>;
    constexpr auto matches = []<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<bool, sizeof...(I)>{
            selects_column<typename S::template column_expr_t<I>, M, column>()...};
    }(std::make_index_sequence<S::column_count>{});
    std::size_t found = no_column;
    for (std::size_t i = 0; i < matches.size(); ++i)
        if (matches[i]) found = found == no_column ? i : ambiguous_column;
    return found;
}

}  // namespace detail

/// Column I of a subquery or CTE `Source`: "name"."column". Reads and binds like the
/// column it passes through.
template <class Source, std::size_t I>
class derived_column : public expression_ops<derived_column<Source, I>>,
                       public detail::codec_of<derived_column<Source, I>,
                                               typename Source::statement_type::template column_expr_t<I>>,
                       public detail::column_identity<
                           detail::unlabeled_t<typename Source::statement_type::template column_expr_t<I>>> {
public:
    using value_type = typename Source::statement_type::template column_t<I>;
    using sources = detail::type_list<Source>;
    /// Its name is the query's output name, which the query's shape fixes.
    static constexpr bool fixed_shape = Source::fixed_shape;
    static constexpr std::size_t shape_variants = detail::shape_variants_of<Source>;

    explicit derived_column(Source source) : source_(std::move(source)) {}
    std::size_t shape_variant() const noexcept { return detail::shape_variant_of(source_); }

    const Source& source() const noexcept { return source_; }
    std::string_view column_name() const { return source_.statement().output_names()[I]; }
    detail::ast::Node lower() const {
        return detail::ast::Node(detail::ast::Kind::column, column_name(), Source::name);
    }
    void bind(ParamBuffer&) const {}

private:
    Source source_;
};

namespace detail {

/// c<I>() and col<&T::field>() of subqueries and CTEs.
template <class Derived>
struct named_columns {
    /// Column I (0-based) of the query.
    template <std::size_t I>
    auto c() const {
        static_assert(I < Derived::statement_type::column_count,
                      "alchemy: c<I>() is past the last column of the subquery");
        return derived_column<Derived, I>(static_cast<const Derived&>(*this));
    }
    /// The column that selected model field `Member` (a mixin's column as in sa::col).
    template <auto Member, auto... Inner>
    auto col() const {
        constexpr std::size_t i =
            output_index_of<typename Derived::statement_type, column_named_by<Member, Inner...>()>();
        static_assert(i != no_column,
                      "alchemy: col<&T::field>() names a column the subquery does not select; "
                      "select it, or use c<I>()");
        static_assert(i != ambiguous_column,
                      "alchemy: col<&T::field>() is ambiguous: the subquery selects that column "
                      "more than once; use c<I>()");
        if constexpr (i < Derived::statement_type::column_count) return c<i>();
    }
};

}  // namespace detail

/// A query in FROM or JOIN: FROM (SELECT ...) AS "Name". Copies share the query.
template <class S, detail::fixed_string Name>
class Subquery : public detail::named_columns<Subquery<S, Name>> {
public:
    using tag = Subquery;
    using statement_type = S;
    static constexpr std::string_view name = Name.view();
    static constexpr bool fixed_shape = S::fixed_shape;
    static constexpr std::size_t shape_variants = detail::shape_variants_of<S>;

    explicit Subquery(S statement) : statement_(std::make_shared<const S>(std::move(statement))) {}

    const S& statement() const noexcept { return *statement_; }
    std::size_t shape_variant() const noexcept { return detail::shape_variant_of(*statement_); }
    detail::ast::TableRef table_ref() const {
        auto select = std::make_shared<detail::ast::Select>();
        detail::cte_scope scope;
        statement_->lower_statement(*select, scope, true);
        return {{}, name, std::move(select), {}};
    }
    void bind(ParamBuffer& out) const {
        detail::cte_scope scope;
        statement_->bind_statement(out, scope);
    }

private:
    std::shared_ptr<const S> statement_;
};

/// A WITH query named `Name`, defined by the statement that reads it in FROM or JOIN.
///
/// Recursive: the anchor comes first, stmt.cte<"tree">(sa::recursive); the recursive
/// member reads that object, and union_all (or union_) joins the two into the finished
/// CTE:
///
///   auto tree = sa::select(sa::col<&Category::id>).where(sa::col<&Category::id> == root)
///                   .cte<"tree">(sa::recursive);
///   auto all = tree.union_all(sa::select(sa::col<&Category::id>)
///                                 .join(tree, sa::col<&Category::parent_id> == tree.c<0>()));
///   conn.execute(sa::select(all.c<0>()));
template <class S, detail::fixed_string Name, bool Recursive>
class Cte : public detail::named_columns<Cte<S, Name, Recursive>> {
public:
    using tag = Cte;
    using statement_type = S;
    static constexpr std::string_view name = Name.view();
    static constexpr bool recursive = Recursive;
    static constexpr bool fixed_shape = S::fixed_shape;
    static constexpr std::size_t shape_variants = detail::shape_variants_of<S>;

    explicit Cte(S statement) : statement_(std::make_shared<const S>(std::move(statement))) {}

    const S& statement() const noexcept { return *statement_; }
    std::size_t shape_variant() const noexcept { return detail::shape_variant_of(*statement_); }
    /// What tells this CTE from another of the same name: its query, which copies share.
    const void* identity() const noexcept { return statement_.get(); }
    /// Where it is read: just its name. Its values bind in the WITH clause.
    detail::ast::TableRef table_ref() const { return {name, {}, nullptr, {}}; }
    void bind(ParamBuffer&) const {}

    /// "Name" AS (SELECT ...), for the WITH clause. Inside a recursive CTE's own query,
    /// reading it refers to it, so its name counts as defined there.
    detail::ast::Cte definition() const {
        auto select = std::make_shared<detail::ast::Select>();
        auto scope = own_scope();
        statement_->lower_statement(*select, scope, true);
        return {name, std::move(select)};
    }
    void bind_definition(ParamBuffer& out) const {
        auto scope = own_scope();
        statement_->bind_statement(out, scope);
    }

    /// The finished recursive CTE: this anchor UNION ALL `member`.
    template <class Member>
    auto union_all(Member member) const {
        return recursive_union<detail::set_op::union_all>(std::move(member));
    }
    /// The finished recursive CTE: this anchor UNION `member` (duplicates dropped, which
    /// also ends a walk around a cycle).
    template <class Member>
    auto union_(Member member) const {
        return recursive_union<detail::set_op::union_>(std::move(member));
    }

private:
    detail::cte_scope own_scope() const {
        detail::cte_scope scope;
        if constexpr (Recursive) scope.define_self(name);
        return scope;
    }

    template <class Op, class Member>
    auto recursive_union(Member member) const {
        static_assert(Recursive && !detail::is_compound_v<S>,
                      "alchemy: union_all()/union_() on a CTE adds the recursive member to "
                      "an anchor made with .cte<\"name\">(sa::recursive)");
        using Body = CompoundSelect<Op, std::tuple<S, Member>>;
        return Cte<Body, Name, true>(Body(std::tuple<S, Member>(*statement_, std::move(member))));
    }

    std::shared_ptr<const S> statement_;
};

namespace detail {

template <class S>
inline constexpr bool is_cte_v = false;
template <class S, fixed_string Name, bool Recursive>
inline constexpr bool is_cte_v<Cte<S, Name, Recursive>> = true;

/// Lowers query S on its own (its own WITH clause, no generated column names).
template <class S>
std::shared_ptr<const ast::Select> lower_query(const S& statement) {
    auto select = std::make_shared<ast::Select>();
    cte_scope scope;
    statement.lower_statement(*select, scope, false);
    return select;
}
template <class S>
void bind_query(const S& statement, ParamBuffer& out) {
    cte_scope scope;
    statement.bind_statement(out, scope);
}

}  // namespace detail

/// (SELECT x ...) as a value: NULL when the query finds no row, so its type is optional.
template <class S>
struct scalar_subquery_expression
    : expression_ops<scalar_subquery_expression<S>>,
      detail::codec_of<scalar_subquery_expression<S>, typename S::template column_expr_t<0>> {
    using value_type = detail::maybe_optional_t<typename S::template column_t<0>, true>;
    using sources = typename S::outer_sources;
    static constexpr bool fixed_shape = S::fixed_shape;
    static constexpr std::size_t shape_variants = detail::shape_variants_of<S>;

    std::shared_ptr<const S> statement;

    std::size_t shape_variant() const noexcept { return detail::shape_variant_of(*statement); }

    detail::ast::Node lower() const {
        detail::ast::Node n(detail::ast::Kind::subquery);
        n.select = detail::lower_query(*statement);
        return n;
    }
    void bind(ParamBuffer& out) const { detail::bind_query(*statement, out); }
};

/// EXISTS (SELECT ...); negate with !sa::exists(...).
template <class S>
struct exists_expression : expression_ops<exists_expression<S>> {
    using value_type = bool;
    using sources = typename S::outer_sources;
    static constexpr bool fixed_shape = S::fixed_shape;
    static constexpr std::size_t shape_variants = detail::shape_variants_of<S>;

    std::shared_ptr<const S> statement;

    std::size_t shape_variant() const noexcept { return detail::shape_variant_of(*statement); }

    detail::ast::Node lower() const {
        detail::ast::Node n(detail::ast::Kind::exists);
        n.select = detail::lower_query(*statement);
        return n;
    }
    void bind(ParamBuffer& out) const { detail::bind_query(*statement, out); }
};

/// x IN (SELECT y ...) / x NOT IN (SELECT y ...).
template <class E, class S, bool Negated>
struct in_subquery_expression : expression_ops<in_subquery_expression<E, S, Negated>> {
    using value_type =
        detail::maybe_optional_t<bool, detail::nullable_v<typename E::value_type> ||
                                           detail::nullable_v<typename S::template column_t<0>>>;
    using sources = detail::concat_t<typename E::sources, typename S::outer_sources>;
    static constexpr bool fixed_shape = E::fixed_shape && S::fixed_shape;
    static constexpr std::size_t shape_variants = detail::combined_shape_variants<E, S>;

    E operand;
    std::shared_ptr<const S> statement;

    std::size_t shape_variant() const noexcept { return detail::combined_shape_variant(operand, *statement); }

    detail::ast::Node lower() const {
        detail::ast::Node n{detail::ast::Kind::binary, Negated ? "NOT IN" : "IN"};
        n.add(operand.lower());
        detail::ast::Node query(detail::ast::Kind::subquery);
        query.select = detail::lower_query(*statement);
        n.add(std::move(query));
        return n;
    }
    void bind(ParamBuffer& out) const {
        operand.bind(out);
        detail::bind_query(*statement, out);
    }
};

/// EXISTS (stmt): whether the query finds a row. The query may read tables of the
/// statement around it (a correlated subquery).
template <detail::query_statement S>
exists_expression<S> exists(S statement) {
    return {{}, std::make_shared<const S>(std::move(statement))};
}

namespace detail {

/// What Select and CompoundSelect share: running and rendering, and the ways to use
/// them inside other statements. Derived provides row_type, reader_type, fixed_shape,
/// column_count, outer_sources, lower_statement() and bind_statement().
template <class Derived>
class query_ops {
public:
    /// This query as a FROM/JOIN item named `Name`.
    template <fixed_string Name>
    auto subquery() const {
        static_assert(boost::mp11::mp_empty<typename Derived::outer_sources>::value,
                      "alchemy: a subquery in FROM cannot read tables of the enclosing "
                      "statement; correlate it in WHERE (sa::exists, in_, scalar_subquery)");
        return Subquery<Derived, Name>(self());
    }
    /// This query as a WITH query named `Name`.
    template <fixed_string Name>
    auto cte() const {
        static_assert(boost::mp11::mp_empty<typename Derived::outer_sources>::value,
                      "alchemy: a CTE cannot read tables of the statement that uses it");
        return Cte<Derived, Name, false>(self());
    }
    /// The anchor of a recursive WITH query; add the recursive member with .union_all().
    template <fixed_string Name>
    auto cte(recursive_t) const {
        static_assert(boost::mp11::mp_empty<typename Derived::outer_sources>::value,
                      "alchemy: a CTE cannot read tables of the statement that uses it");
        return Cte<Derived, Name, true>(self());
    }
    /// (SELECT x ...) as a value of x's type, NULL when no row is found.
    auto scalar_subquery() const {
        static_assert(Derived::column_count == 1,
                      "alchemy: scalar_subquery() needs a query of exactly one column");
        return scalar_subquery_expression<Derived>{{}, {}, std::make_shared<const Derived>(self())};
    }

    /// The statement tree (for the renderer, and for statements that embed this one).
    ast::Select lower() const {
        ast::Select s;
        cte_scope scope;
        self().lower_statement(s, scope, false);
        return s;
    }
    /// Binds every value in text order.
    void bind(ParamBuffer& out) const {
        cte_scope scope;
        self().bind_statement(out, scope);
    }

    /// The SQL as sent to `dialect`.
    std::string sql(const Dialect& dialect) const {
        check_sources();
        if constexpr (cached<Derived>) return cached_sql(dialect);
        else return ast::render(dialect, lower());
    }

    auto execute_on(Connection& conn, ExecuteOptions options = {}) const {
        check_sources();
        using row = typename Derived::row_type;
        using reader = typename Derived::reader_type;
        ParamBuffer params;
        bind(params);
        if constexpr (cached<Derived>) {
            return conn.execute_sql(cached_sql(conn.dialect()), params.params(), options)
                .template read_with<row, reader>();
        } else {
            const auto text = ast::render(conn.dialect(), lower());
            return conn.execute_sql(text, params.params(), options).template read_with<row, reader>();
        }
    }

private:
    const Derived& self() const { return static_cast<const Derived&>(*this); }

    static void check_sources() {
        static_assert(boost::mp11::mp_empty<typename Derived::outer_sources>::value,
                      "alchemy: the statement uses a column whose table is not in its FROM "
                      "or JOIN clauses; add .join<Model>(on), .join(source, on) or "
                      ".select_from(...)");
    }

    /// Its SQL is fixed by its type, or by its type and shape_variant().
    template <class D>
    static constexpr bool cached = fixed_per_variant_v<D>;

    const std::string& cached_sql(const Dialect& dialect) const {
        auto render = [this](const Dialect& d) { return ast::render(d, lower()); };
        if constexpr (requires { Derived::shape_variants; })
            return sql_cache<Derived, Derived::shape_variants>::get(dialect, self().shape_variant(), render);
        else return sql_cache<Derived>::get(dialect, render);
    }
};

}  // namespace detail

}  // namespace alchemy
