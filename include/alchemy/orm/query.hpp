// session.query<T>(): SQLAlchemy's legacy Query (the tutorial's spelling) over model T.
//
//   session.query<User>().filter(sa::col<&User::age> >= 18).order_by(sa::col<&User::name>)
//          .limit(10).all()                                -> std::vector<std::shared_ptr<User>>
//   session.query<User>().filter_by<&User::name>("ann").one()
//   session.query<User>().filter(...).update(sa::col<&User::email> = sa::null)
//   session.query<User>().filter(...).delete_(sa::synchronize_session::fetch)
//
// Objects come through the session's identity map (one object per row). Queries
// autoflush first. Bulk update()/delete_() run one statement, then bring the session's
// objects in line as synchronize_session says.
#pragma once

#include "alchemy/orm/detail/evaluate.hpp"
#include "alchemy/orm/detail/joined_loader.hpp"
#include "alchemy/orm/detail/model_set.hpp"
#include "alchemy/orm/detail/query_run.hpp"
#include "alchemy/orm/detail/relationship_loader.hpp"
#include "alchemy/orm/loading.hpp"
#include "alchemy/sql/functions.hpp"
#include "alchemy/sql/insert.hpp"
#include "alchemy/sql/select.hpp"
#include "alchemy/sql/shape_variant.hpp"
#include "alchemy/sql/sql_cache.hpp"
#include "alchemy/sql/subquery.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

namespace alchemy {

/// How a bulk update() or delete_() updates the objects already in the session.
enum class synchronize_session {
    none,      ///< not at all: they keep their old values until refreshed
    evaluate,  ///< the WHERE clause runs in C++ on each object; matches change likewise
    fetch,     ///< RETURNING says which rows changed; their objects take the new values
    auto_,     ///< evaluate when the criteria can be evaluated in C++, else fetch (default)
};

namespace detail {

/// filter_by<&T::field>(value): `field = value`, or IS NULL for an empty optional (so
/// that an index on the column serves it; docs/expressions.md). The column is known at
/// compile time. Unless the value may be empty (ValueMayBeNull: a std::optional or
/// std::nullopt given for an optional field) the SQL text is one per member and cached;
/// an empty value's text differs, so then it is rendered each time.
template <auto Member, bool ValueMayBeNull>
struct field_equals {
    using model_type = model_of_t<decltype(Member)>;
    using field_type = typename member_pointer_traits<decltype(Member)>::field;
    using value_type = bool;
    using sources = type_list<model_type>;
    static constexpr std::size_t column = column_index_of<Member>;
    static constexpr bool fixed_shape = !ValueMayBeNull;

    field_type value;

