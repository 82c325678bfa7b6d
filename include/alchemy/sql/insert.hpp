// sa::insert<T>(): INSERT statements.
//
//   sa::insert<User>().values(user)              one object, a std::vector or a std::span of them
//   sa::insert<User>().values(sa::col<&User::name> = "ann", sa::col<&User::email> = sa::null)
//   sa::insert<Archive>().from_select(query)     INSERT INTO archive (...) SELECT ...
//     .returning(sa::col<&User::id>, ...)        rows read back through the columns' codecs
//     .on_conflict_do_nothing(sa::col<&User::email>)
//     .on_conflict_do_update(sa::col<&User::email>).set(sa::col<&User::name> = sa::excluded<&User::name>)
//
// As in SQLAlchemy, values() again adds to the rows in the same form: objects to the
// objects, assignments to the one row (a later value for a column replacing the earlier
// one, as in set()). Mixing objects, assignments and from_select() does not compile.
//
// Objects whose autoincrement key is unset (0 or empty) leave the key out, so the
// database generates it, and so do std::optional fields with a sa::server_default that
// are empty (schema/model_row.hpp's left_to_database()); RETURNING reads what the
// database chose back. Many objects go out as
// multi-row VALUES statements, as many rows each as the database's limit on bound
// parameters allows (sql/rows_per_statement.hpp), all or nothing as one statement is
// (detail::load_all_or_nothing). Upserts are ON CONFLICT, which PostgreSQL and SQLite
// (3.24 and later) spell alike.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/error.hpp"
#include "alchemy/core/param_buffer.hpp"
#include "alchemy/schema/model_row.hpp"
#include "alchemy/sql/alias.hpp"
#include "alchemy/sql/column.hpp"
#include "alchemy/sql/rows_per_statement.hpp"
#include "alchemy/sql/select.hpp"
#include "alchemy/sql/sql_cache.hpp"

#include <boost/mp11/list.hpp>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace alchemy {

/// What an INSERT returns: the RETURNING rows (Row = void: none) and the row count.
/// Its accessors are Result's (core/result.hpp).
template <class Row>
class InsertResult : public detail::BufferedResult<Row> {
public:
    InsertResult(std::vector<Row> rows, std::int64_t rowcount)
        : detail::BufferedResult<Row>(std::move(rows)), rowcount_(rowcount) {}

    std::int64_t rowcount() const noexcept { return rowcount_; }

private:
    std::int64_t rowcount_;
};

template <>
class InsertResult<void> {
public:
    explicit InsertResult(std::int64_t rowcount) : rowcount_(rowcount) {}
    std::int64_t rowcount() const noexcept { return rowcount_; }

private:
    std::int64_t rowcount_;
};

