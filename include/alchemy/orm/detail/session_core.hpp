// The non-template half of a Session: its connection and transactions, the unit of
// work's ordering of tables, and the state changes that commit, rollback and close make.
// Each model the session has seen has a ModelSetCore (model_set.hpp) doing its objects'
// part.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/engine.hpp"
#include "alchemy/orm/detail/relationship_members.hpp"
#include "alchemy/schema/table.hpp"
#include "alchemy/sql/alias.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace alchemy {

template <class T>
struct model_info;

namespace detail {

/// A small number per model type, so a session finds its ModelSetCore by index.
std::size_t next_model_id() noexcept;
template <class T>
std::size_t model_id() noexcept {
    static const std::size_t id = next_model_id();
    return id;
}

}  // namespace detail

/// A model whose rows live in another database than the Session's engine:
/// `sa::bind<AuditLog>(audit_engine)` in SessionOptions::binds, SQLAlchemy's
/// `Session(binds={AuditLog: audit_engine})`.
struct Bind {
    std::size_t model;  ///< detail::model_id<T>()
    Engine engine;
    std::string_view table;  ///< T's table: how statements name it
    const void* identity;    ///< detail::model_identity<T>(), as statement trees mark T's table
};
/// A table a statement names, and the model whose table it is where the statement tree
/// says (SessionCore::check_tables).
struct NamedTable {
    std::string_view name;
    const void* model;  ///< detail::model_identity<T>(), or null
};

template <class T>
Bind bind(Engine engine) {
    return {detail::model_id<T>(), std::move(engine), model_info<T>::table_name, detail::model_identity<T>()};
}

/// sessionmaker / Session options, with SQLAlchemy's names and defaults.
struct SessionOptions {
    /// Flush pending changes before each query, so queries see them.
    bool autoflush = true;
    /// Mark every object expired after commit(): reloaded when next handed out.
    bool expire_on_commit = true;
    /// Models kept in other databases. Each engine gets a connection and a transaction of
    /// its own; commit() commits them one after the other, which is not atomic across
    /// engines (docs/scaling.md). A statement that names tables of different engines (a
    /// join, or a subquery or EXISTS over another engine's model) is refused.
    std::vector<Bind> binds{};
    /// Reads of models on the Session's engine (queries, get(), relationship loads,
    /// session.scalars() and selects through session.execute()) go to this engine, a
    /// streaming replica, until the transaction writes; from then on everything goes to
    /// the Session's engine, so the transaction reads what it wrote (docs/scaling.md).
    std::optional<Engine> read_replica{};
    /// commit() in two phases (SQLAlchemy's twophase=True, PostgreSQL only): PREPARE
    /// TRANSACTION on every engine, then COMMIT PREPARED on each, so that either every
    /// engine keeps the work or none does (docs/scaling.md says what remains).
    bool twophase = false;
};

namespace detail {

namespace ast {
struct Select;
struct Insert;
struct Update;
struct Delete;
}  // namespace ast

struct ModelOps;
struct QueryStatement;
class ModelSetCore;
struct RelationshipOps;
struct InstanceState;
class ToOne;

/// The keys of the objects one query (or relationship load) returned, so that a lazy load
/// for one of them loads the others too (relationship_loader.hpp).
struct LoadGroup {
    std::vector<std::int64_t> keys;
};

/// A yield_per() loop, as the Session sees it: the Session ends it when it commits, rolls
/// back or closes, so that no loop reads on a connection the Session gave back (or from a
/// Session that is gone).
class StreamReader {
public:
    /// Closes the loop's rows; its next batch throws InvalidRequestError.
    virtual void session_ended() noexcept = 0;

protected:
    StreamReader() = default;
    StreamReader(const StreamReader&) = default;
    StreamReader& operator=(const StreamReader&) = default;
    ~StreamReader() = default;
};

/// The drops count_drop() (relationship_ops.hpp) counted so far.
std::uint64_t drops_counted() noexcept;

class SessionCore {
public:
    SessionCore(Engine engine, SessionOptions options);
    SessionCore(const SessionCore&) = delete;
    SessionCore& operator=(const SessionCore&) = delete;
    ~SessionCore();

    const SessionOptions& options() const noexcept { return options_; }