    bool is_null() const noexcept {
        if constexpr (ValueMayBeNull) return !value.has_value();
        else return false;
    }
    ast::Node lower() const {
        ast::Node col(ast::Kind::column, model_info<model_type>::columns[column].name,
                      model_info<model_type>::table_name);
        if (is_null()) {
            ast::Node n{ast::Kind::postfix, "IS NULL"};
            n.add(std::move(col));
            return n;
        }
        ast::Node n{ast::Kind::binary, "="};
        n.add(std::move(col));
        n.add(ast::Node(ast::Kind::parameter));
        return n;
    }
    void bind(ParamBuffer& out) const {
        if (!is_null()) column_codec<model_type, column>::bind(value, out);
    }
};

template <auto Member, bool ValueMayBeNull, class T>
    requires std::same_as<typename field_equals<Member, ValueMayBeNull>::model_type, T>
struct evaluator<field_equals<Member, ValueMayBeNull>, T> {
    static std::optional<bool> eval(const field_equals<Member, ValueMayBeNull>& e, const T& obj) {
        const auto& field = field_of<field_equals<Member, ValueMayBeNull>::column>(obj);
        if (e.is_null()) return !known(field).has_value();
        if (known(field) && known(e.value)) return *known(field) == *known(e.value);
        return std::nullopt;
    }
};

/// The checks of filter_by<Member>(value) on a query of T, one message at a time.
template <class T, auto Member, class V>
consteval bool check_filter_by() {
    using M = decltype(Member);
    if constexpr (!field_pointer<M> || !std::is_same_v<model_of_t<M>, T>) {
        static_assert(always_false<M>,
                      "alchemy: filter_by<&T::field>(value) names a field of the queried model T");
        return false;
    } else if constexpr (is_mixin_v<typename member_pointer_traits<M>::field>) {
        static_assert(always_false<M>,
                      "alchemy: filter_by() names a member that holds a mixin; filter on one of its "
                      "columns with filter(sa::col<&T::mixin, &Mixin::field> == value)");
        return false;
    } else if constexpr (is_relationship_v<typename member_pointer_traits<M>::field>) {
        static_assert(always_false<M>,
                      "alchemy: filter_by() names a relationship, which is not a column; filter on "
                      "its foreign-key column, as filter_by<&Post::user_id>(id)");
        return false;
    } else {
        constexpr bool comparable = compatible_values<typename member_pointer_traits<M>::field, V>();
        static_assert(comparable, "alchemy: filter_by() compares a field with a value of another type");
        return comparable;
    }
}

/// The WHERE of a query with no filter() yet: no SQL, so one fixed shape.
struct no_filter {
    using sources = type_list<>;
    static constexpr bool fixed_shape = true;
};

template <class T, class Where>
inline constexpr bool where_evaluable_v = evaluable<Where, T>;
template <class T>
inline constexpr bool where_evaluable_v<T, no_filter> = true;

}  // namespace detail

/// The result of session.scalars(select<T>()...): the session's objects for the rows,
/// with Result's accessors (core/result.hpp); "no row" is a null pointer.
template <class T>
class ScalarResult : public detail::BufferedResult<std::shared_ptr<T>> {
public:
    explicit ScalarResult(std::vector<std::shared_ptr<T>> objects)
        : detail::BufferedResult<std::shared_ptr<T>>(std::move(objects)) {}
};

namespace detail {
/// The model id a FROM or JOIN tag reads: a model's, an alias's model's; no_model for a
/// subquery or a CTE, whose tables alchemy does not place.
template <class Tag>
std::size_t model_of_tag() {
    if constexpr (requires { typename Tag::model_type; }) return model_id<typename Tag::model_type>();
    else if constexpr (std::is_base_of_v<named_columns<Tag>, Tag>) return SessionCore::no_model;
    else return model_id<Tag>();
}

/// SELECT `S`'s model id: its first table's; no_model when it has no table, or one
/// alchemy cannot place.
template <class S>
std::size_t model_of_tables() {
    return []<class... Ts>(type_list<Ts...>) {
        const std::size_t models[] = {model_of_tag<Ts>()..., SessionCore::no_model};
        for (std::size_t i = 0; i < sizeof...(Ts); ++i)
            if (models[i] == SessionCore::no_model) return SessionCore::no_model;
        return models[0];
    }(typename S::tables{});
}

/// With binds, SessionCore::check_tables of `statement`, which runs on model id `model`'s
/// engine; without, the statement is not even lowered.
template <class S>
void check_bound_tables(const SessionCore& core, std::size_t model, const S& statement) {
    if (core.has_binds()) core.check_tables(model, statement.lower());
}

/// The connection to run SELECT `statement` with (SessionCore::select_connection).
template <class S>
Connection& read_connection_for(SessionCore& core, const S& statement) {
    const auto model = model_of_tables<S>();
    check_bound_tables(core, model, statement);
    return core.select_connection(model, [&] { return statement.lower(); });
}

/// Runs a SELECT of model T's columns and returns the session's objects for its rows.
template <class T, class S>
std::vector<std::shared_ptr<T>> load_objects(SessionCore& core, const S& statement) {
    core.autoflush();
    std::vector<std::shared_ptr<T>> objects;
    adopt_rows<T>(core, read_connection_for(core, statement).execute(statement), objects);
    remember_query_group(core, objects);
    return objects;
}
}  // namespace detail

namespace detail {
/// load_objects(), with the relationships joined_steps() names joined into the
/// statement (src/orm/joined_loader.cpp).
template <class T, class S>
std::vector<std::shared_ptr<T>> load_objects(SessionCore& core, const S& statement,
                                             std::span<const std::vector<LoadStep>> paths) {
    const auto joined = joined_steps(model_ops<T>(), paths);
    if (joined.empty()) return load_objects<T>(core, statement);
    ParamBuffer params;
    statement.bind(params);
    auto rows = load_joined(core, model_ops<T>(), statement.lower(), params.params(), joined);
    std::vector<std::shared_ptr<T>> objects;
    objects.reserve(rows.size());
    for (auto& row : rows) objects.push_back(std::static_pointer_cast<T>(std::move(row)));
    return objects;
}

/// After a query of T: the loader options' paths, then the mapping's lazy(sa::Lazy::selectin).
template <class T>
void run_loader_options(SessionCore& core, const std::vector<std::shared_ptr<T>>& objects,
                        std::span<const std::vector<LoadStep>> paths) {
    if (paths.empty() && !loads_eagerly(model_ops<T>())) return;
    std::vector<InstanceState*> states;
    states.reserve(objects.size());
    for (const auto& object : objects) states.push_back(find_state(object));
    for (const auto& path : paths) load_path(core, states, path);
    load_eager(core, model_ops<T>(), states);
}

template <class Reader>
inline constexpr bool entities_reader_v = false;
template <class Row, class... Ts>
inline constexpr bool entities_reader_v<entities_reader<Row, Ts...>> = true;

/// A SELECT of several models: sa::select<Post, User>().join<User>(...).
template <class S>
concept entities_statement = query_statement<S> && entities_reader_v<typename S::reader_type>;

/// The session's object for the model of a row of several whose columns start at
/// `first`; none for a left-joined model that matched no row (a NULL primary key).
template <class E>
auto adopt_entity(SessionCore& core, const Cursor& row, int first) {
    using T = without_optional_t<E>;
    ObjectAndState adopted;
    if constexpr (std::is_same_v<E, T>)
        adopted = core.models(model_id<T>(), model_ops<T>()).adopt_row(row, first);
    else adopted = adopt_row<T>(core, row, first);
    return std::static_pointer_cast<T>(std::move(adopted.first));
}

/// The distinct objects of column I of rows of objects (none for a left join's misses).
template <std::size_t I, class Rows>
auto distinct_column(const Rows& rows) {
    std::vector<std::remove_cvref_t<decltype(std::get<I>(rows.front()))>> objects;
    std::unordered_set<const void*> seen;
    for (const auto& row : rows)
        if (const auto& object = std::get<I>(row); object && seen.insert(object.get()).second)
            objects.push_back(object);
    return objects;
}

/// Runs a SELECT of several models; each row becomes a tuple of the session's objects
/// (one object per primary key, as with load_objects()), and each model's objects are a
/// query result of their own for lazy loads and the mapping's eager loads.
template <class S>
auto load_entity_rows(SessionCore& core, const S& statement) {
    core.autoflush();
    return [&]<class... Es>(std::type_identity<std::tuple<Es...>>) {
        // Each model's columns follow the previous model's, as the statement selects them.
        static constexpr auto firsts = [] {
            const std::array<int, sizeof...(Es)> widths{
                static_cast<int>(model_info<without_optional_t<Es>>::column_count)...};
            std::array<int, sizeof...(Es)> out{};
            for (std::size_t i = 1; i < out.size(); ++i) out[i] = out[i - 1] + widths[i - 1];
            return out;
        }();
        std::vector<std::tuple<std::shared_ptr<without_optional_t<Es>>...>> rows;
        {
            // Each model's set holds its objects while the rows are read (HeldLoads nest
            // where a model appears twice).
            std::array<std::optional<ModelSetCore::HeldLoad>, sizeof...(Es)> held;
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                (held[I].emplace(
                     core.models(model_id<without_optional_t<Es>>(), model_ops<without_optional_t<Es>>())),
                 ...);
            }(std::index_sequence_for<Es...>{});
            read_connection_for(core, statement).execute(statement).each_row([&](const Cursor& row) {
                [&]<std::size_t... I>(std::index_sequence<I...>) {
                    rows.emplace_back(adopt_entity<Es>(core, row, firsts[I])...);
                }(std::index_sequence_for<Es...>{});
            });
        }
        if (!rows.empty()) {
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                (
                    [&] {
                        const auto objects = distinct_column<I>(rows);
                        remember_query_group(core, objects);
                        run_loader_options(core, objects, {});
                    }(),
                    ...);
            }(std::index_sequence_for<Es...>{});
        }
        return rows;
    }(std::type_identity<typename S::row_type>{});
}
}  // namespace detail