namespace detail {

/// insert<T>() before .values() or .from_select().
struct no_rows {
    static constexpr bool fixed_shape = true;
};

/// Objects to insert, owned (shared by copies of the statement) or borrowed.
template <class T>
struct object_rows {
    static constexpr bool fixed_shape = true;
    std::shared_ptr<const std::vector<T>> owned;
    std::span<const T> rows;
};

/// One row given as column assignments.
template <class... As>
struct assigned_row {
    static constexpr bool fixed_shape = (As::fixed_shape && ...);
    static constexpr std::size_t shape_variants = combined_shape_variants<As...>;
    std::tuple<As...> assignments;
    std::size_t shape_variant() const noexcept {
        return std::apply([](const auto&... a) { return combined_shape_variant(a...); }, assignments);
    }
};

/// The rows of query S, into the model columns whose indexes the std::index_sequence
/// Columns lists.
template <class S, class Columns>
struct selected_rows {
    static constexpr bool fixed_shape = S::fixed_shape;
    static constexpr std::size_t shape_variants = shape_variants_of<S>;
    std::shared_ptr<const S> query;
    std::size_t shape_variant() const noexcept { return shape_variant_of(*query); }
};

struct no_conflict {
    static constexpr bool fixed_shape = true;
};
/// ON CONFLICT [(targets)] DO NOTHING.
template <class... Targets>
struct conflict_do_nothing {
    static constexpr bool fixed_shape = true;
};
/// ON CONFLICT (targets) DO UPDATE SET assignments.
template <class Targets, class... As>
struct conflict_do_update {
    static constexpr bool fixed_shape = (As::fixed_shape && ...);
    static constexpr std::size_t shape_variants = combined_shape_variants<As...>;
    std::tuple<As...> set;
    std::size_t shape_variant() const noexcept {
        return std::apply([](const auto&... a) { return combined_shape_variant(a...); }, set);
    }
};

template <class R>
inline constexpr bool is_assigned_row_v = false;
template <class... As>
inline constexpr bool is_assigned_row_v<assigned_row<As...>> = true;

template <class C>
inline constexpr bool is_do_update_v = false;
template <class Targets, class... As>
inline constexpr bool is_do_update_v<conflict_do_update<Targets, As...>> = true;
/// on_conflict_do_update(...) without .set(...).
template <class C>
inline constexpr bool is_empty_update_v = false;
template <class Targets>
inline constexpr bool is_empty_update_v<conflict_do_update<Targets>> = true;

/// The model columns an INSERT of whole objects names (without generated keys when
/// SkipGenerated), as indexes.
template <class T, bool SkipGenerated>
consteval auto inserted_columns() {
    constexpr std::size_t count = [] {
        std::size_t n = 0;
        for (const auto& column : model_info<T>::columns) n += SkipGenerated && column.autoincrement ? 0 : 1;
        return n;
    }();
    std::array<std::size_t, count> indexes{};
    std::size_t next = 0;
    for (std::size_t c = 0; c < model_info<T>::column_count; ++c)
        if (!(SkipGenerated && model_info<T>::columns[c].autoincrement)) indexes[next++] = c;
    return indexes;
}
template <class T, bool SkipGenerated, std::size_t... I>
auto inserted_column_list(std::index_sequence<I...>)
    -> std::index_sequence<inserted_columns<T, SkipGenerated>()[I]...>;
template <class T, bool SkipGenerated>
using inserted_column_list_t = decltype(inserted_column_list<T, SkipGenerated>(
    std::make_index_sequence<inserted_columns<T, SkipGenerated>().size()>{}));

/// RETURNING rows: the returned expressions' types, read like SELECT columns.
template <class Returning>
struct returned_rows {
    using row = void;
    static constexpr bool fixed_shape = true;
};
template <class E, class... Es>
struct returned_rows<std::tuple<E, Es...>> {
    using shape = row_for<expression_columns<E, Es...>, type_list<>>;
    using row = typename shape::row;
    using reader = typename shape::reader;
    static constexpr bool fixed_shape = E::fixed_shape && (Es::fixed_shape && ...);
};

/// Runs `load`, several statements that together load `rows` rows (it returns how many
/// they loaded), so that a failure leaves none of them, as one statement's would. Under
/// AUTOCOMMIT they run in a transaction of their own, and the error says that nothing
/// stayed committed (DatabaseError::batch_progress()). In a transaction (or one about to
/// be autobegun) they run in a SAVEPOINT, rolled back to on failure: SQLite undoes only
/// the failing statement, so a caller that caught the error and committed would save the
/// statements before it; PostgreSQL's transaction then goes on as SQLite's does.
template <class Load>
std::int64_t load_all_or_nothing(Connection& conn, std::size_t rows, Load load) {
    if (conn.in_transaction() || conn.isolation_level() != IsolationLevel::autocommit) {
        auto savepoint = conn.begin_nested();  // the guard rolls back on the way out
        const auto loaded = load();
        savepoint.commit();
        return loaded;
    }
    auto transaction = conn.begin();
    try {
        const auto loaded = load();
        transaction.commit();
        return loaded;
    } catch (const DatabaseError& error) {
        rethrow_with_batch_progress(error, {rows, 0, 0});  // the guard rolls back on the way out
    }
}

}  // namespace detail