    /// The connection of the current transaction on the Session's engine, checked out and
    /// begun on first use, for statements that may write. Throws PendingRollbackError
    /// after a failed flush until rollback() is called.
    Connection& connection();
    /// The same for model id `model` (its bind's engine).
    Connection& write_connection(std::size_t model);
    /// write_connection(), for an INSERT, UPDATE or DELETE of the table of `ops`' model
    /// that the Session runs as given (session.execute(), bulk update()/delete_()); throws
    /// InvalidRequestError when it would change rows a yield_per() loop still reads
    /// (stream_started). On PostgreSQL the connection itself refuses any statement then.
    Connection& bulk_write_connection(const ModelOps& ops);
    /// connection(), for text() SQL: alchemy cannot tell which table it writes, so while
    /// a yield_per() loop reads on that connection (SQLite runs other statements then)
    /// only SQL the database says only reads may run; anything else throws
    /// InvalidRequestError before it is sent. `sql(dialect)` renders the statement.
    template <class Sql>
    Connection& text_connection(Sql&& sql) {
        auto& conn = connection();
        if (!streams_.empty()) refuse_text_write_to_streams(conn, sql(conn.dialect()));
        return conn;
    }
    /// The connection to read model id `model` with: the read replica's while the model is
    /// on the Session's engine and the transaction has neither written nor is flushing,
    /// else its own.
    Connection& read_connection(std::size_t model);
    /// The connection to run a SELECT of model id `model` with, as read_connection(); but a
    /// select that calls a function other than alchemy's own (sa::func may name nextval()
    /// or a lock), or whose tables alchemy cannot place (no_model: a UNION, a select
    /// without FROM), may write, so it runs on the Session's engine and counts as a write.
    /// `lower()` gives the statement's tree; it is called only where the replica would read.
    template <class Lower>
    Connection& select_connection(std::size_t model, Lower&& lower) {
        if (model != no_model && !(reads_replica(model) && calls_server_function(lower())))
            return read_connection(model);
        will_write();
        return connection_to(0);
    }
    /// Model id `model`'s own engine, never the replica, without counting as a write:
    /// reads that must see the latest data (refresh()).
    Connection& own_connection(std::size_t model) { return connection_to(database_of(model)); }
    /// A model id bound to nothing: the Session's engine.
    static constexpr std::size_t no_model = static_cast<std::size_t>(-1);
    /// The transaction is about to write (delete_() loads what the delete cascades to):
    /// from now on it reads from the primary, as after a write.
    void will_write() noexcept { wrote_ = true; }
    /// The dialect of model id `model`'s engine.
    const Dialect& dialect_of(std::size_t model) const noexcept {
        return databases_[database_of(model)].engine.dialect();
    }
    /// The index of model id `model`'s engine among the session's databases: two models
    /// can be joined in one statement only when these are equal.
    std::size_t database_of(std::size_t model) const noexcept {
        return model < database_of_.size() ? database_of_[model] : 0;
    }
    /// Throws InvalidRequestError unless model ids `a` and `b` are on one engine, as a
    /// statement that joins their tables needs.
    void check_same_database(std::size_t a, std::size_t b) const;
    /// Whether SessionOptions::binds puts models in other databases; only then can a
    /// statement name tables of two (check_tables).
    bool has_binds() const noexcept { return !options_.binds.empty(); }
    /// With binds, throws InvalidRequestError unless every table `statement` names (in
    /// FROM and JOIN, as the table it writes, and in its subqueries, EXISTS and CTEs) is in
    /// the database of model id `model`, where it runs: there, a bound model's table would
    /// be another table of that name, or none (src/orm/statement_tables.cpp).
    void check_tables(std::size_t model, const ast::Select& statement) const;
    void check_tables(std::size_t model, const ast::Insert& statement) const;
    void check_tables(std::size_t model, const ast::Update& statement) const;
    void check_tables(std::size_t model, const ast::Delete& statement) const;

    /// `automatic`: an autoflush, which leaves delete-orphan children for an explicit one.
    void flush(bool automatic = false);
    /// Turns autoflush on or off; returns what it was.
    bool set_autoflush(bool on) noexcept { return std::exchange(options_.autoflush, on); }
    /// flush() when autoflush is on (queries call it before they run).
    void autoflush() {
        if (options_.autoflush && !flushing_) flush(true);
    }

