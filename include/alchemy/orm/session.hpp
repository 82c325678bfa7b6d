// sa::Session: SQLAlchemy's Session — objects in, SQL out, in the right order, all or
// nothing (docs/session.md).
//
//   sa::Session session(engine);                      // or: auto Session = sa::sessionmaker(engine);
//   auto ann = session.add(User{.name = "ann"});      // std::shared_ptr<User>, pending
//   session.commit();                                 // INSERT ... RETURNING id; ann->id is set
//   ann->name = "anne";                               // dirty: differs from the snapshot
//   session.commit();                                 // UPDATE users SET name = ? WHERE id = ?
//   auto same = session.get<User>(ann->id);           // the identity map: same == ann
//
// A Session belongs to one thread at a time. The first query or flush checks a
// connection out of the engine's pool and begins a transaction; commit() and rollback()
// end it and return the connection; close() (and the destructor) roll back whatever was
// not committed and detach every object.
#pragma once

#include "alchemy/orm/detail/model_set.hpp"
#include "alchemy/orm/detail/session_core.hpp"
#include "alchemy/orm/object_state.hpp"
#include "alchemy/orm/query.hpp"

#include <cstdint>
#include <exception>
#include <memory>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

namespace alchemy {

namespace detail {
/// std::shared_ptr<T>: the pointer overloads of add() and merge() take it, so the value
/// overloads must not try it as a model (require_model<> would stop the build).
template <class T>
inline constexpr bool is_shared_ptr_v = false;
template <class T>
inline constexpr bool is_shared_ptr_v<std::shared_ptr<T>> = true;
}  // namespace detail

/// session.begin() / begin_nested(): commit() or rollback() it; if it is destroyed while
/// an exception unwinds, it rolls back. Destroyed otherwise without either, it leaves the
/// transaction open (so `session.begin();` as a statement works as in SQLAlchemy): the
/// session's commit(), rollback() or close() ends it.
class SessionTransaction {
public:
    SessionTransaction(detail::SessionCore& core, std::uint32_t depth) noexcept
        : core_(&core),
          depth_(depth),
          serial_(core.serial_at(depth)),
          exceptions_(std::uncaught_exceptions()) {}
    SessionTransaction(SessionTransaction&& other) noexcept
        : core_(std::exchange(other.core_, nullptr)),
          depth_(other.depth_),
          serial_(other.serial_),
          exceptions_(other.exceptions_) {}
    SessionTransaction& operator=(SessionTransaction&&) = delete;
    ~SessionTransaction() {
        if (is_active() && std::uncaught_exceptions() > exceptions_) {
            try {
                core_->rollback(depth_);
            } catch (...) {  // never throw while unwinding; the session insists on rollback() later
            }
        }
    }

    /// Flushes and commits (a nested one: RELEASE SAVEPOINT).
    void commit() {
        const auto depth = live();  // before core_-> is evaluated: core_ is null once ended
        core_->commit(depth);
        core_ = nullptr;
    }
    /// Rolls back (a nested one: to its SAVEPOINT); a no-op once no longer active, like a
    /// Connection's Transaction.
    void rollback() {
        if (!is_active()) return;
        core_->rollback(depth_);
        core_ = nullptr;
    }
    /// False once committed or rolled back, here or through the session or an enclosing
    /// transaction.
    bool is_active() const noexcept { return core_ && serial_ != 0 && core_->serial_at(depth_) == serial_; }
    bool is_nested() const noexcept { return depth_ > 1; }

private:
    std::uint32_t live() const {
        if (!is_active()) throw InvalidRequestError("alchemy: this transaction is no longer active");
        return depth_;
    }
    detail::SessionCore* core_;
    std::uint32_t depth_;
    std::uint64_t serial_;
    int exceptions_;
};

/// What Session::no_autoflush() returns: autoflush stays off until it is destroyed,
/// then returns to what it was.
class [[nodiscard]] NoAutoflush {
public:
    explicit NoAutoflush(detail::SessionCore& core) noexcept
        : core_(&core), was_(core.set_autoflush(false)) {}
    NoAutoflush(NoAutoflush&& other) noexcept
        : core_(std::exchange(other.core_, nullptr)), was_(other.was_) {}
    NoAutoflush(const NoAutoflush&) = delete;
    NoAutoflush& operator=(const NoAutoflush&) = delete;
    NoAutoflush& operator=(NoAutoflush&&) = delete;
    ~NoAutoflush() {
        if (core_) core_->set_autoflush(was_);
    }

private:
    detail::SessionCore* core_;
    bool was_;
};

class Session {
public:
    explicit Session(Engine engine, SessionOptions options = {})
        : core_(std::make_unique<detail::SessionCore>(std::move(engine), options)) {}
    Session(Session&&) noexcept = default;
    Session& operator=(Session&&) noexcept = default;