/// The objects of session.query<T>().yield_per(n): rows come from the database in
/// batches of `n` as the loop reads them, each becomes the session's object as it
/// arrives, the loader options run for each batch, and before each batch the session
/// lets go of the objects the loop dropped (unless they have changes to flush), so memory
/// follows what the loop keeps. While it reads, the session refuses a flush that would
/// write a table its statement reads on the same connection (SessionCore::stream_started).
/// The session's commit(), rollback() and close() (and its end) end the rows, as does the
/// rollback of a begin_nested() the loop started in: the loop's next batch then throws
/// InvalidRequestError. An input range, read once; not copyable or movable
/// (it is read where yield_per() returned it).
template <class T, class Rows>
class StreamedObjects : private detail::StreamReader {
public:
    /// `query`: the statement the rows come from. `loads`: the query's loader options, run
    /// for each batch when `load_batches`.
    StreamedObjects(detail::SessionCore& core, Connection& conn, const detail::QueryStatement& query,
                    Rows rows, std::size_t batch, std::vector<std::vector<detail::LoadStep>> loads,
                    bool load_batches)
        : core_(&core),
          set_(&core.models(detail::model_id<T>(), detail::model_ops<T>())),
          rows_(std::move(rows)),
          batch_size_(batch),
          loads_(std::move(loads)),
          load_batches_(load_batches) {
        core.stream_started(detail::model_id<T>(), conn, *this, query);
    }
    StreamedObjects(StreamedObjects&&) = delete;
    ~StreamedObjects() { end_stream(); }

    class iterator {
    public:
        using value_type = std::shared_ptr<T>;
        using difference_type = std::ptrdiff_t;
        using iterator_category = std::input_iterator_tag;

        iterator() = default;
        const std::shared_ptr<T>& operator*() const { return owner_->batch_[owner_->position_]; }
        iterator& operator++() {
            owner_->next();
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& i, std::default_sentinel_t) { return i.at_end(); }

    private:
        friend class StreamedObjects;
        explicit iterator(StreamedObjects* owner) : owner_(owner) {}
        bool at_end() const noexcept { return owner_->position_ == owner_->batch_.size(); }
        StreamedObjects* owner_ = nullptr;
    };