/// An INSERT into T's table; see the file comment.
template <class T, class Rows = detail::no_rows, class Conflict = detail::no_conflict,
          class Returning = std::tuple<>>
class Insert {
public:
    /// The model whose table is written.
    using model_type = T;
    /// With more than one, the SQL is fixed by the type and shape_variant(): the rows' and
    /// the upsert's variants (a query with limit_offset() in from_select(), say). RETURNING
    /// columns must then be fixed by their types; otherwise nothing is cached.
    static constexpr std::size_t shape_variants =
        detail::returned_rows<Returning>::fixed_shape ? detail::combined_shape_variants<Rows, Conflict> : 1;
    std::size_t shape_variant() const noexcept {
        if constexpr (shape_variants == 1) return 0;
        else return detail::combined_shape_variant(rows_, conflict_);
    }
    using returning_row = typename detail::returned_rows<Returning>::row;

    Insert() = default;
    Insert(Rows rows, Conflict conflict, Returning returning)
        : rows_(std::move(rows)), conflict_(std::move(conflict)), returning_(std::move(returning)) {}

    /// Inserts a copy of `obj`.
    auto values(const T& obj) const { return with_objects(std::vector<T>{obj}); }
    /// Inserts `objs` (moved into the statement).
    auto values(std::vector<T> objs) const { return with_objects(std::move(objs)); }
    /// Inserts `objs` without copying them (unless objects are given already); they must
    /// outlive the execution.
    auto values(std::span<const T> objs) const {
        if constexpr (std::is_same_v<Rows, detail::no_rows>)
            return with_rows(detail::object_rows<T>{nullptr, objs});
        else return with_objects(std::vector<T>(objs.begin(), objs.end()));
    }
    /// One row from column assignments: values(sa::col<&T::a> = x, sa::col<&T::b> = y).
    template <class... As>
        requires(sizeof...(As) > 0 && (detail::is_assignment_v<As> && ...))
    auto values(As... assignments) const {
        static_assert((std::is_same_v<typename As::column::model_type, T> && ...),
                      "alchemy: values() assigns a column of another table than the one inserted");
        static_assert(boost::mp11::mp_empty<detail::concat_t<typename As::sources...>>::value,
                      "alchemy: an inserted value cannot read columns; give values, or use "
                      "from_select()");
        static_assert(std::is_same_v<Rows, detail::no_rows> || detail::is_assigned_row_v<Rows>,
                      "alchemy: insert<T>().values() with column assignments cannot follow values() "
                      "with objects or from_select(); give the rows in one form");
        if constexpr (detail::is_assigned_row_v<Rows>)
            return with_rows(more_assignments(rows_, std::move(assignments)...));
        else return with_rows(detail::assigned_row<As...>{{std::move(assignments)...}});
    }
    template <class U>
        requires(!std::is_convertible_v<const U&, const T&> &&
                 !std::is_convertible_v<const U&, std::span<const T>> && !detail::is_assignment_v<U>)
    auto values(const U&) const {
        static_assert(detail::always_false<U>,
                      "alchemy: insert<T>().values() takes objects of the model T it inserts (one, "
                      "or a std::vector or std::span of them) or column assignments; this is "
                      "something else, e.g. an object of another model");
        return *this;
    }

    /// INSERT INTO t (columns) SELECT ...: without `columns`, the query's columns go to
    /// all of T's columns in order, or to all but the autoincrement key when it selects
    /// one fewer.
    template <detail::query_statement S, auto... Members>
    auto from_select(S query, column_ref<Members>...) const {
        static_assert(boost::mp11::mp_empty<typename S::outer_sources>::value,
                      "alchemy: the statement uses a column whose table is not in its FROM "
                      "or JOIN clauses; add .join<Model>(on), .join(source, on) or "
                      ".select_from(...)");
        static_assert((std::is_same_v<typename column_ref<Members>::model_type, T> && ...),
                      "alchemy: from_select() names a column of another table than the one inserted");
        static_assert(std::is_same_v<Rows, detail::no_rows>,
                      "alchemy: from_select() cannot follow values() or another from_select(); an "
                      "INSERT takes its rows from one query or from values()");
        if constexpr (sizeof...(Members) > 0) {
            return from_query<std::index_sequence<column_ref<Members>::index...>>(std::move(query));
        } else if constexpr (S::column_count == model_info<T>::column_count) {
            return from_query<detail::inserted_column_list_t<T, false>>(std::move(query));
        } else {
            static_assert(S::column_count == detail::inserted_columns<T, true>().size(),
                          "alchemy: from_select() without columns needs a query of as many "
                          "columns as the table has (or one per column but the generated "
                          "key); name the target columns otherwise");
            return from_query<detail::inserted_column_list_t<T, true>>(std::move(query));
        }
    }