    /// Begins the session's transaction explicitly, with `options` on each connection it
    /// uses; returns its depth (1).
    std::uint32_t begin(const TransactionOptions& options = {});
    /// Flushes, then opens a SAVEPOINT; returns its depth (2, 3, ...).
    std::uint32_t begin_nested();
    /// Commits (depth 1: flush + COMMIT; deeper: flush + RELEASE SAVEPOINT).
    void commit(std::uint32_t depth = 1);
    /// Rolls back to the start of the transaction (depth 1) or the SAVEPOINT.
    void rollback(std::uint32_t depth = 1);
    void close() noexcept;
    /// Identifies the transaction open at `depth` (1: the root), so a guard can tell its
    /// own from a later one at the same depth; 0 when none is open there.
    std::uint64_t serial_at(std::uint32_t depth) const noexcept;
    /// Depth of the innermost open transaction; 0 when none is open.
    std::uint32_t depth() const noexcept;
    bool in_transaction() const noexcept { return transaction_open_; }

    void expire_all() noexcept;
    void expunge_all() noexcept;

    // Relationships ------------------------------------------------------------------------

    /// BelongsTo `ref` of `owner` (an object of this session) was assigned: the foreign key
    /// takes the target's key at the next flush, and a new target joins the session
    /// (SQLAlchemy's save-update cascade).
    void foreign_key_assigned(InstanceState& owner, const RelationshipOps& rel, ToOne& ref);
    /// ManyToMany `rel` of `owner` linked (or unlinked) `target`: an association row is
    /// inserted (or deleted) at the next flush; a new target joins the session.
    void link_changed(InstanceState& owner, const RelationshipOps& rel, const std::shared_ptr<void>& target,
                      bool linked);
    /// Calls f(owner, rel, target) for each BelongsTo assignment that waits for the flush
    /// (target null: none), oldest first. The database does not have them yet
    /// (no_autoflush(), or an orphan an autoflush left), so a relationship loaded now is
    /// shown them (set_loaded in relationship_loader.hpp).
    template <class F>
    void each_foreign_key_assigned(F&& f) const {
        for (const auto& w : foreign_keys_)
            if (!w.superseded) f(w.owner, *w.rel, w.target);
    }
    /// Calls f(owner, rel, target, linked) for each ManyToMany link made (or removed)
    /// that waits for the flush, oldest first; a load is shown them too.
    template <class F>
    void each_link_changed(F&& f) const {
        for (const auto& l : links_) f(l.owner, *l.rel, l.target, l.linked);
    }
    /// expire(), refresh(), expire_all() of the objects for which `of` holds: drops the
    /// relationship changes they made that wait for the flush (the foreign keys their
    /// BelongsTo were assigned, the links their ManyToMany made or removed), as their
    /// column changes are dropped, and takes those changes back from the other side's
    /// collections in memory.
    void discard_relationship_changes(const std::function<bool(const InstanceState&)>& of);
    /// `state` (or, null, every object) leaves the Session: the relationship changes it
    /// made that wait for the flush go back to its members (ToOne::keep_assigned,
    /// Associated::keep_change), so that adding it to a Session again writes them, as its
    /// column changes are; this Session no longer writes them.
    void hand_back_relationship_changes(const InstanceState* state);
    /// Records that `states` (objects of `ops`' model, each once or more) were loaded together.
    void remember_group(const ModelOps& ops, std::span<InstanceState* const> states);
    /// remember_group() one object at a time, so that a loop that touches each loaded
    /// object anyway records the group too, rather than a pass of its own. One object,
    /// even added several times, is no group: it keeps the one it has. The group holds
    /// what was added when the maker goes, whether the load ended or failed.
    class GroupMaker {
    public:
        /// `expected`: how many objects are likely to be added.
        GroupMaker(SessionCore& session, const ModelOps& ops, std::size_t expected);
        GroupMaker(const GroupMaker&) = delete;
        GroupMaker& operator=(const GroupMaker&) = delete;
        ~GroupMaker();
        void add(InstanceState& state);