    /// Single pass: begin() reads the first batch.
    iterator begin() {
        row_ready_ = rows_.next_row();
        read_batch();
        return iterator(this);
    }
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    void next() {
        if (++position_ == batch_.size()) read_batch();
    }
    void read_batch() {
        batch_.clear();  // the loop's copies decide which objects stay
        position_ = 0;
        if (!core_)
            throw InvalidRequestError(
                "alchemy: the Session of this yield_per() loop committed, rolled back or closed while "
                "the loop read, which ended its rows; finish the loop first, or stream through a "
                "second Session");
        set_->reap();
        // A row ahead is read, so that the stream ends with its last row.
        for (; batch_.size() < batch_size_ && row_ready_; row_ready_ = rows_.next_row())
            batch_.push_back(std::static_pointer_cast<T>(set_->adopt_row(rows_.current_row(), 0).first));
        if (!row_ready_) end_stream();
        if (load_batches_ && !batch_.empty()) load_batch();
    }
    /// The loader options for this batch. Like the stream's own rows, their statements
    /// do not autoflush: the stream flushed once before it began.
    void load_batch() {
        const bool autoflush = core_->set_autoflush(false);
        try {
            detail::run_loader_options(*core_, batch_, loads_);
        } catch (...) {
            core_->set_autoflush(autoflush);
            throw;
        }
        core_->set_autoflush(autoflush);
    }
    void end_stream() noexcept {
        if (std::exchange(reading_, false)) core_->stream_ended(*this);
    }
    void session_ended() noexcept override {
        rows_.close();  // before the connection it reads on is given back
        reading_ = false;
        core_ = nullptr;
    }

    detail::SessionCore* core_;  ///< null once the session ended the rows
    bool reading_ = true;        ///< false once the rows have ended
    detail::ModelSetCore* set_;
    Rows rows_;
    bool row_ready_ = false;  ///< rows_ is at a row not read yet
    std::vector<std::shared_ptr<T>> batch_;
    std::size_t position_ = 0;
    std::size_t batch_size_;
    std::vector<std::vector<detail::LoadStep>> loads_;
    bool load_batches_;
};

/// Where: the filters so far, ANDed into one condition (detail::no_filter before the
/// first); Order: a tuple of ORDER BY items.
template <class T, class Where = detail::no_filter, class Order = std::tuple<>>
class Query {
public:
    Query(detail::SessionCore& core, Where where = {}, Order order = {},
          std::optional<std::int64_t> limit = {}, std::optional<std::int64_t> offset = {},
          std::vector<std::vector<detail::LoadStep>> loads = {})
        : core_(&core),
          where_(std::move(where)),
          order_(std::move(order)),
          limit_(limit),
          offset_(offset),
          loads_(std::move(loads)) {}

    /// WHERE condition (several filter() calls are ANDed).
    template <sql_expression E>
    auto filter(E condition) const {
        if constexpr (std::is_same_v<Where, detail::no_filter>)
            return Query<T, E, Order>(*core_, std::move(condition), order_, limit_, offset_, loads_);
        else
            return Query<T, decltype(where_ && condition), Order>(*core_, where_ && std::move(condition),
                                                                  order_, limit_, offset_, loads_);
    }
    /// WHERE field = value: filter_by<&User::name>("ann"); an empty optional means IS NULL.
    /// The member is a template argument so that it is checked, and its column found, at
    /// compile time.
    template <auto Member, class V>
    auto filter_by(V&& value) const {
        if constexpr (detail::check_filter_by<T, Member, std::remove_cvref_t<V>>()) {
            using F = typename detail::member_pointer_traits<decltype(Member)>::field;
            using Given = detail::without_optional_t<std::remove_cvref_t<V>>;
            constexpr bool may_be_null = detail::nullable_v<F> && detail::maybe_null_value_v<V>;
            // A number of another type than the field's is compared as itself (10.7 matches
            // no int), as `==` does; converted to F it could match another value.
            if constexpr (detail::is_number_v<Given> && !std::is_same_v<Given, detail::without_optional_t<F>>)
                return filter(col<Member> == std::forward<V>(value));
            else return filter(detail::field_equals<Member, may_be_null>{F(std::forward<V>(value))});
        } else {
            return *this;  // check_filter_by() has reported the mistake
        }
    }
    /// ORDER BY items (appended to earlier ones): columns, col.desc(), sa::desc(e).
    template <class... Items>
    auto order_by(Items... items) const {
        using O = decltype(detail::append(order_, items...));
        return Query<T, Where, O>(*core_, where_, detail::append(order_, std::move(items)...), limit_,
                                  offset_, loads_);
    }
    /// Loader options: sa::selectinload/joinedload/lazyload/raiseload<&T::rel>() and paths
    /// from them.
    template <class... Tips>
    Query options(const LoadPath<T, Tips>&... paths) const {
        Query q = *this;
        (q.loads_.push_back(paths.path()), ...);
        return q;
    }
    Query limit(std::int64_t n) const {
        Query q = *this;
        q.limit_ = n;
        return q;
    }
    Query offset(std::int64_t n) const {
        Query q = *this;
        q.offset_ = n;
        return q;
    }