    /// ON CONFLICT [(columns)] DO NOTHING: rows that would break a unique constraint on
    /// those columns (any, without columns) are skipped.
    template <auto... Members>
    auto on_conflict_do_nothing(column_ref<Members>...) const {
        static_assert((std::is_same_v<typename column_ref<Members>::model_type, T> && ...),
                      "alchemy: on_conflict_do_nothing() names a column of another table than "
                      "the one inserted");
        return with_conflict(detail::conflict_do_nothing<column_ref<Members>...>{});
    }
    /// ON CONFLICT (columns) DO UPDATE: rows that clash on those (unique) columns update
    /// the existing row instead, with .set(...).
    template <auto... Members>
    auto on_conflict_do_update(column_ref<Members>...) const {
        static_assert(sizeof...(Members) > 0,
                      "alchemy: on_conflict_do_update() needs the conflicting columns (a "
                      "primary key or unique constraint): on_conflict_do_update(sa::col<&T::email>)");
        static_assert((std::is_same_v<typename column_ref<Members>::model_type, T> && ...),
                      "alchemy: on_conflict_do_update() names a column of another table than "
                      "the one inserted");
        return with_conflict(detail::conflict_do_update<std::tuple<column_ref<Members>...>>{});
    }
    /// What DO UPDATE sets: sa::col<&T::name> = sa::excluded<&T::name> (the value the
    /// INSERT proposed), or any value or expression on the existing row. Called again, it
    /// adds assignments; a later one for a column replaces the earlier one.
    template <class... As>
        requires(detail::is_assignment_v<As> && ...)
    auto set(As... assignments) const {
        static_assert(detail::is_do_update_v<Conflict>,
                      "alchemy: set() on an insert says what on_conflict_do_update(...) updates; "
                      "call that first");
        static_assert((std::is_same_v<typename As::column::model_type, T> && ...),
                      "alchemy: set() assigns a column of another table than the one inserted");
        static_assert(detail::subset_v<detail::concat_t<typename As::sources...>,
                                       detail::type_list<T, detail::excluded_row<T>>>,
                      "alchemy: an upsert's set() may read only the inserted table and "
                      "sa::excluded<...> columns");
        if constexpr (detail::is_do_update_v<Conflict>) return add_set(conflict_, std::move(assignments)...);
    }

    /// Reads the given expressions of each inserted row back:
    /// .returning(sa::col<&T::id>). Enums and adapted types read through their codecs.
    template <sql_expression... Es>
        requires(sizeof...(Es) > 0)
    auto returning(Es... expressions) const {
        static_assert(detail::subset_v<detail::concat_t<typename Es::sources...>, detail::type_list<T>>,
                      "alchemy: returning() names a column of another model than the one inserted");
        return Insert<T, Rows, Conflict, std::tuple<Es...>>(rows_, conflict_,
                                                            std::tuple<Es...>{std::move(expressions)...});
    }

    /// The SQL as sent to `dialect` (for objects: that of the first, alone).
    std::string sql(const Dialect& dialect) const {
        check();
        std::string adhoc;
        if constexpr (objects) {
            const auto shape = rows_.rows.empty() ? all_fillable() : left_to_database(rows_.rows.front());
            return object_sql(dialect, shape, 1, 1, adhoc);
        } else {
            return statement_sql(dialect, adhoc);
        }
    }