    private:
        void mark(InstanceState& state);
        SessionCore& session_;
        const ModelOps& ops_;
        std::uint32_t id_ = 0;  ///< 0: the model's key is not one column, so no group
        InstanceState* first_ = nullptr;
        bool first_marked_ = false;
        std::vector<std::int64_t> keys_;
    };
    /// The group `state` was loaded with, if it is still current.
    const LoadGroup* group_of(const InstanceState& state) const noexcept;
    /// Where the Session stands in the events that can end an object a collection holds
    /// weakly (CollectionEntries::any_expired): objects that left it, and objects with
    /// relationships that the program dropped anywhere.
    Departures departures() const noexcept { return {serial_, objects_left_, drops_counted()}; }
    /// An object left the Session (detach).
    void object_left() noexcept { ++objects_left_; }
    /// The delete cascade marked an object for deletion; during a flush (delete-orphan)
    /// that changed collections in memory, so a failure of the flush needs rollback().
    void marked_deleted(InstanceState&) noexcept {
        if (flushing_) orphans_deleted_ = true;
    }

    // Streams ------------------------------------------------------------------------------

    /// A yield_per() loop reads model id `model` on `conn`, running `query`, until
    /// stream_ended(). Where the backend runs other statements meanwhile (SQLite), a flush
    /// must not write on that connection any table the query reads (its joins' and
    /// subqueries' too): the loop could step a changed row again, or miss one
    /// (https://www.sqlite.org/isolation.html). Where it runs none (PostgreSQL), a flush
    /// must not write on that connection at all. flush() refuses both before it sends
    /// anything.
    void stream_started(std::size_t model, Connection& conn, StreamReader& reader,
                        const QueryStatement& query);
    void stream_ended(const StreamReader& reader) noexcept;

    /// The objects of model id `id` (whose operations are `ops`), made on first use.
    ModelSetCore& models(std::size_t id, const ModelOps& ops) {
        if (id < sets_.size() && sets_[id]) return *sets_[id];
        return make_models(id, ops);
    }

private:
    void check_usable() const;
    /// A COMMIT failed on databases_[before] after those before it committed: their
    /// models' objects end as after a commit.
    void end_committed_databases(std::size_t before, bool expire) noexcept;
    /// Whether read_connection(model) would give the read replica's connection.
    bool reads_replica(std::size_t model) const noexcept;
    /// Whether `statement` calls a function alchemy does not spell itself: one that may
    /// write (src/orm/statement_tables.cpp).
    static bool calls_server_function(const ast::Select& statement);
    /// check_tables() of the tables a statement names, CTEs left out.
    void check_tables_named(std::size_t model, std::span<const NamedTable> tables) const;
    void open_transaction() noexcept;
    /// After a statement of a flush failed: rolls back the innermost SAVEPOINT, or else
    /// the whole transaction (the Session then needs rollback()).
    void abandon_failed_flush() noexcept;
    /// Rolls back every connection's transaction, SAVEPOINTs and all, whatever state it is in.
    void roll_back_connections() noexcept;
    void release_connections() noexcept;
    Connection& connection_to(std::size_t database);
    void end_all(bool committed, std::uint32_t depth) noexcept;
    /// Ends the read replica's transaction before the writers commit: it only read, and
    /// its failure must not fail a commit.
    void end_replica_reads() noexcept;
    /// commit()'s COMMITs when SessionOptions::twophase is set.
    void commit_two_phase();
    // The order of a flush (src/orm/flush_order.cpp) ----------------------------------------