    // Transactions --------------------------------------------------------------------------

    /// Begins the transaction explicitly; InvalidRequestError if one is already begun.
    /// `options` hold for this transaction alone, on every connection it uses
    /// (session.begin({.isolation_level = sa::IsolationLevel::serializable, .read_only = true})).
    SessionTransaction begin(const TransactionOptions& options = {}) {
        return {*core_, core_->begin(options)};
    }
    /// Flushes, then opens a SAVEPOINT. A flush that fails inside it rolls back to the
    /// SAVEPOINT only; the enclosing transaction goes on.
    SessionTransaction begin_nested() { return {*core_, core_->begin_nested()}; }
    /// Flushes and commits (releasing any SAVEPOINT still open, whose work is committed
    /// too); with expire_on_commit, every object is expired.
    void commit() { core_->commit(); }
    /// Rolls the transaction back: objects added since it began become transient, deleted
    /// ones persistent again, and every persistent object is expired (unflushed changes
    /// are dropped).
    void rollback() { core_->rollback(); }
    /// Rolls back and detaches every object; the Session can be used again afterwards.
    void close() noexcept { core_->close(); }
    /// Writes pending changes (INSERT, UPDATE, DELETE in foreign-key order) without committing.
    void flush() { core_->flush(); }
    /// SQLAlchemy's `with session.no_autoflush:` — queries and gets skip the autoflush
    /// while the returned guard lives (their results then do not reflect unflushed
    /// changes); flush() and commit() still flush. A loop that holds many objects and
    /// queries between changes saves a comparison of each held object per query.
    NoAutoflush no_autoflush() noexcept { return NoAutoflush(*core_); }
    bool in_transaction() const noexcept { return core_->in_transaction(); }
    /// The connection of the current transaction (begun if none is).
    Connection& connection() { return core_->connection(); }
    const SessionOptions& options() const noexcept { return core_->options(); }

    // Objects -------------------------------------------------------------------------------

    /// Adds a new object (pending until the next flush) and returns the session's pointer to it.
    template <class T>
        requires(!std::is_reference_v<T> && !detail::is_shared_ptr_v<T> && detail::require_model<T>())
    std::shared_ptr<T> add(T object) {
        auto tracked = detail::make_tracked(std::move(object)).object;
        models<T>().add(tracked);
        return tracked;
    }
    /// Adds an object by pointer: transient ones become pending, detached ones persistent.
    template <class T>
        requires(detail::require_model<T>())
    std::shared_ptr<T> add(std::shared_ptr<T> object) {
        if (!object) throw ArgumentError("alchemy: session.add() was given a null pointer");
        models<T>().add(object);
        return object;
    }
    /// add() for each object of a range (of T or std::shared_ptr<T>).
    template <std::ranges::input_range R>
    auto add_all(R&& objects) {
        using E = std::remove_cvref_t<std::ranges::range_value_t<R>>;
        using T = typename std::pointer_traits<decltype(add(std::declval<E>()))>::element_type;
        std::vector<std::shared_ptr<T>> added;
        for (auto&& object : objects) added.push_back(add(E(object)));
        return added;
    }

    /// The object with this primary key: from the identity map, else loaded; null if no row.
    template <class T, class... K>
        requires(detail::require_model<T>())
    std::shared_ptr<T> get(K&&... key) {
        static_assert(sizeof...(K) == model_info<T>::primary_key_count,
                      "alchemy: get<T>(key...) takes one value per primary key column of T");
        return models<T>().get(detail::key_type<T>(std::forward<K>(key)...));
    }
    /// Marks a persistent object for deletion; the DELETE runs at the next flush.
    template <class T>
    void delete_(const std::shared_ptr<T>& object) {
        models<T>().delete_(object);
    }
    /// Copies a detached or transient object's values into the session's object with
    /// the same primary key (loading it, or adding a new one) and returns that object.
    template <class T>
        requires(!detail::is_shared_ptr_v<T> && detail::require_model<T>())
    std::shared_ptr<T> merge(const T& values) {
        detail::MergeMemo memo;
        return models<T>().merge(values, nullptr, memo);
    }
    template <class T>
    std::shared_ptr<T> merge(const std::shared_ptr<T>& object) {
        if (!object) throw ArgumentError("alchemy: session.merge() was given a null pointer");
        if (models<T>().contains(object)) return object;
        detail::MergeMemo memo;
        return models<T>().merge(*object, detail::find_state(object), memo);
    }
    /// Reloads every column of a persistent object now, discarding unflushed changes.
    template <class T>
    void refresh(const std::shared_ptr<T>& object) {
        models<T>().refresh(object);
    }
    /// Marks an object out of date and drops its unflushed changes: it is reloaded when
    /// the session next hands it out (get, a query); refresh() reloads it at once.
    template <class T>
    void expire(const std::shared_ptr<T>& object) {
        models<T>().expire(object);
    }
    void expire_all() noexcept { core_->expire_all(); }
    /// Takes an object out of the session (pending: transient; persistent: detached).
    template <class T>
    void expunge(const std::shared_ptr<T>& object) {
        models<T>().expunge(object);
    }
    void expunge_all() noexcept { core_->expunge_all(); }
    template <class T>
    bool contains(const std::shared_ptr<T>& object) {
        return models<T>().contains(object);
    }
    /// True for a pending object, or a persistent one whose fields differ from the snapshot.
    template <class T>
    bool is_modified(const std::shared_ptr<T>& object) {
        return models<T>().is_modified(object);
    }