    /// The statement tree, for the Session's check of the tables it names (for objects:
    /// that of one row).
    detail::ast::Insert lower() const { return lower(0, 1); }

    InsertResult<returning_row> execute_on(Connection& conn) const {
        check();
        std::vector<stored_row> returned;
        std::int64_t rowcount = 0;
        ParamBuffer params;
        std::string adhoc;
        if constexpr (objects) {
            const auto rows = rows_.rows;
            if (rows.empty())
                throw ArgumentError("alchemy: insert<T>().values() was given no objects to insert");
            // The values after the rows are the same in every batch: bound once.
            ParamBuffer tail;
            bind_tail(tail);
            // A batch is a run of rows with the same shape (the same columns left to the
            // database), as many as one statement takes.
            const auto batch_from = [&](std::size_t begin) {
                const auto shape = left_to_database(rows[begin]);
                const std::size_t full = batch_rows(conn.dialect(), shape, tail.size());
                std::size_t end = begin + 1;
                while (end < rows.size() && end - begin < full && left_to_database(rows[end]) == shape) ++end;
                return object_batch{begin, end, shape, full};
            };
            const auto run_batch = [&](const object_batch& batch) {
                params.clear();
                for (std::size_t r = batch.begin; r < batch.end; ++r)
                    bind_inserted(rows[r], params, batch.shape);
                for (const auto& p : tail.params()) params.add(p);
                run(conn, object_sql(conn.dialect(), batch.shape, batch.end - batch.begin, batch.full, adhoc),
                    params, returned, rowcount);
            };
            // One statement is all or nothing by itself: no SAVEPOINT on the common path.
            const auto first = batch_from(0);
            if (first.end == rows.size()) {
                run_batch(first);
            } else {
                detail::load_all_or_nothing(conn, rows.size(), [&] {
                    for (auto batch = first;; batch = batch_from(batch.end)) {
                        run_batch(batch);
                        if (batch.end == rows.size()) return rowcount;
                    }
                });
            }
        } else {
            bind_head(params);
            bind_tail(params);
            run(conn, statement_sql(conn.dialect(), adhoc), params, returned, rowcount);
        }
        if constexpr (std::is_void_v<returning_row>) return InsertResult<void>(rowcount);
        else return InsertResult<returning_row>(std::move(returned), rowcount);
    }

private:
    template <class, class, class, class>
    friend class Insert;

    static constexpr bool objects = std::is_same_v<Rows, detail::object_rows<T>>;
    /// Rows [begin, end) of an object insert, of shape `shape`, in a statement that takes
    /// `full` such rows at most.
    struct object_batch {
        std::size_t begin;
        std::size_t end;
        std::uint64_t shape;
        std::size_t full;
    };
    static constexpr bool fixed_shape =
        Rows::fixed_shape && Conflict::fixed_shape && detail::returned_rows<Returning>::fixed_shape;
    using stored_row = std::conditional_t<std::is_void_v<returning_row>, char, returning_row>;

    /// The shape of an object insert that leaves every fillable column to the database.
    static constexpr std::uint64_t all_fillable() {
        return detail::fillable_count<T> == 64 ? ~std::uint64_t{0}
                                               : (std::uint64_t{1} << detail::fillable_count<T>)-1;
    }

    static void check() {
        static_assert(!std::is_same_v<Rows, detail::no_rows>,
                      "alchemy: insert<T>() needs .values(...) or .from_select(...) before it runs");
        static_assert(!detail::is_empty_update_v<Conflict>,
                      "alchemy: on_conflict_do_update(...) needs .set(...) with the columns to update");
    }

