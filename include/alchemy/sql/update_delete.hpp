// sa::update<T>().values(sa::col<&T::a> = v, ...).where(...)[.returning(cols...)]
// sa::delete_<T>().where(...)[.returning(cols...)]
// Like select, each call returns a new statement type whose SQL is cached per dialect.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/param_buffer.hpp"
#include "alchemy/sql/column.hpp"
#include "alchemy/sql/select.hpp"

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace alchemy {

namespace detail {

/// The rows RETURNING gives: the returned expressions' types, read like SELECT columns.
template <class Returning>
struct returning_of {
    using row = void;
    using reader = void;
};
template <sql_expression E, sql_expression... Es>
struct returning_of<std::tuple<E, Es...>> {
    using row = row_of_t<selected_t<E, type_list<>>, selected_t<Es, type_list<>>...>;
    using reader = selected_reader<row, E, Es...>;
};

template <class Tuple>
struct tuple_sources;
template <class... Es>
struct tuple_sources<std::tuple<Es...>> {
    using type = concat_t<typename Es::sources...>;
    static constexpr bool fixed_shape = (Es::fixed_shape && ...);
    static constexpr std::size_t shape_variants = combined_shape_variants<Es...>;
};

/// The shape variants of the parts of the tuples Tuples together (shape_variant.hpp).
template <class... Tuples>
inline constexpr std::size_t tuples_shape_variants =
    tuple_sources<decltype(std::tuple_cat(std::declval<Tuples>()...))>::shape_variants;

/// Which of tuples_shape_variants<Tuples...> the parts of `tuples` are in.
template <class... Tuples>
std::size_t tuples_shape_variant(const Tuples&... tuples) noexcept {
    if constexpr (tuples_shape_variants<Tuples...> == 1) {
        return 0;
    } else {
        const auto parts =
            std::tuple_cat(std::apply([](const auto&... part) { return std::tie(part...); }, tuples)...);
        return std::apply([](const auto&... part) { return combined_shape_variant(part...); }, parts);
    }
}

template <class T, class Tuple>
constexpr void check_single_table() {
    static_assert(subset_v<typename tuple_sources<Tuple>::type, type_list<T>>,
                  "alchemy: the statement uses a column of another table; UPDATE and DELETE "
                  "may only refer to the table they change");
}

/// What UPDATE and DELETE share: SQL cached per statement type when its shape is fixed,
/// or per type and shape_variant() when it embeds a limited query, and execution reading
/// RETURNING rows through the columns' codecs. Derived provides fixed_shape,
/// shape_variants, shape_variant(), check(), render(dialect), bind(out) and its
/// Returning tuple.
template <class Derived, class Returning>
class dml_statement {
public:
    using returning_row = typename returning_of<Returning>::row;

    /// The SQL as sent to `dialect`.
    std::string sql(const Dialect& dialect) const {
        Derived::check();
        if constexpr (cached()) return cached_sql(dialect);
        else return self().render(dialect);
    }

    auto execute_on(Connection& conn) const {
        Derived::check();
        ParamBuffer params;
        self().bind(params);
        // A cached text is sent as it is, not copied per execution.
        auto result = [&] {
            if constexpr (cached()) return conn.execute_sql(cached_sql(conn.dialect()), params.params());
            else return conn.execute_sql(self().render(conn.dialect()), params.params());
        }();
        if constexpr (std::is_void_v<returning_row>) return result;
        else
            return std::move(result)
                .template read_with<returning_row, typename returning_of<Returning>::reader>();
    }

private:
    const Derived& self() const { return static_cast<const Derived&>(*this); }

    /// Its SQL is fixed by its type, or by its type and shape_variant() (Derived is
    /// complete only once a member function is instantiated).
    static constexpr bool cached() { return Derived::fixed_shape || Derived::shape_variants > 1; }

    const std::string& cached_sql(const Dialect& dialect) const {
        return sql_cache<Derived, Derived::shape_variants>::get(
            dialect, self().shape_variant(), [this](const Dialect& d) { return self().render(d); });
    }
};

}  // namespace detail

template <class T, class Set, class Where, class Returning>
class Update : public detail::dml_statement<Update<T, Set, Where, Returning>, Returning> {
public:
    /// The model whose table is written.
    using model_type = T;
    /// With more than one, the SQL is fixed by the type and shape_variant() (a query with
    /// limit_offset() in it; shape_variant.hpp).
    static constexpr std::size_t shape_variants = detail::tuples_shape_variants<Set, Where, Returning>;
    std::size_t shape_variant() const noexcept {
        return detail::tuples_shape_variant(set_, where_, returning_);
    }

    Update(Set set, Where where, Returning returning)
        : set_(std::move(set)), where_(std::move(where)), returning_(std::move(returning)) {}

    /// SET column = value, ...: sa::col<&T::name> = "x", sa::col<&T::n> = sa::col<&T::n> + 1
    /// (SQLAlchemy's update(T).values(...)); before or after where(), and more than once: a
    /// later value for a column replaces the earlier one.
    template <class... Assignments>
    auto values(Assignments... assignments) const {
        static_assert((detail::is_assignment_v<Assignments> && ...),
                      "alchemy: update().values() takes column assignments: "
                      "values(sa::col<&T::field> = value, ...)");
        static_assert((detail::assigns_column_of<Assignments, T>() && ...),
                      "alchemy: values() assigns a column of another table than the one updated");
        return Update<T, decltype(std::tuple_cat(set_, std::tuple<Assignments...>{assignments...})), Where,
                      Returning>(std::tuple_cat(set_, std::tuple<Assignments...>{std::move(assignments)...}),
                                 where_, returning_);
    }
    template <sql_expression E>
    auto where(E condition) const {
        return Update<T, Set, decltype(detail::append(where_, condition)), Returning>(
            set_, detail::append(where_, std::move(condition)), returning_);
    }
    template <sql_expression... Es>
    auto returning(Es... columns) const {
        return Update<T, Set, Where, std::tuple<Es...>>(set_, where_,
                                                        std::tuple<Es...>{std::move(columns)...});
    }

    void bind(ParamBuffer& out) const {
        detail::for_each_written_assignment(set_, [&](const auto& a) { a.bind(out); });
        std::apply([&](const auto&... e) { (e.bind(out), ...); }, where_);
        std::apply([&](const auto&... e) { (e.bind(out), ...); }, returning_);
    }
    /// The statement tree (for the renderer, and for the Session's check of the tables
    /// it names).
    detail::ast::Update lower() const {
        detail::ast::Update u;
        u.table = model_info<T>::table_name;
        detail::for_each_written_assignment(set_, [&](const auto& a) { u.set.push_back(a.lower()); });
        std::apply([&](const auto&... e) { (u.where.push_back(e.lower()), ...); }, where_);
        std::apply([&](const auto&... e) { (u.returning.push_back(e.lower()), ...); }, returning_);
        return u;
    }

private:
    friend class detail::dml_statement<Update, Returning>;
    static constexpr bool fixed_shape = detail::tuple_sources<Set>::fixed_shape &&
                                        detail::tuple_sources<Where>::fixed_shape &&
                                        detail::tuple_sources<Returning>::fixed_shape;
    static void check() {
        static_assert(std::tuple_size_v<Set> > 0, "alchemy: update<T>() needs values(...) before it runs");
        detail::check_single_table<T, Set>();
        detail::check_single_table<T, Where>();
        detail::check_single_table<T, Returning>();
    }
    std::string render(const Dialect& dialect) const { return detail::ast::render(dialect, lower()); }

    Set set_;
    Where where_;
    Returning returning_;
};

template <class T, class Where, class Returning>
class Delete : public detail::dml_statement<Delete<T, Where, Returning>, Returning> {
public:
    /// The model whose table is written.
    using model_type = T;
    /// With more than one, the SQL is fixed by the type and shape_variant() (a query with
    /// limit_offset() in it; shape_variant.hpp).
    static constexpr std::size_t shape_variants = detail::tuples_shape_variants<Where, Returning>;
    std::size_t shape_variant() const noexcept { return detail::tuples_shape_variant(where_, returning_); }

    Delete(Where where, Returning returning) : where_(std::move(where)), returning_(std::move(returning)) {}

    template <sql_expression E>
    auto where(E condition) const {
        return Delete<T, decltype(detail::append(where_, condition)), Returning>(
            detail::append(where_, std::move(condition)), returning_);
    }
    template <sql_expression... Es>
    auto returning(Es... columns) const {
        return Delete<T, Where, std::tuple<Es...>>(where_, std::tuple<Es...>{std::move(columns)...});
    }

    void bind(ParamBuffer& out) const {
        std::apply([&](const auto&... e) { (e.bind(out), ...); }, where_);
        std::apply([&](const auto&... e) { (e.bind(out), ...); }, returning_);
    }
    /// The statement tree (for the renderer, and for the Session's check of the tables
    /// it names).
    detail::ast::Delete lower() const {
        detail::ast::Delete d;
        d.table = model_info<T>::table_name;
        std::apply([&](const auto&... e) { (d.where.push_back(e.lower()), ...); }, where_);
        std::apply([&](const auto&... e) { (d.returning.push_back(e.lower()), ...); }, returning_);
        return d;
    }

private:
    friend class detail::dml_statement<Delete, Returning>;
    static constexpr bool fixed_shape =
        detail::tuple_sources<Where>::fixed_shape && detail::tuple_sources<Returning>::fixed_shape;
    static void check() {
        detail::check_single_table<T, Where>();
        detail::check_single_table<T, Returning>();
    }
    std::string render(const Dialect& dialect) const { return detail::ast::render(dialect, lower()); }

    Where where_;
    Returning returning_;
};

/// UPDATE T's table; add assignments with .set(...).
template <class T>
    requires(detail::require_model<T>())
auto update() {
    return Update<T, std::tuple<>, std::tuple<>, std::tuple<>>({}, {}, {});
}

/// DELETE FROM T's table (every row, unless .where(...) narrows it).
template <class T>
    requires(detail::require_model<T>())
auto delete_() {
    return Delete<T, std::tuple<>, std::tuple<>>({}, {});
}

}  // namespace alchemy