    /// Puts the model sets in flush_order_ as groups, parents' groups first: a group is
    /// one set, or the sets whose tables' foreign keys form a cycle. Done again only after
    /// a set was made.
    void order_groups();
    std::span<ModelSetCore* const> group(std::size_t g) const noexcept;
    /// Writes the foreign keys assigned to objects of group `g`, except those naming a new
    /// object of the group, which wait in deferred_keys_ for save_group(). Then lets each set of
    /// the group find its work; false when none has any.
    bool collect_group(std::size_t g);
    /// The group's UPDATEs that need no new row, then its INSERTs in waves, each row after
    /// the rows it refers to (through the relationships that wait for a key, and through
    /// foreign-key values), then its other UPDATEs.
    void save_group(std::size_t g);
    /// The UPDATEs of the group's rows that need no new row of it (ModelSetCore::
    /// flush_updates_first): those of `after_inserts` (indices into foreign_keys_) do.
    void update_before_inserts(std::span<ModelSetCore* const> sets,
                               std::span<const std::size_t> after_inserts);
    /// The INSERTs of the new objects of `sets` in waves, each row after those it refers
    /// to: through the foreign-key writes `keys` (indices into foreign_keys_, each naming
    /// two new objects of `sets`) and, with `values_refer`, through foreign-key values.
    void insert_in_waves(std::span<ModelSetCore* const> sets, std::span<const std::size_t> keys,
                         bool values_refer);
    /// The group's DELETEs, each row before the rows it refers to; post_update keys
    /// between them are set to NULL first.
    void delete_group(std::size_t g);
    /// delete-orphan: children left without a parent are deleted (src/orm/cascade.cpp);
    /// in an autoflush their foreign-key writes are marked waiting instead.
    void delete_orphans(bool automatic);
    /// Marks each foreign-key write that a later one of the same object and relationship
    /// replaces: only the last assignment counts.
    void mark_superseded_foreign_keys();
    void write_links();
    /// Throws InvalidRequestError, before the flush sends anything, when it would write a
    /// table a stream reads on the same connection (stream_started), or write to the
    /// Session's engine while a stream reads from the read replica (write_to_primary()).
    void refuse_writes_to_streams() const;
    /// text_connection()'s check of the rendered `sql` on `conn`.
    void refuse_text_write_to_streams(Connection& conn, std::string_view sql) const;
    /// Whether the flush would INSERT, UPDATE or DELETE rows of a model id for which
    /// `of` holds.
    bool flush_writes(const std::function<bool(std::size_t)>& of) const;
    /// A HasOne allows one child: fails the flush when the rows `written` (the sets this
    /// flush wrote) leave several children to an owner (src/orm/one_to_one_check.cpp).
    void check_single_children(std::span<ModelSetCore* const> written);
    /// Whether BelongsTo `rel` is the child side of a HasOne that check_single_children
    /// checks (no unique constraint on its foreign key).
    static bool checks_single_child(const RelationshipOps& rel);
    /// Fails the flush when several rows of `rel`'s model refer to one of `owners`; an
    /// owner whose replaced child an autoflush left waiting goes to unchecked_owners_.
    void check_single_child(const RelationshipOps& rel, std::vector<std::int64_t>& owners);
    void forget_relationship_work() noexcept;
    /// Drops the relationship changes waiting for the flush.
    void forget_relationship_changes() noexcept;
    ModelSetCore& make_models(std::size_t id, const ModelOps& ops);