    /// `objs` after the objects given already.
    auto with_objects(std::vector<T> objs) const {
        static_assert(std::is_same_v<Rows, detail::no_rows> || objects,
                      "alchemy: insert<T>().values() with objects cannot follow values() with column "
                      "assignments or from_select(); give the rows in one form");
        if constexpr (objects) objs.insert(objs.begin(), rows_.rows.begin(), rows_.rows.end());
        auto owned = std::make_shared<const std::vector<T>>(std::move(objs));
        std::span<const T> rows(*owned);
        return with_rows(detail::object_rows<T>{std::move(owned), rows});
    }
    template <class R>
    auto with_rows(R rows) const {
        return Insert<T, R, Conflict, Returning>(std::move(rows), conflict_, returning_);
    }
    template <class C>
    auto with_conflict(C conflict) const {
        return Insert<T, Rows, C, Returning>(rows_, std::move(conflict), returning_);
    }
    template <class Columns, class S>
    auto from_query(S query) const {
        check_selected_types<S>(Columns{});
        return with_rows(detail::selected_rows<S, Columns>{std::make_shared<const S>(std::move(query))});
    }
    template <class S, std::size_t... C>
    static void check_selected_types(std::index_sequence<C...>) {
        static_assert(sizeof...(C) == S::column_count,
                      "alchemy: from_select() names as many columns as the query selects");
        if constexpr (sizeof...(C) == S::column_count) {
            []<std::size_t... I>(std::index_sequence<I...>) {
                static_assert((detail::compatible_values<typename detail::column_codec<T, C>::field_type,
                                                         typename S::template column_t<I>>() &&
                               ...),
                              "alchemy: from_select() puts a selected value into a column of an "
                              "incompatible type");
            }(std::make_index_sequence<sizeof...(C)>{});
        }
    }
    template <class... Old, class... As>
    static auto more_assignments(const detail::assigned_row<Old...>& current, As... assignments) {
        return detail::assigned_row<Old..., As...>{
            std::tuple_cat(current.assignments, std::tuple<As...>{std::move(assignments)...})};
    }
    template <class Targets, class... Old, class... As>
    auto add_set(const detail::conflict_do_update<Targets, Old...>& current, As... assignments) const {
        using C = detail::conflict_do_update<Targets, Old..., As...>;
        return with_conflict(C{std::tuple_cat(current.set, std::tuple<As...>{std::move(assignments)...})});
    }

    /// `omitted`: the shape of the objects (see left_to_database()), else 0.
    detail::ast::Insert lower(std::uint64_t omitted, std::size_t rows) const {
        detail::ast::Insert s;
        s.table = model_info<T>::table_name;
        lower_rows(s, omitted, rows);
        lower_conflict(s);
        // RETURNING names the inserted table's columns bare: there is no other table.
        std::apply(
            [&](const auto&... e) {
                (
                    [&] {
                        auto n = e.lower();
                        if (n.kind == detail::ast::Kind::column) n.qualifier = {};
                        s.returning.push_back(std::move(n));
                    }(),
                    ...);
            },
            returning_);
        return s;
    }
    void lower_rows(detail::ast::Insert& s, std::uint64_t omitted, std::size_t rows) const {
        if constexpr (objects) {
            detail::for_each_inserted_column<T>(omitted,
                                                [&](std::string_view name) { s.columns.push_back(name); });
            s.rows = rows;
        } else if constexpr (detail::is_assigned_row_v<Rows>) {
            detail::for_each_written_assignment(rows_.assignments, [&](const auto& a) {
                s.columns.push_back(std::remove_cvref_t<decltype(a)>::column::name);
                s.values.push_back(a.value.lower());
            });
        } else {
            lower_selected(s, rows_);
        }
    }
    template <class S, std::size_t... C>
    static void lower_selected(detail::ast::Insert& s,
                               const detail::selected_rows<S, std::index_sequence<C...>>& rows) {
        (s.columns.push_back(model_info<T>::columns[C].name), ...);
        s.from_select = detail::lower_query(*rows.query);
    }
    void lower_conflict(detail::ast::Insert& s) const {
        using kind = detail::ast::Insert::Conflict;
        if constexpr (std::is_same_v<Conflict, detail::no_conflict>) {
            return;
        } else if constexpr (detail::is_do_update_v<Conflict>) {
            s.conflict = kind::do_update;
            conflict_targets(s, conflict_);
            detail::for_each_written_assignment(conflict_.set,
                                                [&](const auto& a) { s.conflict_set.push_back(a.lower()); });
        } else {
            s.conflict = kind::do_nothing;
            conflict_targets(s, conflict_);
        }
    }
    template <class... Targets>
    static void conflict_targets(detail::ast::Insert& s, detail::conflict_do_nothing<Targets...>) {
        (s.conflict_columns.push_back(Targets::name), ...);
    }
    template <class... Targets, class... As>
    static void conflict_targets(detail::ast::Insert& s,
                                 const detail::conflict_do_update<std::tuple<Targets...>, As...>&) {
        (s.conflict_columns.push_back(Targets::name), ...);
    }