    // Queries -------------------------------------------------------------------------------

    template <class T>
        requires(detail::require_model<T>())
    Query<T> query() {
        return Query<T>(*core_);
    }
    /// The session's objects for the rows of sa::select<T>()...: session.scalars(stmt).all();
    /// loader options follow the statement: session.scalars(stmt, sa::selectinload<&T::r>()).
    template <detail::query_statement S, class... Tips>
    auto scalars(const S& statement, const LoadPath<typename S::row_type, Tips>&... options) {
        using T = typename S::row_type;
        static_assert(std::is_same_v<typename S::reader_type, detail::model_reader<T>>,
                      "alchemy: session.scalars() loads objects from sa::select<T>() statements; run "
                      "statements of columns with session.execute()");
        const std::vector<std::vector<detail::LoadStep>> paths{options.path()...};
        auto objects = detail::load_objects<T>(*core_, statement, paths);
        detail::run_loader_options(*core_, objects, paths);
        return ScalarResult<T>(std::move(objects));
    }
    /// Runs a Core statement (select of columns, insert, update, delete, text) in the
    /// session's transaction, after an autoflush. A select runs on the engine of its
    /// tables (or the read replica, SessionOptions), an insert, update or delete on its
    /// table's engine; text(), unions and selects from subqueries on the Session's engine.
    /// With binds, a statement that names a table of another engine than the one it runs
    /// on (in a join, subquery, EXISTS or CTE) is refused with InvalidRequestError.
    /// Rows are values, not session objects, except for a select of several models
    /// (sa::select<Post, User>()), whose rows are std::tuple<std::shared_ptr<Post>,
    /// std::shared_ptr<User>> of the session's objects (null for a left-joined model that
    /// matched no row). Objects a bulk statement changes are not updated (see
    /// query<T>().update()). Inside a yield_per() loop an insert, update or delete of the
    /// table the loop reads is refused, and so is text() SQL the database does not say
    /// only reads (InvalidRequestError, nothing sent).
    template <executable S>
    auto execute(const S& statement) {
        if constexpr (detail::entities_statement<S>) {
            return detail::load_entity_rows(*core_, statement);
        } else {
            core_->autoflush();
            if constexpr (requires { typename S::tables; }) {
                return detail::read_connection_for(*core_, statement).execute(statement);
            } else if constexpr (detail::query_statement<S>) {  // a UNION and the like
                detail::check_bound_tables(*core_, detail::SessionCore::no_model, statement);
                return core_
                    ->select_connection(detail::SessionCore::no_model, [&] { return statement.lower(); })
                    .execute(statement);
            } else if constexpr (requires { typename S::model_type; }) {
                using T = typename S::model_type;
                detail::check_bound_tables(*core_, detail::model_id<T>(), statement);
                return core_->bulk_write_connection(detail::model_ops<T>()).execute(statement);
            } else if constexpr (requires(const Dialect& d) { statement.sql(d); }) {  // text()
                return core_->text_connection([&](const Dialect& d) { return statement.sql(d); })
                    .execute(statement);
            } else {
                return core_->connection().execute(statement);
            }
        }
    }

private:
    template <class T>
    detail::ModelSet<T> models() {
        return detail::ModelSet<T>(core_->models(detail::model_id<T>(), detail::model_ops<T>()));
    }

    std::unique_ptr<detail::SessionCore> core_;
};

/// A Session factory with fixed options: auto Session = sa::sessionmaker(engine); auto s = Session();
class SessionMaker {
public:
    SessionMaker(Engine engine, SessionOptions options) : engine_(std::move(engine)), options_(options) {}
    Session operator()() const { return Session(engine_, options_); }
    Session operator()(SessionOptions options) const { return Session(engine_, options); }

private:
    Engine engine_;
    SessionOptions options_;
};

inline SessionMaker sessionmaker(Engine engine, SessionOptions options = {}) {
    return SessionMaker(std::move(engine), options);
}

}  // namespace alchemy