    SessionOptions options_;
    /// One database the session talks to, with the connection of its transaction.
    struct Database {
        Engine engine;
        std::optional<Connection> connection;
    };
    /// What session.begin(options) asked for; unset for a transaction that autobegan.
    std::optional<TransactionOptions> transaction_options_;
    /// [0]: the Session's engine; then each engine of the binds; last the read replica.
    std::vector<Database> databases_;
    std::vector<std::size_t> database_of_;  ///< by model id; models past its end use [0]
    std::size_t replica_ = 0;               ///< index of the read replica; 0: none
    /// The guards of the transactions begun with transaction_options_, one per connection;
    /// declared after databases_ so that they go before the connections they point to.
    std::vector<Transaction> begun_;
    /// Over an AUTOCOMMIT engine, the transaction each flush begins on the connections it
    /// uses (connection_to()), so that the flush is all or nothing; it commits at the end.
    struct FlushTransaction {
        std::size_t database;  ///< index in databases_
        Transaction transaction;
    };
    std::vector<FlushTransaction> flush_begun_;
    /// A statement that may write has gone to the primary in this transaction.
    bool wrote_ = false;
    struct Savepoint {
        Transaction transaction;
        std::uint64_t serial;
    };
    std::vector<Savepoint> savepoints_;
    std::uint64_t root_serial_ = 0;
    std::uint64_t serials_ = 0;
    std::vector<std::unique_ptr<ModelSetCore>> sets_;
    /// order_groups(): the sets, each group's after those it refers to, where each group
    /// ends, and each model id's group; out of date once a set is made (which a flush
    /// running over it may do). With the sets a flush wrote to and the foreign-key writes
    /// that wait, kept between flushes so that an autoflush allocates none of them.
    std::vector<ModelSetCore*> flush_order_;
    std::vector<std::size_t> group_ends_;
    std::vector<std::size_t> group_of_;
    bool flush_order_stale_ = true;
    std::vector<ModelSetCore*> flushed_;
    std::vector<std::size_t> deferred_keys_;  ///< indices into foreign_keys_ (collect_group)
    /// Assigned BelongsTo awaiting the flush; both objects are held until then.
    struct ForeignKeyWrite {
        std::shared_ptr<void> owner;
        InstanceState* state;
        const RelationshipOps* rel;
        std::shared_ptr<void> target;
        bool superseded = false;  ///< a later write of the same (state, rel) replaces it
        bool waiting = false;     ///< an orphan an autoflush left for the next explicit flush
    };
    std::vector<ForeignKeyWrite> foreign_keys_;
    /// HasOne owners (by the child's BelongsTo) whose children a flush wrote but did not
    /// check, as a replaced child waited for deletion: a later flush of the transaction does.
    std::vector<std::pair<const RelationshipOps*, std::int64_t>> unchecked_owners_;
    /// This flush's delete_orphans() deleted an object (marked_deleted()).
    bool orphans_deleted_ = false;
    /// Whether this flush writes `w` (write_foreign_key(), and the checks that must
    /// foresee it).
    bool to_write(const ForeignKeyWrite& w) const noexcept;
    /// Writes the key `w` assigns into its owner's foreign key; true when that changed it.
    bool write_foreign_key(const ForeignKeyWrite& w);
    /// Sets foreign-key column `column` of `owner` to `key`, to be put back if the flush
    /// fails; true when that changed it.
    bool set_foreign_key(const std::shared_ptr<void>& owner, const ModelOps& ops, std::size_t column,
                         std::optional<std::int64_t> key);
    /// What the flush wrote into objects' foreign keys, put back if it fails.
    struct WrittenKey {
        std::shared_ptr<void> owner;
        const ModelOps* ops;
        std::size_t column;
        std::optional<std::int64_t> before;
    };
    std::vector<WrittenKey> written_keys_;
    /// Association rows to insert or delete at the next flush, in the order asked.
    struct LinkWrite {
        std::shared_ptr<void> owner;
        const RelationshipOps* rel;
        std::shared_ptr<void> target;
        bool linked;
    };
    std::vector<LinkWrite> links_;
    std::vector<LoadGroup> groups_;
    /// The yield_per() loops reading, and the connection each reads on.
    struct Stream {
        std::size_t model;
        const Connection* connection;
        StreamReader* reader;
        /// depth() when the loop started: rolling back a SAVEPOINT of that depth or an
        /// outer one may undo rows the loop reads.
        std::uint32_t depth;
        /// SQLite: the tables whose writes change what the loop reads: those its statement
        /// reads, and those whose writes the database carries on into one of them
        /// (DriverConnection::tables_changing).
        std::vector<std::string> changed_by;
    };
    /// Ends the yield_per() loops (StreamReader::session_ended) that started at transaction
    /// depth `from_depth` or deeper, before the transaction they read in commits, rolls
    /// back (to its SAVEPOINT) or its connection goes back to the pool: all of them by
    /// default.
    void end_streams(std::uint32_t from_depth = 0) noexcept;
    /// The tables `statement` reads, nested SELECTs included (src/orm/statement_tables.cpp).
    static std::vector<std::string> tables_read(const ast::Select& statement);
    /// The database whose connection `stream` reads on, if the Session still holds it.
    std::optional<std::size_t> database_streamed(const Stream& stream) const noexcept;
    /// Whether a yield_per() loop reads from the read replica.
    bool streams_from_replica() const noexcept;
    /// A statement is about to write to the Session's engine, so from now on the
    /// transaction reads there too (wrote_). Throws InvalidRequestError while a yield_per()
    /// loop streams from the read replica: it would go on returning rows from before the
    /// write (and the program may write back what they show over it).
    void write_to_primary();
    /// Whether writing table `written` changes rows `stream` reads: a table its statement
    /// reads, or one whose changes the database carries into such a table (ON DELETE/ON
    /// UPDATE actions of foreign keys, triggers).
    bool changes_stream(const Stream& stream, std::string_view written) const;
    std::vector<Stream> streams_;
    std::uint32_t group_epoch_ = 1;
    const std::uint64_t serial_;      ///< unique to this Session in the process (departures())
    std::uint64_t objects_left_ = 0;  ///< objects that left it (detach)
    bool transaction_open_ = false;
    bool needs_rollback_ = false;
    bool flushing_ = false;
};

[[noreturn]] void throw_not_in_session(std::string_view what, std::string_view model);
[[noreturn]] void throw_stale_data(std::string_view statement, std::string_view table, std::size_t expected,
                                   std::size_t matched);

}  // namespace detail
}  // namespace alchemy