    /// Values of the assigned row or the query, before the conflict clause.
    void bind_head(ParamBuffer& out) const {
        if constexpr (detail::is_assigned_row_v<Rows>)
            detail::for_each_written_assignment(rows_.assignments, [&](const auto& a) { a.bind(out); });
        else detail::bind_query(*rows_.query, out);
    }
    /// Values after the rows: the upsert's SET, then RETURNING.
    void bind_tail(ParamBuffer& out) const {
        if constexpr (detail::is_do_update_v<Conflict>)
            detail::for_each_written_assignment(conflict_.set, [&](const auto& a) { a.bind(out); });
        std::apply([&](const auto&... e) { (e.bind(out), ...); }, returning_);
    }

    /// Rows in a full batch of objects of shape `omitted` beside `other_params` values
    /// of the rest of the statement.
    static std::size_t batch_rows(const Dialect& dialect, std::uint64_t omitted, std::size_t other_params) {
        const auto width = model_info<T>::column_count - static_cast<std::size_t>(std::popcount(omitted));
        // Without any column to name, a row is INSERT ... DEFAULT VALUES: one per statement.
        if (width == 0) return 1;
        return detail::rows_per_statement(dialect, width, other_params);
    }

    std::string render(const Dialect& dialect, std::uint64_t omitted, std::size_t rows) const {
        return detail::ast::render(dialect, lower(omitted, rows));
    }
    /// The text for `rows` objects of shape `omitted`: cached for one row and for a full
    /// batch of `full_batch` rows (always the same for a dialect and shape), else
    /// rendered into `adhoc`.
    const std::string& object_sql(const Dialect& dialect, std::uint64_t omitted, std::size_t rows,
                                  std::size_t full_batch, std::string& adhoc) const {
        if constexpr (fixed_shape) {
            if (rows == 1 || rows == full_batch)
                return detail::keyed_sql_cache<Insert, std::pair<std::uint64_t, bool>>::get(
                    dialect, {omitted, rows == 1},
                    [&](const Dialect& d) { return render(d, omitted, rows); });
        }
        return adhoc = render(dialect, omitted, rows);
    }
    const std::string& statement_sql(const Dialect& dialect, std::string& adhoc) const {
        if constexpr (fixed_shape || shape_variants > 1)
            return detail::sql_cache<Insert, shape_variants>::get(
                dialect, shape_variant(), [this](const Dialect& d) { return render(d, 0, 1); });
        else return adhoc = render(dialect, 0, 1);
    }

    static void run(Connection& conn, const std::string& sql, const ParamBuffer& params,
                    std::vector<stored_row>& returned, std::int64_t& rowcount) {
        auto result = conn.execute_sql(sql, params.params());
        rowcount += result.rowcount();
        if constexpr (!std::is_void_v<returning_row>) {
            using reader = typename detail::returned_rows<Returning>::reader;
            auto rows = std::move(result).template read_with<returning_row, reader>().all();
            returned.insert(returned.end(), std::make_move_iterator(rows.begin()),
                            std::make_move_iterator(rows.end()));
        }
    }

    Rows rows_{};
    Conflict conflict_{};
    Returning returning_{};
};

/// INSERT INTO T's table; add rows with .values(...) or .from_select(...).
template <class T>
    requires(detail::require_model<T>())
Insert<T> insert() {
    return {};
}

}  // namespace alchemy