    /// The SELECT this query runs (without limit/offset), e.g. for a subquery.
    auto statement() const { return build(select<T>()); }

    std::vector<std::shared_ptr<T>> all() const {
        auto objects = detail::query_objects<T>(*core_, parts(), loads_);
        detail::run_loader_options(*core_, objects, loads_);
        return objects;
    }
    /// Streams the objects instead of loading them all (SQLAlchemy's yield_per): see
    /// StreamedObjects. `rows` > 0 is the batch: how many objects arrive, and have their
    /// loader options run, at a time. On PostgreSQL the session's connection runs nothing
    /// else until the loop ends or the result is destroyed, so the loop must not query or
    /// flush through this session meanwhile, and loads that need a statement per batch
    /// are refused here; on SQLite a flush must not write a table the query reads
    /// meanwhile (docs/session.md). A joinedload option is refused on both.
    auto yield_per(std::size_t rows) const {
        check_runnable();
        if (rows == 0) throw ArgumentError("alchemy: yield_per() needs a batch of at least one row");
        const bool load_batches = detail::check_streamed_loads(detail::model_ops<T>(), loads_,
                                                               core_->dialect_of(detail::model_id<T>()));
        core_->autoflush();
        auto& conn = detail::query_connection(*core_, detail::model_id<T>(), parts());
        ParamBuffer params;
        bind_values(this, params);
        std::string scratch;
        auto result = conn.execute_sql(sql_in_form(this, conn.dialect(), detail::query_form::rows, scratch),
                                       params.params(), {.stream_results = true})
                          .template as<T>();
        return StreamedObjects<T, decltype(result)>(*core_, conn, parts(), std::move(result), rows, loads_,
                                                    load_batches);
    }
    /// The first row's object (LIMIT 1), or null.
    std::shared_ptr<T> first() const {
        auto objects = limit(1).all();
        return objects.empty() ? nullptr : objects.front();
    }
    /// The only row's object, else NoResultFound / MultipleResultsFound.
    std::shared_ptr<T> one() const { return ScalarResult<T>(all()).one(); }
    std::shared_ptr<T> one_or_none() const { return ScalarResult<T>(all()).one_or_none(); }

    /// SELECT count(*) FROM (this query).
    std::int64_t count() const { return detail::count_rows(*core_, detail::model_id<T>(), parts()); }
    /// SELECT EXISTS (this query).
    bool exists() const { return detail::any_rows(*core_, detail::model_id<T>(), parts()); }
    /// session.get<T>(key...): the identity map first, then a SELECT.
    template <class... K>
    std::shared_ptr<T> get(K&&... key) const {
        return set().get(detail::key_type<T>(std::forward<K>(key)...));
    }

    /// UPDATE T SET assignments WHERE this query's filters; returns the rows matched. As in
    /// SQLAlchemy the synchronize_session option comes last, if given:
    /// update(sa::col<&T::a> = 1, sa::col<&T::b> = 2, sa::synchronize_session::fetch).
    template <class... Args>
    std::int64_t update(Args... args) const {
        constexpr std::size_t count = sizeof...(Args);
        constexpr bool option_last =
            count > 0 && std::is_same_v<std::tuple_element_t<count - (count > 0), std::tuple<Args..., void>>,
                                        synchronize_session>;
        constexpr std::size_t assignments = count - option_last;
        std::tuple<Args...> all{std::move(args)...};
        return [&]<std::size_t... I>(std::index_sequence<I...>) -> std::int64_t {
            constexpr bool well_formed =
                assignments > 0 &&
                (detail::is_assignment_v<std::tuple_element_t<I, std::tuple<Args...>>> && ...);
            static_assert(well_formed,
                          "alchemy: query<T>().update() takes column assignments, then optionally a "
                          "sa::synchronize_session last: update(sa::col<&T::field> = value, "
                          "sa::synchronize_session::fetch)");
            if constexpr (well_formed) {
                synchronize_session sync = synchronize_session::auto_;
                if constexpr (option_last) sync = std::get<count - 1>(all);
                return bulk_update(sync, std::get<I>(std::move(all))...);
            } else {
                return 0;
            }
        }(std::make_index_sequence<assignments>{});
    }

