// The non-template half of a Session: its connection and transactions, the unit of
// work's ordering of tables, and the state changes that commit, rollback and close make.
// Each model the session has seen has a ModelSetCore (model_set.hpp) doing its objects'
// part.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/engine.hpp"
#include "alchemy/schema/table.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace alchemy {

/// sessionmaker / Session options, with SQLAlchemy's names and defaults.
struct SessionOptions {
    /// Flush pending changes before each query, so queries see them.
    bool autoflush = true;
    /// Mark every object expired after commit(): reloaded when next handed out.
    bool expire_on_commit = true;
};

namespace detail {

/// A small number per model type, so a session finds its ModelSetCore by index.
std::size_t next_model_id() noexcept;
template <class T>
std::size_t model_id() noexcept {
    static const std::size_t id = next_model_id();
    return id;
}

struct ModelOps;
class ModelSetCore;
struct RelationshipOps;
struct InstanceState;
class ToOne;

/// The keys of the objects one query (or relationship load) returned, so that a lazy load
/// for one of them loads the others too (relationship_loader.hpp).
struct LoadGroup {
    std::vector<std::int64_t> keys;
};

class SessionCore {
public:
    SessionCore(Engine engine, SessionOptions options);
    SessionCore(const SessionCore&) = delete;
    SessionCore& operator=(const SessionCore&) = delete;
    ~SessionCore();

    const SessionOptions& options() const noexcept { return options_; }
    Engine& engine() noexcept { return engine_; }
    const Dialect& dialect() const noexcept { return engine_.dialect(); }

    /// The connection of the current transaction, checked out and begun on first use.
    /// Throws InvalidRequestError after a failed flush until rollback() is called.
    Connection& connection();

    /// `automatic`: an autoflush, which leaves delete-orphan children for an explicit one.
    void flush(bool automatic = false);
    /// Turns autoflush on or off; returns what it was.
    bool set_autoflush(bool on) noexcept { return std::exchange(options_.autoflush, on); }
    /// flush() when autoflush is on (queries call it before they run).
    void autoflush() {
        if (options_.autoflush && !flushing_) flush(true);
    }

    /// Begins the session's transaction explicitly; returns its depth (1).
    std::uint32_t begin();
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
    /// Writes the foreign keys assigned through relationships of `set`'s objects. A key
    /// that waits for a new object of the same model is left for a later wave of its
    /// INSERTs (ModelSetCore::insert_all).
    void write_foreign_keys(const ModelSetCore& set);
    /// Records that `states` (objects of `ops`' model) were loaded together.
    void remember_group(const ModelOps& ops, std::span<InstanceState* const> states);
    /// The group `state` was loaded with, if it is still current.
    const LoadGroup* group_of(const InstanceState& state) const noexcept;

    /// The objects of model id `id` (whose operations are `ops`), made on first use.
    ModelSetCore& models(std::size_t id, const ModelOps& ops) {
        if (id < sets_.size() && sets_[id]) return *sets_[id];
        return make_models(id, ops);
    }

private:
    void check_usable() const;
    void open_transaction() noexcept;
    /// After a statement of a flush failed: rolls back the innermost SAVEPOINT, or else
    /// the whole transaction (the Session then needs rollback()).
    void abandon_failed_flush() noexcept;
    /// Ends the database transaction, SAVEPOINTs and all, whatever state it is in.
    void roll_back_connection() noexcept;
    void release_connection() noexcept;
    void end_all(bool committed, std::uint32_t depth) noexcept;
    std::vector<ModelSetCore*> ordered_sets();
    /// delete-orphan: children left without a parent are deleted (src/orm/cascade.cpp);
    /// in an autoflush they go into waiting_orphans_ instead.
    void delete_orphans(bool automatic);
    bool waiting(const InstanceState* state, const RelationshipOps* rel) const noexcept;
    void write_links(Connection& conn);
    void forget_relationship_work() noexcept;
    ModelSetCore& make_models(std::size_t id, const ModelOps& ops);

    Engine engine_;
    SessionOptions options_;
    std::optional<Connection> connection_;
    struct Savepoint {
        Transaction transaction;
        std::uint64_t serial;
    };
    std::vector<Savepoint> savepoints_;
    std::uint64_t root_serial_ = 0;
    std::uint64_t serials_ = 0;
    std::vector<std::unique_ptr<ModelSetCore>> sets_;
    /// Assigned BelongsTo awaiting the flush; both objects are held until then.
    struct ForeignKeyWrite {
        std::shared_ptr<void> owner;
        InstanceState* state;
        const RelationshipOps* rel;
        std::shared_ptr<void> target;
    };
    std::vector<ForeignKeyWrite> foreign_keys_;
    /// Orphans an autoflush left alone: their foreign-key writes stay for the next flush.
    std::vector<std::pair<const InstanceState*, const RelationshipOps*>> waiting_orphans_;
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
    std::uint32_t group_epoch_ = 1;
    bool transaction_open_ = false;
    bool needs_rollback_ = false;
    bool flushing_ = false;
};

[[noreturn]] void throw_not_in_session(std::string_view what, std::string_view model);
[[noreturn]] void throw_stale_data(std::string_view statement, std::string_view table,
                                   std::size_t expected, std::size_t matched);

}  // namespace detail
}  // namespace alchemy
