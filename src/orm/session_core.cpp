// SessionCore: the session's connection and transactions, and the order of a flush.
#include "alchemy/orm/detail/session_core.hpp"

#include "alchemy/core/error.hpp"
#include "alchemy/orm/detail/model_set.hpp"
#include "alchemy/orm/detail/query_run.hpp"
#include "alchemy/orm/detail/relationship_members.hpp"
#include "alchemy/orm/detail/relationship_ops.hpp"
#include "core/ascii.hpp"
#include "orm/model_statements.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

namespace alchemy::detail {

std::size_t next_model_id() noexcept {
    static std::atomic<std::size_t> next{0};
    return next++;
}

void throw_not_in_session(std::string_view what, std::string_view model) {
    throw InvalidRequestError(
        fmt::format("alchemy: {} needs an object of this Session, and this {} object is not in it (add() it "
                    "first, or use the Session that loaded it)",
                    what, model));
}

void throw_stale_data(std::string_view statement, std::string_view table, std::size_t expected,
                      std::size_t matched) {
    throw StaleDataError(
        fmt::format("alchemy: {} of table \"{}\" expected to match {} row(s) but matched {}: the row was "
                    "deleted, or changed by another transaction since it was loaded (its version column "
                    "moved on); reload it and try again",
                    statement, table, expected, matched));
}

namespace {
/// Departures (relationship_members.hpp): Sessions are numbered from 1, so a collection
/// that never checked ({0, 0, 0}) matches none; drops are counted on whatever thread
/// drops, hence atomic.
std::atomic<std::uint64_t> sessions_made{0};
std::atomic<std::uint64_t> drops{0};
}  // namespace

void count_drop() noexcept { drops.fetch_add(1, std::memory_order_relaxed); }
std::uint64_t drops_counted() noexcept { return drops.load(std::memory_order_relaxed); }

SessionCore::SessionCore(Engine engine, SessionOptions options)
    : options_(std::move(options)), serial_(sessions_made.fetch_add(1, std::memory_order_relaxed) + 1) {
    databases_.push_back({std::move(engine), std::nullopt});
    for (const auto& bind : options_.binds) {
        auto found = std::find_if(databases_.begin(), databases_.end(),
                                  [&](const Database& d) { return d.engine == bind.engine; });
        if (found == databases_.end())
            found = databases_.insert(databases_.end(), {bind.engine, std::nullopt});
        if (bind.model >= database_of_.size()) database_of_.resize(bind.model + 1, 0);
        database_of_[bind.model] = static_cast<std::size_t>(found - databases_.begin());
    }
    if (options_.twophase)
        for (const auto& database : databases_) {
            if (!database.engine.dialect().supports_two_phase_commit())
                throw ArgumentError(
                    fmt::format("alchemy: SessionOptions::twophase needs engines with two-phase commit "
                                "(PostgreSQL); {} has none",
                                database.engine.dialect().name()));
            // Each flush would commit by itself, and commit() would then fail to prepare
            // what was committed already.
            if (database.engine.options().isolation_level == IsolationLevel::autocommit)
                throw ArgumentError(
                    "alchemy: SessionOptions::twophase needs transactions to prepare, and an engine with "
                    "isolation_level AUTOCOMMIT commits each flush by itself; use a transactional engine");
        }
    if (options_.read_replica) {
        replica_ = databases_.size();
        databases_.push_back({*options_.read_replica, std::nullopt});
    }
}

SessionCore::~SessionCore() { close(); }

void SessionCore::check_usable() const {
    if (needs_rollback_)
        throw PendingRollbackError(
            "alchemy: this Session's transaction was rolled back because a flush, a commit or "
            "its connection failed; call session.rollback() before using the Session again");
}

Connection& SessionCore::connection_to(std::size_t database) {
    check_usable();
    auto& connection = databases_[database].connection;
    if (!connection) {
        connection.emplace(databases_[database].engine.connect());
        if (transaction_options_) {
            try {
                begun_.push_back(connection->begin(*transaction_options_));
            } catch (...) {
                connection.reset();
                throw;
            }
        }
    }
    if (!transaction_open_) open_transaction();
    if (flushing_ && connection->isolation_level() == IsolationLevel::autocommit &&
        !connection->in_transaction())
        flush_begun_.push_back({database, connection->begin()});
    return *connection;
}

Connection& SessionCore::connection() {
    write_to_primary();
    return connection_to(0);
}

Connection& SessionCore::write_connection(std::size_t model) {
    const auto database = database_of(model);
    if (database == 0) write_to_primary();
    return connection_to(database);
}

namespace {
/// `writer` ("statement", "flush") would write to the primary while a yield_per() loop
/// reads from the replica; `also`: one more way out.
[[noreturn]] void refuse_write_during_replica_stream(std::string_view writer, std::string_view also) {
    throw InvalidRequestError(fmt::format(
        "alchemy: this {} would write to the Session's engine while a yield_per() loop of the same "
        "session streams from the read replica, which cannot see the write: the loop would go on "
        "returning rows from before it; finish the loop first, {}or stream through a second session",
        writer, also));
}

/// By database: whether the first `count` of a flush's own transactions (those it began
/// on AUTOCOMMIT engines) committed its part there.
template <class FlushTransactions>
std::vector<bool> committed_databases(const FlushTransactions& begun, std::size_t count,
                                      std::size_t databases) {
    std::vector<bool> committed(databases, false);
    for (std::size_t k = 0; k < count; ++k) committed[begun[k].database] = true;
    return committed;
}
}  // namespace

void SessionCore::write_to_primary() {
    if (streams_from_replica()) refuse_write_during_replica_stream("statement", "");
    wrote_ = true;
}

void SessionCore::check_same_database(std::size_t a, std::size_t b) const {
    if (database_of(a) != database_of(b))
        throw InvalidRequestError(
            "alchemy: this statement joins tables of models bound to different engines "
            "(SessionOptions::binds), and a join runs inside one database; load each side with "
            "a statement of its own (for a relationship: selectinload or the lazy load)");
}

bool SessionCore::reads_replica(std::size_t model) const noexcept {
    // A flush reads (cascades, orphans) to decide what to write: from the primary. So does a
    // transaction begun with options: its isolation level is the primary's to give.
    return database_of(model) == 0 && replica_ != 0 && !wrote_ && !flushing_ && !transaction_options_;
}

Connection& SessionCore::read_connection(std::size_t model) {
    return connection_to(reads_replica(model) ? replica_ : database_of(model));
}

void SessionCore::open_transaction() noexcept {
    transaction_open_ = true;
    root_serial_ = ++serials_;
}

std::uint64_t SessionCore::serial_at(std::uint32_t depth) const noexcept {
    if (depth == 0 || depth > this->depth()) return 0;
    return depth == 1 ? root_serial_ : savepoints_[depth - 2].serial;
}

std::uint32_t SessionCore::depth() const noexcept {
    return transaction_open_ ? static_cast<std::uint32_t>(1 + savepoints_.size()) : 0;
}

std::uint32_t SessionCore::begin(const TransactionOptions& options) {
    check_usable();
    if (transaction_open_)
        throw InvalidRequestError(
            "alchemy: a transaction is already begun on this Session (the first query or flush "
            "begins one); commit() or rollback() it first, or use begin_nested() for a SAVEPOINT");
    if (options.isolation_level == IsolationLevel::autocommit)
        throw ArgumentError(
            "alchemy: AUTOCOMMIT is not an isolation level of one transaction; a Session always "
            "works in transactions (give the engine isolation_level=AUTOCOMMIT for that)");
    if (options.isolation_level || options.read_only) transaction_options_ = options;
    open_transaction();
    return 1;
}

std::uint32_t SessionCore::begin_nested() {
    if (databases_.size() > (replica_ != 0 ? 2u : 1u))
        throw InvalidRequestError(
            "alchemy: begin_nested() is not supported in a Session with binds to other engines: "
            "a SAVEPOINT would cover one of its databases only; use a Session per engine for "
            "work that needs one");
    flush();
    auto& conn = connection();
    savepoints_.push_back({conn.begin_nested(), ++serials_});
    return depth();
}

ModelSetCore& SessionCore::make_models(std::size_t id, const ModelOps& ops) {
    if (id >= sets_.size()) sets_.resize(id + 1);
    sets_[id] = std::make_unique<ModelSetCore>(*this, ops);
    flush_order_stale_ = true;
    return *sets_[id];
}

bool SessionCore::to_write(const ForeignKeyWrite& w) const noexcept {
    // Not replaced by a later assignment, not left for a later flush; a deleted object
    // keeps its row's key until the DELETE, and an expunged one is gone.
    return !w.superseded && !w.waiting && w.state->session == this && !w.state->delete_requested;
}

void SessionCore::mark_superseded_foreign_keys() {
    std::set<std::pair<const InstanceState*, const RelationshipOps*>> seen;
    for (auto it = foreign_keys_.rbegin(); it != foreign_keys_.rend(); ++it)
        it->superseded = !seen.emplace(it->state, it->rel).second;
}

void SessionCore::flush(bool automatic) {
    check_usable();
    if (flushing_) throw InvalidRequestError("alchemy: the Session is already flushing");
    // Without relationship work, what the sets collect is all a flush could write: an
    // autoflush that finds nothing (a get() or query in a loop) stops here, before the
    // flush order, and one that finds work does not collect again.
    const bool collected = links_.empty() && foreign_keys_.empty() && unchecked_owners_.empty();
    if (collected) {
        bool any = false;
        for (auto& set : sets_)
            if (set) any = set->collect_flush() || any;
        if (!any) return;
    }
    flushing_ = true;
    auto& work = flushed_;
    work.clear();
    written_keys_.clear();
    orphans_deleted_ = false;
    bool sent = false;              // a statement may have reached the database
    std::size_t flush_commits = 0;  // of flush_begun_, those committed
    try {
        // Group by group, parents first (src/orm/flush_order.cpp): a parent's INSERT has
        // given it its key by the time its children's foreign keys are written and compared.
        for (auto& w : foreign_keys_) w.waiting = false;
        if (!foreign_keys_.empty()) delete_orphans(automatic);
        mark_superseded_foreign_keys();
        if (!streams_.empty()) refuse_writes_to_streams();
        if (flush_order_stale_) order_groups();
        // collect_group() fills it for save_group(); collected up front, no key waits.
        deferred_keys_.clear();
        for (std::size_t g = 0; g < group_ends_.size(); ++g) {
            const auto sets = group(g);
            if (collected
                    ? std::none_of(sets.begin(), sets.end(), [](auto* set) { return set->collected_work(); })
                    : !collect_group(g))
                continue;
            work.insert(work.end(), sets.begin(), sets.end());
            sent = true;
            save_group(g);
        }
        // Every row exists now, so association rows can name both keys; and they go
        // before the DELETEs of the rows they refer to.
        if (!links_.empty()) {
            sent = true;
            write_links();
        }
        for (auto g = group_ends_.size(); g-- > 0;) delete_group(g);
        if (!unchecked_owners_.empty()) sent = true;  // checked now even if nothing else is sent
        check_single_children(work);
        for (; flush_commits < flush_begun_.size(); ++flush_commits)
            flush_begun_[flush_commits].transaction.commit();
    } catch (...) {
        // Over several AUTOCOMMIT engines, the COMMITs before the failing one stand: those
        // engines' part of the flush is done, and stays so through the rollback() to come.
        const auto committed = committed_databases(flush_begun_, flush_commits, databases_.size());
        const auto committed_model = [&](const ModelOps& ops) {
            return committed[database_of(ops.model_id)];
        };
        flush_begun_.clear();  // what was not committed rolls back
        // Every set: those of later groups may hold what they collected, too.
        for (auto& set : sets_) {
            if (!set) continue;
            if (committed_model(set->ops())) {
                set->finish_flush(depth());
                set->committed(1, false);
            } else {
                set->undo_flush();
            }
        }
        for (auto it = written_keys_.rbegin(); it != written_keys_.rend(); ++it)
            if (!committed_model(*it->ops)) it->ops->set_integer(it->owner.get(), it->column, it->before);
        written_keys_.clear();
        flushing_ = false;
        // Deleting an orphan also let go of its children and removed its links in memory,
        // which nothing can replay: as after a failed statement, the transaction is rolled
        // back, and the objects load again what the database holds.
        if (sent || orphans_deleted_) {
            abandon_failed_flush();
            throw;
        }
        // Nothing reached the database and nothing changed in memory: the transaction goes
        // on as it was.
        throw;
    }
    for (auto* set : work) set->finish_flush(depth());
    // Committed by the flush itself, on AUTOCOMMIT engines: no rollback of the Session can
    // undo that part, so none may make its new objects new again, nor give back what it
    // rewrote. What the flush wrote to the other engines waits in their transactions.
    if (!flush_begun_.empty()) {
        const auto committed = committed_databases(flush_begun_, flush_begun_.size(), databases_.size());
        flush_begun_.clear();
        for (auto& set : sets_)
            if (set && committed[database_of(set->ops().model_id)]) set->committed(1, false);
    }
    std::erase_if(foreign_keys_, [](const ForeignKeyWrite& w) { return !w.waiting; });
    links_.clear();
    written_keys_.clear();
    flushing_ = false;
}

void SessionCore::stream_ended(const StreamReader& reader) noexcept {
    std::erase_if(streams_, [&](const Stream& stream) { return stream.reader == &reader; });
}

void SessionCore::end_streams(std::uint32_t from_depth) noexcept {
    const auto ending = std::stable_partition(
        streams_.begin(), streams_.end(), [&](const Stream& stream) { return stream.depth < from_depth; });
    std::vector<Stream> ended(std::make_move_iterator(ending), std::make_move_iterator(streams_.end()));
    streams_.erase(ending, streams_.end());
    for (const auto& stream : ended) stream.reader->session_ended();
}

std::optional<std::size_t> SessionCore::database_streamed(const Stream& stream) const noexcept {
    const auto reads = std::find_if(databases_.begin(), databases_.end(), [&](const Database& d) {
        return d.connection && &*d.connection == stream.connection;
    });
    if (reads == databases_.end()) return std::nullopt;
    return static_cast<std::size_t>(reads - databases_.begin());
}

void SessionCore::stream_started(std::size_t model, Connection& conn, StreamReader& reader,
                                 const QueryStatement& query) {
    // SQLite steps the SELECT as the loop reads: every table it reads matters, those of a
    // filter's EXISTS or IN (SELECT ...) too, and every table whose rows' DELETE or UPDATE
    // the database carries on into one of those (ON DELETE CASCADE, SET NULL, a trigger),
    // in any number of steps.
    std::vector<std::string> changed_by;
    if (conn.dialect().runs_statements_while_streaming()) {
        changed_by = tables_read(query.lower(query.query, query_form::rows));
        for (std::size_t i = 0, read = changed_by.size(); i < read; ++i)
            for (auto& table : conn.driver_connection().tables_changing(changed_by[i]))
                changed_by.push_back(std::move(table));
    }
    streams_.push_back({model, &conn, &reader, depth(), std::move(changed_by)});
}

bool SessionCore::changes_stream(const Stream& stream, std::string_view written) const {
    // SQLite spells table names in any case.
    return std::any_of(stream.changed_by.begin(), stream.changed_by.end(),
                       [&](std::string_view table) { return equals_ignoring_ascii_case(table, written); });
}

bool SessionCore::streams_from_replica() const noexcept {
    return replica_ != 0 && std::any_of(streams_.begin(), streams_.end(), [&](const Stream& stream) {
               return database_streamed(stream) == replica_;
           });
}

void SessionCore::refuse_writes_to_streams() const {
    // The replica cannot see what the flush writes to the primary (write_to_primary()).
    if (streams_from_replica() && flush_writes([&](std::size_t model) { return database_of(model) == 0; }))
        refuse_write_during_replica_stream(
            "flush",
            "make the changes inside session.no_autoflush() (commit() after the loop writes them), ");
    for (const auto& stream : streams_) {
        const auto database = database_streamed(stream);
        if (!database) continue;
        if (!stream.connection->dialect().runs_statements_while_streaming()) {
            // PostgreSQL runs nothing else on the connection: refused here, before a
            // statement fails halfway through the flush.
            if (!flush_writes([&](std::size_t model) { return database_of(model) == *database; })) continue;
            throw InvalidRequestError(
                "alchemy: this flush would write while a yield_per() loop of the same session streams "
                "on its connection, which runs no other statement until the loop ends; finish the "
                "loop first, make the changes inside session.no_autoflush() (commit() after the loop "
                "writes them), or stream through a second session");
        }
        // SQLite: other tables, yes; those whose writes change what the stream reads, no.
        std::string_view written;  // the last table the predicate matched: the one that stops the flush
        if (!flush_writes([&](std::size_t model) {
                const auto& table = sets_[model]->table().name;
                if (database_of(model) != *database || !changes_stream(stream, table)) return false;
                written = table;
                return true;
            }))
            continue;
        throw InvalidRequestError(fmt::format(
            "alchemy: this flush would change rows of table {} while a yield_per() loop of the same "
            "session still reads it: it writes table {}, which the loop's statement reads (a join's "
            "or subquery's table too) or from which an ON DELETE/ON UPDATE action or a trigger "
            "reaches a table it reads, and a change made under a running SELECT may make it return "
            "a row again or skip one; finish the loop first, make the changes inside "
            "session.no_autoflush() (commit() after the loop writes them), or stream through a "
            "second session",
            sets_[stream.model]->table().name, written));
    }
}

void SessionCore::refuse_text_write_to_streams(Connection& conn, std::string_view sql) const {
    for (const auto& stream : streams_) {
        // PostgreSQL: the connection itself refuses every statement while it streams.
        if (stream.connection != &conn || !conn.dialect().runs_statements_while_streaming()) continue;
        if (conn.driver_connection().only_reads(sql)) return;
        throw InvalidRequestError(fmt::format(
            "alchemy: this text() statement may change the database while a yield_per() loop of the "
            "same session still reads table {} on its connection, and alchemy cannot tell which "
            "table hand-written SQL changes: a change made under a running SELECT may make the loop "
            "return a row again or skip one; run it after the loop, through a second session, or as "
            "an sa::insert/update/delete statement, which the Session checks table by table",
            sets_[stream.model]->table().name));
    }
}

Connection& SessionCore::bulk_write_connection(const ModelOps& ops) {
    const auto model = ops.model_id;
    for (const auto& stream : streams_) {
        const auto database = database_streamed(stream);
        // PostgreSQL: the connection itself refuses every statement while it streams.
        if (!database || database_of(model) != *database ||
            !stream.connection->dialect().runs_statements_while_streaming() ||
            !changes_stream(stream, ops.table().name))
            continue;
        throw InvalidRequestError(fmt::format(
            "alchemy: this INSERT, UPDATE or DELETE of table {} would change rows that a "
            "yield_per() loop of the same session still reads (through table {}), and a change "
            "made under a running SELECT may make it return a row again or skip one; run it after "
            "the loop, or through a second session",
            ops.table().name, sets_[stream.model]->table().name));
    }
    return write_connection(model);
}

bool SessionCore::flush_writes(const std::function<bool(std::size_t)>& of) const {
    for (std::size_t model = 0; model < sets_.size(); ++model)
        if (sets_[model] && of(model) && sets_[model]->has_flush_work()) return true;
    const bool keys = std::any_of(foreign_keys_.begin(), foreign_keys_.end(), [&](const ForeignKeyWrite& w) {
        return to_write(w) && of(w.rel->owner_id());
    });
    return keys || std::any_of(links_.begin(), links_.end(),
                               [&](const LinkWrite& link) { return of(link.rel->association().model_id); });
}

namespace {

/// Refuses a write of `rel` that names `object` (of `ops`) when the object is new and this
/// flush does not insert it: its key would be read as 0, which may be another row's.
void require_inserted(const RelationshipOps& rel, const ModelOps& ops, const void* object,
                      std::string_view remedy) {
    if (!ops.needs_generated_key(object)) return;
    throw FlushError(fmt::format(
        "alchemy: {}.{} names a new {} that this flush does not insert (it is not pending in this "
        "session: it was expunged, or belongs to another one); add it to this session, or {}",
        rel.owner().model_name, rel.name, ops.model_name, remedy));
}

}  // namespace

bool SessionCore::write_foreign_key(const ForeignKeyWrite& w) {
    const auto& owner_ops = w.rel->owner();
    std::optional<std::int64_t> key;
    if (w.target) {
        const auto& target_ops = w.rel->target();
        key = target_ops.integer(w.target.get(), target_ops.primary_key[0]);
        require_inserted(*w.rel, target_ops, w.target.get(), "assign an object that has a row");
    }
    const auto& column = owner_ops.table().columns[w.rel->foreign_key];
    if (!key && !column.nullable)
        throw FlushError(fmt::format(
            "alchemy: {0}.{1} names no {2} (it was set to null, removed from its parent's "
            "collection, or its {2} was deleted), but its column {3} cannot be NULL; give it a parent, "
            "delete it, or let the parent's relationship delete it: "
            "sa::relationship(...).cascade(sa::all | "
            "sa::delete_orphan)",
            owner_ops.model_name, w.rel->name, w.rel->target().model_name, column.name));
    return set_foreign_key(w.owner, owner_ops, w.rel->foreign_key, key);
}

bool SessionCore::set_foreign_key(const std::shared_ptr<void>& owner, const ModelOps& ops, std::size_t column,
                                  std::optional<std::int64_t> key) {
    const auto before = ops.integer(owner.get(), column);
    if (before == key) return false;
    written_keys_.push_back({owner, &ops, column, before});
    ops.set_integer(owner.get(), column, key);
    return true;
}

void SessionCore::foreign_key_assigned(InstanceState& owner, const RelationshipOps& rel, ToOne& ref) {
    auto target = ref.peek();
    foreign_keys_.push_back({owner.self.lock(), &owner, &rel, target});
    ref.written();
    if (!target) return;
    const auto& target_ops = rel.target();
    const auto* target_state = target_ops.state_of(target);
    if (!target_state || target_state->session != this) target_ops.add_object(*this, target);
}

void SessionCore::link_changed(InstanceState& owner, const RelationshipOps& rel,
                               const std::shared_ptr<void>& target, bool linked) {
    links_.push_back({owner.self.lock(), &rel, target, linked});
    const auto& target_ops = rel.target();
    const auto* target_state = target_ops.state_of(target);
    if (linked && (!target_state || target_state->session != this)) target_ops.add_object(*this, target);
}

void SessionCore::discard_relationship_changes(const std::function<bool(const InstanceState&)>& of) {
    // The members that made the changes load again (refresh() leaves the others loaded).
    // In memory each change also took its owner into the target's collection and out of
    // the one that held it before. Dropped, the owner leaves every target's collection,
    // and then goes back into that of the parent its row names, where its foreign key stays.
    const auto keys_dropped = std::stable_partition(foreign_keys_.begin(), foreign_keys_.end(),
                                                    [&](const ForeignKeyWrite& w) { return !of(*w.state); });
    for (auto w = keys_dropped; w != foreign_keys_.end(); ++w) {
        w->rel->reference(w->state->object).unload();
        const auto* pair = w->rel->paired();
        if (pair && w->target) pair->children(w->target.get()).forget(w->owner.get());
    }
    for (auto w = keys_dropped; w != foreign_keys_.end(); ++w) {
        const auto* pair = w->rel->paired();
        const auto key = w->rel->owner().integer(w->state->snapshot, w->rel->foreign_key);
        const auto parent = key ? models(w->rel->target_id(), w->rel->target()).held(*key).first : nullptr;
        if (!pair || !parent) continue;
        auto& children = pair->children(parent.get());
        if (children.in_memory() && !children.contains(w->owner.get())) children.loaded_child(w->owner);
    }
    foreign_keys_.erase(keys_dropped, foreign_keys_.end());
    // Links go back newest first, so that one made and removed again leaves no trace.
    const auto links_dropped = std::stable_partition(links_.begin(), links_.end(), [&](const LinkWrite& l) {
        const auto* state = l.rel->owner().state_of(l.owner);
        return !state || !of(*state);
    });
    for (auto l = links_.end(); l != links_dropped;) {
        --l;
        const auto* pair = l->rel->paired();
        if (!pair) continue;
        auto& theirs = pair->associated(l->target.get());
        if (l->linked) theirs.forget(l->owner.get());
        else if (theirs.in_memory()) theirs.loaded_target(l->owner);
    }
    for (auto l = links_dropped; l != links_.end(); ++l) l->rel->associated(l->owner.get()).unload(true);
    links_.erase(links_dropped, links_.end());
}

void SessionCore::hand_back_relationship_changes(const InstanceState* state) {
    const auto leaves = [&](const InstanceState* s) {
        return s && s->session == this && (!state || s == state);
    };
    // The foreign-key writes stay, to_write() skipping them: delete_orphans() may be walking
    // the list (a pending orphan leaves the session), and a later assignment after the
    // owner comes back supersedes them. Only the last one of each member counts.
    for (auto& w : foreign_keys_)
        if (leaves(w.state)) w.rel->reference(w.state->object).keep_assigned();
    // Links carry no such mark: they go.
    std::erase_if(links_, [&](const LinkWrite& l) {
        if (!leaves(l.rel->owner().state_of(l.owner))) return false;
        l.rel->associated(l.owner.get()).keep_change(l.target, l.linked);
        return true;
    });
}

void SessionCore::write_links() {
    // Objects linked from both sides before either was in a Session recorded the link
    // twice, once per ManyToMany: each association row changes once per state, or the
    // second INSERT would fail or add the row again.
    struct Row {
        std::size_t association;
        std::int64_t keys[2];  ///< in the order of the association's columns
        bool operator==(const Row&) const = default;
    };
    struct RowHash {
        std::size_t operator()(const Row& row) const noexcept {
            const auto mixed = static_cast<std::uint64_t>(row.keys[0]) * 0x9e3779b97f4a7c15u ^
                               static_cast<std::uint64_t>(row.keys[1]);
            return std::hash<std::uint64_t>{}(mixed) ^ row.association;
        }
    };
    std::unordered_map<Row, bool, RowHash> written;  // the row and whether it is linked now
    for (const auto& l : links_) {
        const auto& owner_ops = l.rel->owner();
        const auto& target_ops = l.rel->target();
        const auto& association = l.rel->association();
        require_inserted(*l.rel, owner_ops, l.owner.get(), "remove the link");
        require_inserted(*l.rel, target_ops, l.target.get(), "remove it from the collection");
        const auto owner_key = owner_ops.integer(l.owner.get(), owner_ops.primary_key[0]).value_or(0);
        const auto target_key = target_ops.integer(l.target.get(), target_ops.primary_key[0]).value_or(0);
        const bool owner_first = l.rel->foreign_key < l.rel->association_target_key;
        const Row row{association.model_id,
                      {owner_first ? owner_key : target_key, owner_first ? target_key : owner_key}};
        if (links_.size() > 1) {
            const auto [it, fresh] = written.try_emplace(row, l.linked);
            if (!fresh && it->second == l.linked) continue;
            it->second = l.linked;
        }
        auto& conn = write_connection(association.model_id);
        const auto sql = association.statements.association_row(
            conn.dialect(), association, l.rel->foreign_key, l.rel->association_target_key, l.linked);
        const Param params[] = {Param::of_int(owner_key), Param::of_int(target_key)};
        conn.execute_sql(sql, params);
    }
}

void SessionCore::remember_group(const ModelOps& ops, std::span<InstanceState* const> states) {
    GroupMaker group(*this, ops, states.size());
    for (auto* state : states) group.add(*state);
}

SessionCore::GroupMaker::GroupMaker(SessionCore& session, const ModelOps& ops, std::size_t expected)
    : session_(session), ops_(ops) {
    if (ops.primary_key.size() != 1) return;
    keys_.reserve(expected);
    // Its place is taken now, so that no other group can take its number meanwhile.
    session.groups_.emplace_back();
    id_ = static_cast<std::uint32_t>(session.groups_.size());
}

SessionCore::GroupMaker::~GroupMaker() {
    auto& groups = session_.groups_;
    if (id_ == 0 || id_ > groups.size()) return;
    if (first_marked_) groups[id_ - 1].keys = std::move(keys_);
    else if (id_ == groups.size()) groups.pop_back();
}

void SessionCore::GroupMaker::add(InstanceState& state) {
    if (id_ == 0) return;
    if (!first_) {
        first_ = &state;  // marked when a second object comes
        return;
    }
    if (!first_marked_) {
        if (&state == first_) return;
        mark(*first_);
        first_marked_ = true;
    }
    if (state.load_group == id_ && state.group_epoch == session_.group_epoch_) return;  // added twice
    mark(state);
}

void SessionCore::GroupMaker::mark(InstanceState& state) {
    keys_.push_back(ops_.integer(state.object, ops_.primary_key[0]).value_or(0));
    state.load_group = id_;
    state.group_epoch = session_.group_epoch_;
}

const LoadGroup* SessionCore::group_of(const InstanceState& state) const noexcept {
    if (state.group_epoch != group_epoch_ || state.load_group == 0 || state.load_group > groups_.size())
        return nullptr;
    return &groups_[state.load_group - 1];
}

void SessionCore::forget_relationship_work() noexcept {
    forget_relationship_changes();
    groups_.clear();
    ++group_epoch_;
}

void SessionCore::forget_relationship_changes() noexcept {
    foreign_keys_.clear();
    links_.clear();
}

void SessionCore::abandon_failed_flush() noexcept {
    // Inside begin_nested(), as in SQLAlchemy, the failure ends only the innermost
    // SAVEPOINT (its objects go back as after its rollback); the enclosing transaction
    // goes on. That is what a SAVEPOINT around work that may fail is for.
    if (!savepoints_.empty()) {
        const auto nested = depth();
        end_streams(nested);  // as rollback() of the SAVEPOINT does
        try {
            savepoints_.back().transaction.rollback();
            savepoints_.pop_back();
            end_all(false, nested);
            return;
        } catch (...) {  // the connection failed too: give up the whole transaction
        }
    }
    // All or nothing: the database forgets the whole transaction, the objects are as
    // before the flush, and the Session insists on rollback() before going on.
    roll_back_connections();
    needs_rollback_ = true;
}

void SessionCore::end_all(bool committed, std::uint32_t depth) noexcept {
    // Rolled back, the rows to check are gone; committed (an explicit flush first), checked.
    if (depth == 1 || !committed) unchecked_owners_.clear();
    // A SAVEPOINT rolled back takes its relationship changes with the rest of its work:
    // begin_nested() flushed before opening it, so every change still waiting was made in it.
    if (depth == 1) forget_relationship_work();
    else if (!committed) forget_relationship_changes();
    for (auto& set : sets_) {
        if (!set) continue;
        if (committed) set->committed(depth, options_.expire_on_commit);
        else set->rolled_back(depth, false);
    }
}

void SessionCore::commit(std::uint32_t depth) {
    if (depth > 1) {
        if (depth != this->depth())
            throw InvalidRequestError("alchemy: commit the innermost nested transaction first");
        flush();
        savepoints_.back().transaction.commit();
        savepoints_.pop_back();
        end_all(true, depth);
        return;
    }
    flush();
    end_streams();
    end_replica_reads();
    if (options_.twophase) return commit_two_phase();
    // One engine after the other, in the order of SessionOptions::binds: a failure after
    // the first COMMIT leaves the earlier ones committed (docs/scaling.md).
    for (std::size_t d = 0; d < databases_.size(); ++d) {
        if (!databases_[d].connection) continue;
        try {
            // COMMIT first: it releases the SAVEPOINTs still open (SQLAlchemy 2.0 commits
            // their work too), and destroyed afterwards they no longer roll back.
            databases_[d].connection->commit();
        } catch (...) {
            // The objects of the engines that committed are theirs for good: the rollback()
            // this asks for must not make their new objects new again.
            end_committed_databases(d, options_.expire_on_commit);
            needs_rollback_ = true;
            throw;
        }
    }
    savepoints_.clear();
    end_all(true, 1);
    transaction_open_ = false;
    release_connections();
}

void SessionCore::end_committed_databases(std::size_t before, bool expire) noexcept {
    for (auto& set : sets_) {
        if (!set) continue;
        const auto database = database_of(set->ops().model_id);
        if (database < before && databases_[database].connection) set->committed(1, expire);
    }
}

void SessionCore::end_replica_reads() noexcept {
    if (replica_ == 0 || !databases_[replica_].connection) return;
    auto& connection = *databases_[replica_].connection;
    try {
        connection.rollback();
    } catch (...) {  // a connection that cannot roll back is not reused
        connection.invalidate();
    }
    databases_[replica_].connection.reset();  // never among begun_: see read_connection()
}

void SessionCore::commit_two_phase() {
    // Transaction ids are unique on a server among all its clients: 64 random bits, and
    // the database's index, as two bound databases may live on one server.
    std::random_device random;
    const auto base = fmt::format("alchemy_{:08x}{:08x}", random(), random());
    struct Prepared {
        Database* database;
        std::string xid;
    };
    std::vector<Prepared> prepared;
    // What could not be ended stays prepared, holding its locks: the error names it.
    std::vector<std::string> stranded;
    const auto end_prepared = [&](const Prepared& p, bool commit, bool maybe_absent) {
        try {
            // On the Session's connection, as a pool of one has no other to give: idle once
            // PREPARE TRANSACTION ended its transaction. One that was lost reconnects here,
            // handing the lost one back first, after rollback() acknowledges the transaction
            // it took along (with no transaction open, rollback() does nothing).
            auto& connection = *p.database->connection;
            connection.rollback();
            commit ? connection.commit_prepared(p.xid) : connection.rollback_prepared(p.xid);
        } catch (const DatabaseError& e) {
            // 42704 undefined_object: the PREPARE whose outcome was unknown had not happened.
            if (!(maybe_absent && e.sqlstate() == "42704")) stranded.push_back(p.xid);
        } catch (...) {
            stranded.push_back(p.xid);
        }
    };
    const auto throw_naming_stranded = [&](const DatabaseError& e) {
        throw_database_error(e.sqlstate(),
                             fmt::format("{}; two-phase commit left these transactions prepared, holding "
                                         "their locks, until COMMIT PREPARED or ROLLBACK PREPARED runs on "
                                         "their servers: {}",
                                         e.message(), fmt::join(stranded, ", ")),
                             e.sql(), e.connection_invalidated());
    };
    try {
        for (std::size_t i = 0; i < databases_.size(); ++i) {
            auto& connection = databases_[i].connection;
            if (!connection) continue;
            Prepared p{&databases_[i], fmt::format("{}_{}", base, i)};
            try {
                connection->prepare_transaction(p.xid);
            } catch (const DatabaseError& e) {
                // A lost connection may have lost the answer to a PREPARE that happened.
                if (e.connection_invalidated()) end_prepared(p, false, true);
                throw;
            }
            prepared.push_back(std::move(p));
        }
    } catch (...) {
        for (const auto& p : prepared) end_prepared(p, false, false);
        needs_rollback_ = true;
        if (stranded.empty()) throw;
        try {
            throw;
        } catch (const DatabaseError& e) {
            throw_naming_stranded(e);
        }
    }
    // Every engine holds the work now: it is committed, also where a COMMIT PREPARED fails,
    // which leaves that server's part prepared until someone ends it.
    std::optional<DatabaseError> failure;
    for (const auto& p : prepared) {
        try {
            p.database->connection->commit_prepared(p.xid);
        } catch (const DatabaseError& e) {
            end_prepared(p, true, true);  // once more, on a new connection if that one was lost
            if (!failure) failure = e;
        }
    }
    savepoints_.clear();
    end_all(true, 1);
    transaction_open_ = false;
    release_connections();
    if (failure && !stranded.empty()) throw_naming_stranded(*failure);
}

void SessionCore::rollback(std::uint32_t depth) {
    if (depth > 1 && !needs_rollback_) {
        if (depth != this->depth())
            throw InvalidRequestError("alchemy: roll back the innermost nested transaction first");
        // The loops that started inside the SAVEPOINT may read rows it undoes; those that
        // started before it read no table it wrote (refuse_writes_to_streams).
        end_streams(depth);
        savepoints_.back().transaction.rollback();
        savepoints_.pop_back();
        end_all(false, depth);
        return;
    }
    roll_back_connections();
    end_all(false, 1);
    needs_rollback_ = false;
    transaction_open_ = false;
    release_connections();
}

void SessionCore::close() noexcept {
    roll_back_connections();
    unchecked_owners_.clear();  // their rows are rolled back
    // The objects leave as after a rollback (an object whose INSERT is undone is new
    // again, a snapshot holds the row as it is again), but with the program's changes,
    // which add() into another session writes.
    for (auto& set : sets_)
        if (set) set->rolled_back(1, true);
    expunge_all();
    needs_rollback_ = false;
    transaction_open_ = false;
    release_connections();
}

void SessionCore::roll_back_connections() noexcept {
    end_streams();
    savepoints_.clear();
    for (auto& database : databases_) {
        if (!database.connection) continue;
        try {
            database.connection->rollback();
        } catch (...) {  // a connection that cannot roll back is not reused
            database.connection->invalidate();
        }
    }
}

void SessionCore::release_connections() noexcept {
    end_streams();
    begun_.clear();
    for (auto& database : databases_) database.connection.reset();
    wrote_ = false;
    transaction_options_.reset();
}

void SessionCore::expire_all() noexcept {
    discard_relationship_changes(
        [](const InstanceState& s) { return s.state == ObjectState::persistent && !s.delete_requested; });
    for (auto& set : sets_)
        if (set) set->expire_all();
}

void SessionCore::expunge_all() noexcept {
    hand_back_relationship_changes(nullptr);
    forget_relationship_work();
    for (auto& set : sets_)
        if (set) set->expunge_all();
}

}  // namespace alchemy::detail