    /// DELETE FROM T WHERE this query's filters; returns the rows deleted.
    std::int64_t delete_(synchronize_session sync = synchronize_session::auto_) const {
        check_runnable();
        check_bulk();
        core_->autoflush();
        constexpr bool evaluable = detail::where_evaluable_v<T, Where>;
        const bool chosen = sync == synchronize_session::auto_;
        if (chosen) sync = evaluable ? synchronize_session::evaluate : synchronize_session::fetch;
        if (sync == synchronize_session::evaluate && !evaluable) throw_not_evaluable();
        std::vector<detail::InstanceState*> matched;
        if constexpr (evaluable)
            if (sync == synchronize_session::evaluate)
                sync = evaluated(chosen, [&] { matched = matching_objects(); });
        detail::ast::Delete d;
        d.table = model_info<T>::table_name;
        lower_where(d.where);
        if (sync == synchronize_session::fetch) add_all_columns(d.returning);
        ParamBuffer params;
        bind_where(params);
        core_->check_tables(detail::model_id<T>(), d);
        auto& conn = core_->bulk_write_connection(detail::model_ops<T>());
        auto result = conn.execute_sql(detail::ast::render(conn.dialect(), d), params.params());
        auto models = set();
        if (sync == synchronize_session::fetch) {
            std::int64_t count = 0;
            for (auto& row : std::move(result).template as<T>()) {
                ++count;
                if (auto* state = models.state_with_key_of(row)) models.mark_deleted(*state);
            }
            return count;
        }
        const auto count = result.rowcount();
        for (auto* st : matched) models.mark_deleted(*st);
        return count;
    }

private:
    template <class, class, class>
    friend class Query;

    /// The query's FROM is T alone, so when it runs its filters and order may read no other
    /// table. (statement() may: as a correlated subquery its statement reads the tables of
    /// the statement around it.)
    template <class Part>
    static constexpr bool reads_only_model =
        boost::mp11::mp_empty<detail::difference_t<typename Part::sources, detail::type_list<T>>>::value;
    template <class... Items>
    static constexpr bool order_reads_only_model(std::tuple<Items...>*) {
        return (reads_only_model<Items> && ...);
    }
    static constexpr bool runnable =
        reads_only_model<Where> && order_reads_only_model(static_cast<Order*>(nullptr));
    static void check_runnable() {
        static_assert(runnable,
                      "alchemy: query<T>() filters or orders by a column of another table than T's; "
                      "reach it through a subquery (sa::exists, in_) or use "
                      "session.scalars(sa::select<T>().join<U>(...))");
    }

    template <class... As>
    std::int64_t bulk_update(synchronize_session sync, As... assignments) const {
        static_assert((std::is_same_v<typename As::column::model_type, T> && ...),
                      "alchemy: query<T>().update() assigns a column of another model than T");
        static_assert(!(model_info<T>::columns[As::column::index].version || ...),
                      "alchemy: query<T>().update() assigns the sa::version() column, which it adds one "
                      "to itself; leave it out");
        check_runnable();
        check_bulk();
        core_->autoflush();
        std::tuple<As...> set_clause{std::move(assignments)...};
        constexpr bool evaluable =
            detail::where_evaluable_v<T, Where> && (detail::evaluable<decltype(As::value), T> && ...);
        const bool chosen = sync == synchronize_session::auto_;
        if (chosen) sync = evaluable ? synchronize_session::evaluate : synchronize_session::fetch;
        if (sync == synchronize_session::evaluate && !evaluable) throw_not_evaluable();
        constexpr bool assigns_key = (model_info<T>::columns[As::column::index].primary_key || ...);
        std::vector<EvaluatedRow<As...>> rows;
        if constexpr (evaluable)
            if (sync == synchronize_session::evaluate)
                sync = evaluated(chosen, [&] { rows = evaluate_rows(set_clause); });
        if (sync == synchronize_session::fetch && assigns_key) throw_key_not_fetchable();
        detail::ast::Update u;
        u.table = model_info<T>::table_name;
        detail::for_each_written_assignment(set_clause, [&](const auto& a) { u.set.push_back(a.lower()); });
        if constexpr (detail::versioned<T>) {
            // A writer holding the row's version from before this UPDATE must find it changed.
            const auto name = model_info<T>::columns[detail::version_column<T>].name;
            detail::ast::Node bumped(detail::ast::Kind::binary, "+");
            bumped.children.emplace_back(detail::ast::Kind::column, name);
            bumped.children.emplace_back(detail::ast::Kind::keyword, "1");
            u.set.push_back({name, std::move(bumped)});
        }
        lower_where(u.where);
        if (sync == synchronize_session::fetch) add_all_columns(u.returning);
        ParamBuffer params;
        detail::for_each_written_assignment(set_clause, [&](const auto& a) { a.bind(params); });
        bind_where(params);
        core_->check_tables(detail::model_id<T>(), u);
        auto& conn = core_->bulk_write_connection(detail::model_ops<T>());
        auto result = conn.execute_sql(detail::ast::render(conn.dialect(), u), params.params());
        if (sync == synchronize_session::fetch) return take_returned(std::move(result), set_clause);
        const auto count = result.rowcount();
        if (sync == synchronize_session::evaluate) apply_evaluated<As...>(rows);
        return count;
    }

    detail::ModelSet<T> set() const {
        return detail::ModelSet<T>(core_->models(detail::model_id<T>(), detail::model_ops<T>()));
    }

    template <class S>
    auto build(S s) const {
        auto filtered = [&] {
            if constexpr (std::is_same_v<Where, detail::no_filter>) return s;
            else return s.where(where_);
        }();
        if constexpr (std::tuple_size_v<Order> == 0) return filtered;
        else return std::apply([&](const auto&... o) { return filtered.order_by(o...); }, order_);
    }
    [[noreturn]] static void throw_not_evaluable() {
        throw ArgumentError(
            "alchemy: synchronize_session::evaluate cannot evaluate this query's "
            "criteria or values in C++ as the database will (LIKE, functions, subqueries, or a "
            "comparison of text, enums, adapted types or times); use fetch");
    }
    /// Runs `evaluate`, which computes what synchronize_session::evaluate needs before the
    /// statement is sent, and returns the mode to go on with. Where C++ cannot compute
    /// what the database will, a mode auto_ `chosen` fetches instead, and an explicit
    /// evaluate throws ArgumentError; either before anything is sent.
    template <class F>
    static synchronize_session evaluated(bool chosen, F&& evaluate) {
        try {
            evaluate();
            return synchronize_session::evaluate;
        } catch (const detail::cannot_evaluate&) {
            if (!chosen)
                throw ArgumentError(
                    "alchemy: synchronize_session::evaluate cannot compute this statement for an object of "
                    "the session as the database will (a NaN, an integer overflow, or a value its field "
                    "cannot hold as the database stores it); use fetch");
        }
        return synchronize_session::fetch;
    }
    [[noreturn]] static void throw_key_not_fetchable() {
        throw ArgumentError(
            "alchemy: update() assigns the primary key, and synchronize_session::fetch finds the "
            "session's objects by the keys the rows come back with, the new ones; use evaluate "
            "(criteria and values C++ can compute), or none and expunge() the objects first");
    }
    void check_bulk() const {
        if (limit_ || offset_ || std::tuple_size_v<Order> != 0)
            throw ArgumentError(
                "alchemy: update()/delete_() apply to every row the filters match; "
                "remove order_by(), limit() and offset() from the query");
    }
    void lower_where(std::vector<detail::ast::Node>& where) const {
        if constexpr (has_filter) where.push_back(where_.lower());
    }
    void bind_where(ParamBuffer& out) const {
        if constexpr (has_filter) where_.bind(out);
    }
    /// Whether `row` meets every filter, evaluated in C++ (synchronize_session::evaluate).
    bool matches(const T& row) const {
        if constexpr (has_filter) return detail::eval(where_, row) == std::optional<bool>(true);
        else return true;
    }
    /// evaluate: calls f(state, row) for each persistent object the filters match, with
    /// `row` its snapshot: the row as the last flush or load left it, which the statement
    /// will read, whatever the program changed since under no_autoflush(). Expired objects
    /// are left out: they load their rows again when next handed out.
    template <class F>
    void for_each_match(F&& f) const {
        set().for_each_persistent([&](T&, detail::InstanceState& st) {
            if (st.expired) return;
            const auto& row = *static_cast<const T*>(st.snapshot);
            if (matches(row)) f(st, row);
        });
    }
    std::vector<detail::InstanceState*> matching_objects() const {
        std::vector<detail::InstanceState*> matched;
        for_each_match([&](detail::InstanceState& st, const T&) { matched.push_back(&st); });
        return matched;
    }
    static constexpr bool has_filter = !std::is_same_v<Where, detail::no_filter>;

    // What running this query needs of its type (detail/query_run.hpp): SELECT T's columns
    // FROM T with the filters, the order and LIMIT/OFFSET, as build(select<T>()) would;
    // its SQL is cached per type, LIMIT/OFFSET combination and form, like a Select's.
    detail::QueryStatement parts() const {
        check_runnable();
        return {this, &lower_in_form, &sql_in_form, &bind_values};
    }

    static detail::ast::Select lower_in_form(const void* self, detail::query_form form) {
        const auto& query = *static_cast<const Query*>(self);
        detail::ast::Select s;
        detail::all_columns_of<T>{}.lower(s);
        s.from.push_back(detail::table_source<T>{}.table_ref());
        query.lower_where(s.where);
        std::apply([&](const auto&... o) { (s.order_by.push_back(detail::as_order_item(o).lower()), ...); },
                   query.order_);
        query.limits().lower(s);
        return detail::in_form(std::move(s), form);
    }
    static std::string_view sql_in_form(const void* self, const Dialect& dialect, detail::query_form form,
                                        std::string& scratch) {
        const auto render = [&](const Dialect& d) {
            return detail::ast::render(d, lower_in_form(self, form));
        };
        if constexpr (fixed_per_variant) {
            const auto variant = static_cast<const Query*>(self)->shape_variant() * detail::query_forms +
                                 static_cast<std::size_t>(form);
            return detail::sql_cache<Query, shape_variants * detail::query_forms>::get(dialect, variant,
                                                                                       render);
        } else {
            scratch = render(dialect);
            return scratch;
        }
    }
    static void bind_values(const void* self, ParamBuffer& out) {
        const auto& query = *static_cast<const Query*>(self);
        query.bind_where(out);
        std::apply([&](const auto&... o) { (detail::as_order_item(o).bind(out), ...); }, query.order_);
        query.limits().bind(out);
    }
    detail::limit_offset_clause limits() const { return {limit_, offset_}; }

    template <class... Items>
    static constexpr std::size_t parts_shape_variants(std::tuple<Items...>*) {
        return detail::combined_shape_variants<Where, Items..., detail::limit_offset_clause>;
    }
    static constexpr std::size_t shape_variants = parts_shape_variants(static_cast<Order*>(nullptr));
    /// Whether the SQL is fixed by the type and shape_variant(): LIMIT and OFFSET make
    /// variants, so it is unless a part is not fixed at all or the variants multiply past
    /// the cap (shape_variant.hpp).
    static constexpr bool fixed_per_variant = shape_variants > 1;
    std::size_t shape_variant() const noexcept {
        return std::apply(
            [&](const auto&... o) { return detail::combined_shape_variant(where_, o..., limits()); }, order_);
    }
    static void add_all_columns(std::vector<detail::ast::Node>& returning) {
        for (const auto& column : model_info<T>::columns)
            returning.emplace_back(detail::ast::Kind::column, column.name);
    }

    /// The columns a bulk UPDATE assigns.
    template <class... As>
    static detail::ColumnMask assigned_columns() {
        detail::ColumnMask columns;
        (columns.set(As::column::index), ...);
        return columns;
    }

    /// The columns a bulk UPDATE changes: those it assigns, and the version.
    template <class... As>
    static detail::ColumnMask changed_columns() {
        auto columns = assigned_columns<As...>();
        if constexpr (detail::versioned<T>) columns.set(detail::version_column<T>);
        return columns;
    }

    /// fetch: the objects of the returned rows take the changed columns' new values.
    template <class... As>
    std::int64_t take_returned(Result<> result, const std::tuple<As...>&) const {
        auto models = set();
        std::int64_t count = 0;
        std::vector<detail::InstanceState*> assigned;
        for (auto& row : std::move(result).template as<T>()) {
            ++count;
            if (auto* state = models.state_with_key_of(row)) {
                auto& obj = *static_cast<T*>(state->object);
                ((detail::field_of<As::column::index>(obj) = detail::field_of<As::column::index>(row)), ...);
                if constexpr (detail::versioned<T>)
                    detail::field_of<detail::version_column<T>>(obj) =
                        detail::field_of<detail::version_column<T>>(row);
                assigned.push_back(state);
            }
        }
        models.synchronize_assigned(assigned, changed_columns<As...>());
        return count;
    }

    /// evaluate: a matching object and the values the SET clause gives its columns.
    template <class... As>
    using EvaluatedRow = std::pair<detail::InstanceState*, std::tuple<typename As::column::field_type...>>;

    /// evaluate, before the UPDATE is sent: each matching object and its new values,
    /// computed from its row as SQL computes them, every value from the old row.
    template <class... As>
    std::vector<EvaluatedRow<As...>> evaluate_rows(const std::tuple<As...>& set_clause) const {
        std::vector<EvaluatedRow<As...>> rows;
        for_each_match([&](detail::InstanceState& st, const T& row) {
            rows.emplace_back(&st, [&]<std::size_t... I>(std::index_sequence<I...>) {
                return std::tuple<typename As::column::field_type...>{
                    field_value<As>(detail::eval(std::get<I>(set_clause).value, row))...};
            }(std::index_sequence_for<As...>{}));
        });
        return rows;
    }
    /// evaluate, after the UPDATE: the objects take their new values, and the version the
    /// UPDATE gave their rows.
    template <class... As>
    void apply_evaluated(std::vector<EvaluatedRow<As...>>& rows) const {
        std::vector<detail::InstanceState*> assigned;
        for (auto& row : rows) {
            auto* st = row.first;
            auto& values = row.second;
            auto& obj = *static_cast<T*>(st->object);
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                ((detail::field_of<As::column::index>(obj) = std::move(std::get<I>(values))), ...);
            }(std::index_sequence_for<As...>{});
            if constexpr (detail::versioned<T>) {
                constexpr auto version = detail::version_column<T>;
                detail::field_of<version>(obj) =
                    detail::field_of<version>(*static_cast<const T*>(st->snapshot)) + 1;
            }
            assigned.push_back(st);
        }
        set().synchronize_assigned(assigned, changed_columns<As...>());
    }
    /// A SET value as its field holds it; cannot_evaluate where the field would not hold
    /// what the database stores.
    template <class A, class V>
    static typename A::column::field_type field_value(const std::optional<V>& value) {
        using F = typename A::column::field_type;
        if constexpr (detail::nullable_v<F>) {
            if (!value) return F{};
            return F(detail::exact_value<typename F::value_type>(*value));
        } else {
            if (!value) throw detail::cannot_evaluate{};  // NULL into NOT NULL: the database refuses it
            return detail::exact_value<F>(*value);
        }
    }

    detail::SessionCore* core_;
    Where where_;
    Order order_;
    std::optional<std::int64_t> limit_;
    std::optional<std::int64_t> offset_;
    std::vector<std::vector<detail::LoadStep>> loads_;
};

}  // namespace alchemy
