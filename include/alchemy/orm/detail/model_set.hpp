// A session's objects of one model: ModelSetCore, compiled once (src/orm/model_set.cpp),
// keeps the identity map, the objects in the order they came, their states, and the
// model's part of each flush (batched INSERTs with the generated keys written back,
// UPDATEs of only the changed columns, DELETEs); ModelSet<T> is the typed front the
// Session's templates call, which only converts between std::shared_ptr<T> and the core.
//
// Why the objects are held weakly: a session that loads 100 000 objects one at a time
// must not keep them all, nor compare them all with their snapshots at every autoflush.
// The core keeps a weak_ptr to each object it made; once the program drops an object and
// it has nothing to flush, reap() lets it go. Each flush compares only the objects still
// attached, so its cost follows what the program holds, not what the session ever loaded.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/error.hpp"
#include "alchemy/orm/detail/identity_map.hpp"
#include "alchemy/orm/detail/model_ops.hpp"
#include "alchemy/orm/detail/relationship_loader.hpp"
#include "alchemy/orm/detail/session_core.hpp"
#include "alchemy/orm/object_state.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace alchemy::detail {

struct DeleteReach;  // src/orm/cascade.cpp

class ModelSetCore {
public:
    ModelSetCore(SessionCore& session, const ModelOps& ops);
    ~ModelSetCore();
    ModelSetCore(const ModelSetCore&) = delete;
    ModelSetCore& operator=(const ModelSetCore&) = delete;

    const ModelOps& ops() const noexcept { return ops_; }
    const Table& table() const { return ops_.table(); }
    SessionCore& session() const noexcept { return session_; }

    // Attaching and detaching -------------------------------------------------------------

    /// add(): a transient object becomes pending, a detached one persistent again.
    /// `session_made`: the object came from make_tracked (held weakly), else the session
    /// keeps `object` alive itself.
    void add(InstanceState& state, const std::shared_ptr<void>& object, bool session_made);
    /// session.delete_(): the row is deleted at the next flush, and the objects its
    /// relationships reach as their cascades say (src/orm/cascade.cpp).
    void delete_(InstanceState& state);
    /// The delete cascade reached `state`: a pending object is expunged, a persistent one
    /// deleted with its own cascades.
    void delete_with_cascades(InstanceState& state);
    /// The delete's first walk: loads the relationships of `state` and of what its
    /// cascades reach, changing nothing.
    void read_for_delete(InstanceState& state, DeleteReach& reach);
    /// The second walk, over what the first read: marks, expunges and lets go.
    void mark_for_delete(InstanceState& state);
    /// The merge cascade: what the loaded relationships of `source` (a T not of this
    /// session) hold, merged, becomes what those of `target` hold.
    void merge_relationships(const void* source, InstanceState& target, MergeMemo& memo);
    /// Loads the relationships of `state` its delete cascades must read.
    void load_for_delete(InstanceState& state);
    void expunge(InstanceState& state);
    void expire(InstanceState& state);
    /// The row just read for refresh(): its values replace the object's columns.
    void refreshed(InstanceState& state, void* row);
    /// merge(): the persistent object of `state` takes the columns of `values` (a T) but
    /// the version, which tells whether `values` was read from the row as it is; throws
    /// StaleDataError where it was read from an older one. `source` is the state of
    /// `values` if it has a row (else null): expired, it gives only the columns the program
    /// changed since. Throws InvalidRequestError when `values` moves the key onto one
    /// another object of the session holds.
    void merge_columns(InstanceState& state, const void* values, const InstanceState* source);
    bool contains(const InstanceState* state) const noexcept;
    bool is_modified(const InstanceState& state) const;
    /// Throws InvalidRequestError unless `state` belongs to this session.
    InstanceState& attached(InstanceState* state, std::string_view operation) const;

    // Loading -----------------------------------------------------------------------------

    /// The session's object with the key of `values` from the identity map (made anew if
    /// the program had dropped it), with its state; nulls if there is none.
    ObjectAndState find(const void* values);
    /// get(): the identity map's object for `key_values`, or null (the caller selects).
    /// Deleted-in-this-session objects are reported as `gone`.
    struct Lookup {
        std::shared_ptr<void> object;
        InstanceState* state = nullptr;
        bool gone = false;
    };
    Lookup lookup(const void* key_values);
    /// An expired object's row just read again.
    void take_row(InstanceState& state, void* row) noexcept;
    /// get(): the object with the key that the key fields of `key_values` (a T) hold, from
    /// the identity map or else by a SELECT; null when there is no row.
    std::shared_ptr<void> get(const void* key_values);
    /// The row with the key of `key_values` (a T), read into the spare object
    /// (read_spare()), or null when there is none. `latest`: from the model's own engine,
    /// never the read replica (refresh()).
    void* select_by_key(const void* key_values, bool latest);
    /// The session's object, and its state, for the model's columns [first, first +
    /// column_count) of the current row of `row`. The row is read straight into the new
    /// object it would become, with no T in between to move; a row whose object the session
    /// holds leaves that new object spare for the next row, its values released
    /// (release_spare()).
    ObjectAndState adopt_row(const Cursor& row, int first);
    /// Reads the columns [first, first + column_count) of the current row of `row` into
    /// the spare object, and returns its values, for adopt_spare(), or for the caller to
    /// take and then release_spare() (get() and refresh()).
    void* read_spare(const Cursor& row, int first = 0);
    /// adopt_row() of the row read_spare() read.
    ObjectAndState adopt_spare();
    /// Frees what the spare object's values hold (a long string's buffer), which would
    /// otherwise pass to the next new object read into it.
    void release_spare() {
        if (spare_state_) ops_.release_columns(spare_state_->object);
    }
    /// The object with integer key `key` (revived if the program dropped it), or nulls.
    ObjectAndState find_key(std::int64_t key);
    /// The object with integer key `key` and its state if the program still holds it,
    /// else nulls.
    ObjectAndState held(std::int64_t key);
    /// The state the identity map has for the key of `values`, or null; never revives.
    InstanceState* identity_state(const void* values) const noexcept { return identity_.find(values); }

    /// Each persistent object, for synchronize_session; f(InstanceState&).
    template <class F>
    void for_each_persistent(F&& f) {
        for (auto& slot : slots_)
            if (slot.state && slot.state->state == ObjectState::persistent) f(*slot.state);
    }
    /// A bulk UPDATE wrote `columns` of the rows of `states`, whose objects hold the new
    /// values already: their snapshots take them too, and the identity map the objects'
    /// new keys, as after a flush.
    void synchronize_assigned(std::span<InstanceState* const> states, const ColumnMask& columns);
    /// A bulk DELETE removed the row of `state`: the object is deleted, as after a flush.
    void mark_deleted(InstanceState& state) noexcept;
    /// Room in the identity map for every object held, so that a rollback puts back what
    /// mark_deleted() took out without allocating (end_transaction is noexcept).
    void keep_room_to_restore() { identity_.reserve_more(0); }

    // The unit of work (SessionCore drives it) -------------------------------------------

    /// Finds what the next flush must do; false: nothing.
    bool collect_flush();
    /// What the last collect_flush() returned, until the flush ends.
    bool collected_work() const noexcept {
        return !inserts_.empty() || !updates_.empty() || !deletes_.empty();
    }
    /// Whether the next flush would write a row of this model, without collecting it.
    bool has_flush_work() const;
    /// The rows collect_flush() found, which SessionCore orders (src/orm/flush_order.cpp):
    /// the new objects, and the rows to delete as the database has them.
    std::size_t new_count() const noexcept { return inserts_.size(); }
    const void* new_object(std::size_t i) const noexcept { return inserts_[i].state->object; }
    std::size_t deleted_count() const noexcept { return deletes_.size(); }
    const void* deleted_row(std::size_t i) const noexcept { return deletes_[i]->snapshot; }
    /// Puts the new objects, or the rows to delete, in `order` (indices of new_object(),
    /// or of deleted_row()).
    void order_inserts(std::span<const std::size_t> order);
    void order_deletes(std::span<const std::size_t> order);
    /// The INSERTs of the new objects [from, to) in their order. Generated keys are
    /// written into the objects; everything else waits for finish_flush().
    void insert_rows(std::size_t from, std::size_t to);
    /// A foreign key the flush wrote after the INSERTs of its group: into an object with
    /// a row (its UPDATE then sets every changed column), or into one it has just
    /// inserted with the key NULL (a post_update key: an UPDATE of that column).
    struct LateKey {
        InstanceState* state;
        std::size_t column;
        bool inserted;
    };
    /// Whether this flush sends `state`, a pending object, as the UPDATE of a row it
    /// takes from a deleted object (switch_rows()) rather than as an INSERT.
    bool switches_row(const InstanceState& state) const noexcept;
    /// Adds the objects of `keys` to the UPDATEs, each once.
    void update_later(std::span<const LateKey> keys);
    /// Before the group's INSERTs, the UPDATEs that need none of them: those not of
    /// `waiting` (objects whose foreign key waits for a new row's key) that change no
    /// column of `may_name_new_rows` (foreign keys to tables of the group, whose values
    /// may name a new row).
    void flush_updates_first(std::span<InstanceState* const> waiting, const ColumnMask& may_name_new_rows);
    /// UPDATEs of the changed objects (those flush_updates_first() left).
    void flush_updates();
    /// Sets foreign-key column `column` of the rows to delete `rows` (indices of
    /// deleted_row()) to NULL: post_update keys inside a cycle of rows to delete.
    void clear_before_delete(std::size_t column, std::span<const std::size_t> rows);
    /// DELETEs of the rows [from, to) in their order, each checked at once.
    void delete_rows(std::size_t from, std::size_t to);
    /// After every statement of the flush succeeded: states, identity map, snapshots.
    void finish_flush(std::uint32_t depth) noexcept;
    /// After a statement failed: puts back what flush_saves wrote into objects.
    void undo_flush() noexcept;
    /// Appends the values this flush writes into integer column `column` but NULLs: those
    /// of the new rows, and of the rows whose UPDATE changes it (src/orm/one_to_one_check.cpp).
    void written_values(std::size_t column, std::vector<std::int64_t>& out) const;
    /// The commit of the transaction (depth 1) or the release of a SAVEPOINT (depth > 1);
    /// `expire`: expire_on_commit.
    void committed(std::uint32_t depth, bool expire) noexcept;
    /// The rollback of the transaction (depth 1) or of a SAVEPOINT (depth > 1): objects
    /// it inserted are new again, those it deleted back, snapshots as the database has
    /// them again. The objects are expired, discarding the program's changes, unless
    /// `keep_changes` (close(): they leave the session with them).
    void rolled_back(std::uint32_t depth, bool keep_changes) noexcept;
    void expire_all() noexcept;
    /// Forgets every object: persistent and deleted ones become detached, pending ones transient.
    void expunge_all() noexcept;
    /// Lets go of the objects the program dropped that have nothing to flush.
    void reap() noexcept;
    /// While it lives, a load runs that holds every object it adopts until it ends (a
    /// query's all(), a relationship load). Its own objects cannot have been dropped, so
    /// they do not count toward the next reap(), which would otherwise walk every object
    /// again each time the load doubled the session.
    class HeldLoad {
    public:
        explicit HeldLoad(ModelSetCore& set) noexcept
            : set_(set),
              outer_start_(
                  std::exchange(set.held_load_start_, std::min(set.held_load_start_, set.slots_.size()))) {}
        HeldLoad(const HeldLoad&) = delete;
        HeldLoad& operator=(const HeldLoad&) = delete;
        ~HeldLoad() { set_.held_load_start_ = outer_start_; }

    private:
        ModelSetCore& set_;
        std::size_t outer_start_;
    };

private:
    /// One object as the list holds it: weakly, whoever made it. Slots are walked by every
    /// flush and reap, so they stay this small; the strong references to objects the
    /// program made live in program_made_.
    struct Slot {
        InstanceState* state = nullptr;  ///< null: a hole left by detach()
        std::weak_ptr<void> weak;
    };
    /// A new object, and what flush_saves wrote into it before the flush succeeded.
    struct Insert {
        InstanceState* state;
        std::optional<std::int64_t> key_before{};
        bool key_written = false;
        std::optional<std::int64_t> version_before{};
        bool version_written = false;
        /// The row RETURNING gave for the columns the database filled (server defaults),
        /// copied into the object by finish_flush(); null when there were none.
        std::shared_ptr<void> returned{};
        ColumnMask filled{};
    };
    struct Update {
        InstanceState* state;
        ColumnMask changed;
        std::size_t group = 0;  ///< rank of `changed` among the flush's (update_all)
        /// The row RETURNING gave for the sa::onupdate() columns, copied into the object
        /// by finish_flush(); null when the model has none.
        std::shared_ptr<void> returned{};
        bool key_moved = false;  ///< the UPDATE changes the key (finish_flush)
        /// A row switch: this pending object takes the row of the deleted object
        /// `replaces` (switch_rows()); null for an ordinary UPDATE.
        InstanceState* replaces = nullptr;
    };
    /// Snapshot columns as they were before an UPDATE of the open transaction (a flush's,
    /// or a bulk one the session synchronised) rewrote them at `depth`. A rollback to that
    /// depth or above puts them back, so that the snapshot holds the row as the database
    /// has it again: a change the program makes again is seen as one, a version matches,
    /// and an object whose key moved (SQLAlchemy's key switch) takes its old place in the
    /// identity map, so no later write goes to the row that took the new key. Kept in the
    /// order made, so that the entries of a depth and deeper ones are the last.
    /// The columns' values are kept in rewritten_values_, the n-th entry's in the n-th T.
    struct Rewrite {
        InstanceState* state;  ///< null once the object left the session
        ColumnMask columns;
        std::uint32_t depth;
        std::uint32_t previous;  ///< the state's entry before this one, as InstanceState::rewrites
        bool moves_key;          ///< the UPDATE changed the object's key
        /// A foreign key that followed its parent's key (follow_key()), not the program's
        /// change: the object takes it back even where the program's changes stay (close()).
        bool follows_parent;
    };
    /// The T holding the columns of rewrites_[n].
    void* rewritten_values(std::size_t n) const noexcept;
    /// Whether the flush lets `state` go once its statement ran: the program dropped it,
    /// and its model has no relationships to hand over (finish_flush).
    bool leaves_after_flush(const InstanceState& state) const noexcept;

    void attach(InstanceState& state, const std::shared_ptr<void>& object, bool session_made, ObjectState as);
    /// Tells the object's relationship members who owns them.
    void link(InstanceState& state, const std::shared_ptr<void>& object) noexcept;
    /// save-update: what the relationships of an added object hold joins the session, and
    /// their foreign keys are written at the next flush.
    void cascade_add(InstanceState& state);
    /// add() refuses an object whose BelongsTo names a parent the program dropped, where
    /// the flush would have to write that parent's key.
    void refuse_dropped_parents(InstanceState& state, bool has_row) const;
    /// Sets the probe's key to `key`.
    const void* probe(std::int64_t key);
    void detach(InstanceState& state) noexcept;
    void forget_insert(InstanceState& state) noexcept;
    /// What the rollback of its INSERT takes from the object: the generated key and the
    /// server defaults the database filled in.
    void clear_inserted_values(InstanceState& state) noexcept;
    void compact() noexcept;
    /// A row just read: its object from the identity map (refreshed if expired), or nulls
    /// when the row is new to the session, which then calls attach_loaded with `probe`.
    ObjectAndState adopt_existing(void* row, IdentityMap::Probe& probe);
    /// Attaches a new session-made object for a loaded row, its snapshot taken, whose key
    /// adopt_existing() just found absent, where `probe` says.
    void attach_loaded(InstanceState& state, const std::shared_ptr<void>& object,
                       const IdentityMap::Probe& probe);
    /// A new object in place of the dropped one of `slot`, for handing out again.
    std::shared_ptr<void> revive(Slot& slot);
    std::shared_ptr<void> object_of(Slot& slot);
    /// The object of the identity map's `state` (revived if dropped) and its state then.
    ObjectAndState object_and_state(InstanceState& state);
    /// True when the program no longer holds the object of `slot`.
    static bool released(const Slot& slot) noexcept;
    bool has_work(const InstanceState& state) const;
    void expire_object(InstanceState& state) noexcept;
    void unload_relationships(InstanceState& state) noexcept;
    /// What a dropped object's deleter would have done (object_dropped in
    /// relationship_ops.hpp), on this thread: its relationships and `self` let go.
    void let_go(InstanceState& state) noexcept;
    std::string message(std::string_view what) const;

    /// SQLAlchemy's row switch: a new object with the (given) key of a row this flush
    /// deletes moves from inserts_ to updates_, as an UPDATE of that row, and the row's
    /// DELETE is dropped; the DELETEs run last, so its INSERT would meet the row's key.
    void switch_rows();
    /// finish_flush() of a row switch's UPDATE: `state` is persistent under the row's
    /// key, as if inserted at `depth`, the object it replaced deleted.
    void finish_row_switch(InstanceState& state, const ColumnMask& written, std::uint32_t depth) noexcept;
    /// Gives inserts_[begin, end) the keys `result` holds: in its order where the rows came
    /// `in_values_order` (Dialect::returns_rows_in_values_order), else in ascending order.
    void write_generated_keys(Result<>& result, std::size_t begin, std::size_t end, bool in_values_order);
    /// INSERTs inserts_[begin, end) leaving out `omitted`, reading back what RETURNING gives.
    void insert_returning(Connection& conn, std::size_t begin, std::size_t end, const ColumnMask& omitted,
                          std::string& scratch);
    /// INSERTs inserts_[begin, end) leaving out the generated key, without RETURNING, and
    /// gives them the keys the table numbered them with (KeyNumbering::consecutive), which
    /// `last_key_sql` tells.
    void insert_numbered(Connection& conn, std::size_t begin, std::size_t end, std::string_view last_key_sql,
                         std::string& scratch);
    /// Loads inserts_[begin, end) by COPY, with keys the dialect's reserved_keys_sql()
    /// took for them; false (no row sent) where it took none.
    bool copy_with_reserved_keys(Connection& conn, std::size_t begin, std::size_t end);
    /// Binds the columns but `omitted` of inserts_[begin, end) into params_.
    void bind_inserts(std::size_t begin, std::size_t end, const ColumnMask& omitted);
    /// Gives `w`'s object the generated `key`, keeping what it had for a rollback.
    void give_generated_key(Insert& w, std::optional<std::int64_t> key);
    /// Reads what an INSERT leaving out `omitted` of inserts_[begin, end) returned.
    void read_inserted(Result<>& result, const ColumnMask& omitted, std::size_t begin, std::size_t end,
                       bool in_values_order);
    /// The rows of `result`, each read into a new T through the columns of `returned`.
    std::vector<std::shared_ptr<void>> read_returned(Result<>& result, const ColumnMask& returned) const;
    /// Puts `state` into the identity map under the key a statement of the flush gave it.
    void take_place(InstanceState& state) noexcept;
    /// Keeps `columns` of the snapshot of `state` as they are, before an UPDATE rewrites
    /// them, unless its entry of this depth holds them already (Rewrite). `moves_key`:
    /// the rewrite moves the object's key, which a rollback must then move back.
    void note_rewrite(InstanceState& state, const ColumnMask& columns, bool moves_key);
    /// note_rewrite() of the columns each of `updates` writes.
    void note_rewrites(std::span<const Update> updates);
    /// A rollback to `depth`: the snapshots rewritten at that depth or deeper get their
    /// columns back, the objects too when `objects` (a rollback discards what the program
    /// changed since; close() leaves it to be written by another session).
    void undo_rewrites(std::uint32_t depth, bool objects) noexcept;
    /// expunge(): keeps what the open transaction still holds of `state` (expunged_).
    void set_aside(InstanceState& state) noexcept;
    /// The entry of expunged_ for `state`, or null.
    struct Expunged;
    Expunged* set_aside_for(const InstanceState& state) noexcept;
    /// add() brought back the object of `entry`: what the transaction holds of it is its
    /// again, as if it had stayed.
    void rejoin(InstanceState& state, const Expunged& entry) noexcept;
    /// A rollback to `depth`, for the objects expunge() took out: one whose INSERT it
    /// undoes is transient again, as forget_insert() leaves it; one whose DELETE it undoes
    /// has its row again.
    void roll_back_expunged(std::uint32_t depth) noexcept;
    /// Drops the entries of expunged_ the transaction holds nothing of any longer.
    void drop_finished_expunged() noexcept;
    /// Points the entries of the chain that starts at `latest` (InstanceState::rewrites)
    /// at `state`: null when the object leaves, another when it comes back or is revived.
    void point_rewrites(std::uint32_t latest, InstanceState* state) noexcept;
    /// Before rewrites_.back() goes: the chain of its object starts at the entry before.
    void popping_rewrite(const Rewrite& r) noexcept;
    /// Drops the entries of the flush that failed, whose UPDATEs rewrote no snapshot.
    void drop_unflushed_rewrites() noexcept;
    /// Drops every entry, and rows_written_: the transaction ended, or the objects left.
    void forget_rewrites() noexcept;
    /// A child in a loaded HasMany or HasOne of an object whose key an UPDATE moves, its
    /// foreign key declared ON UPDATE CASCADE: the database moves the child's row with the
    /// key, and the child's field and snapshot follow (follow_key()), with no UPDATE of
    /// its own, as SQLAlchemy's passive_updates do.
    struct KeyFollower {
        ModelSetCore* set;            ///< the child's model's
        std::shared_ptr<void> child;  ///< held until the flush ends, so that `state` stays its
        InstanceState* state;
        std::size_t column;  ///< the child's foreign key
        std::int64_t old_key;
        std::int64_t new_key;
    };
    /// Before the UPDATE that moves the key of `parent`: its children that follow the key
    /// join key_followers_, their foreign keys kept for a rollback (note_followed_key()).
    void note_key_followers(const InstanceState& parent);
    /// In the child's set: keeps foreign key `column` of `child` for a rollback, and throws
    /// DataError now, before the UPDATE runs, where the field cannot hold `new_key`.
    void note_followed_key(InstanceState& child, std::size_t column, std::int64_t new_key);
    /// In the child's set, once the UPDATE ran: the row's foreign key moved, so the
    /// snapshot takes the new key, and the field too unless the program changed it (the
    /// next flush writes that change).
    void follow_key(const KeyFollower& follower) noexcept;
    /// follow_key() of each of key_followers_, which then empties.
    void move_key_followers() noexcept;
    void update_all(Connection& conn, std::span<Update> updates);
    void update_rows(Connection& conn, const ColumnMask& changed, std::span<Update* const> group);
    void update_from_values(Connection& conn, const ColumnMask& changed, std::span<Update* const> group);
    void bind_update(const Update& u, ParamBuffer& out) const;
    /// The UPDATE of the `changed` columns; remembers the last one, as objects with the
    /// same changed columns mostly come one flush after another.
    std::string_view update_sql(const Dialect& dialect, const ColumnMask& changed);
    /// Runs `sql` once for each of the `rows` rows of values in params_; the rows each
    /// run affected, valid until the next call.
    std::span<const std::int64_t> execute_rows(Connection& conn, std::string_view sql, std::size_t rows);
    void check_matched(std::string_view statement, std::span<const std::int64_t> affected) const;

    SessionCore& session_;
    const ModelOps& ops_;
    std::vector<Slot> slots_;
    /// Objects the program made (std::make_shared), held strongly while attached: their
    /// state lives in a registry, not in their control block (alchemy/orm/object_state.hpp),
    /// so a dropped one could not be read again. Rare, so kept apart from the slots.
    struct ProgramMade;
    std::unique_ptr<ProgramMade> program_made_;
    std::size_t holes_ = 0;
    std::size_t reaped_at_ = 0;  ///< slots_.size() after the last reap()
    /// slots_.size() when the outermost HeldLoad began; the largest size_t when none runs.
    std::size_t held_load_start_ = static_cast<std::size_t>(-1);
    IdentityMap identity_;
    std::vector<Insert> inserts_;
    std::vector<Update> updates_;
    std::size_t updates_sent_ = 0;  ///< updates_[0, n) ran before the INSERTs (flush_updates_first)
    std::vector<Update*> grouped_;  ///< updates_ by changed columns (update_all)
    ParamBuffer params_;            ///< the statements' values, kept between flushes
    ParamBuffer key_params_;        ///< select_by_key()'s values, kept so that a get() allocates none
    std::vector<InstanceState*> deletes_;
    std::size_t row_switches_ = 0;  ///< updates_ that are row switches (switch_rows())
    std::vector<Rewrite> rewrites_;
    std::vector<KeyFollower> key_followers_;  ///< of this flush's UPDATEs (note_key_followers)
    /// An object expunge() took out while the open transaction held something of it: the
    /// start of its chain of entries (InstanceState::rewrites), and the depths at which a
    /// flush inserted or deleted its row. add() gives them back; otherwise the rollback of
    /// such a depth, or the commit, ends them in the object as it would have in the
    /// session. Held weakly: an object the program dropped can come back to no session.
    struct Expunged {
        std::weak_ptr<void> object;
        InstanceState* state;  ///< read only while `object` lives
        std::uint32_t rewrites;
        std::uint32_t inserted_at_depth;
        std::uint32_t deleted_at_depth;
    };
    std::vector<Expunged> expunged_;
    /// Blocks of rewrite_block Ts, for rewritten_values(); the first stays for the next
    /// transaction.
    std::vector<std::shared_ptr<void>> rewritten_values_;
    std::size_t rewrites_kept_ = 0;  ///< rewrites_[0, n) are of statements that succeeded
    std::size_t moved_keys_ = 0;     ///< entries of rewrites_ that move a key, for identity_'s room
    bool rows_written_ = false;      ///< the transaction inserted or deleted rows of the model
    /// Memo of select_by_key()'s SQL and the dialect it is written for: get() reads from a
    /// read replica, refresh() from the model's own engine, which may be of another backend.
    const Dialect* select_by_key_dialect_ = nullptr;
    std::string_view select_by_key_;
    struct UpdateMemo {
        const Dialect* dialect = nullptr;
        ColumnMask changed;
        std::string_view sql;
    };
    UpdateMemo last_update_;              ///< see update_sql()
    std::vector<std::int64_t> affected_;  ///< see execute_rows()
    std::shared_ptr<void> probe_;         ///< a T for looking up integer keys
    /// The spare object of adopt_row() and its state, or nulls.
    std::shared_ptr<void> spare_;
    InstanceState* spare_state_ = nullptr;
};

/// The typed front of ModelSetCore for model T.
template <class T>
class ModelSet {
public:
    explicit ModelSet(ModelSetCore& core) noexcept : core_(core) {}

    void add(const std::shared_ptr<T>& object) {
        auto& state = state_of(object);
        core_.add(state, object, std::get_deleter<tracked_deleter<T>>(object) != nullptr);
    }
    void delete_(const std::shared_ptr<T>& object) { core_.delete_(attached(object, "delete_()")); }
    void expunge(const std::shared_ptr<T>& object) { core_.expunge(attached(object, "expunge()")); }
    void expire(const std::shared_ptr<T>& object) { core_.expire(attached(object, "expire()")); }
    /// Reloads every column from the database, discarding unflushed changes.
    void refresh(const std::shared_ptr<T>& object) {
        auto& state = attached(object, "refresh()");
        if (state.state != ObjectState::persistent)
            throw InvalidRequestError(
                message("is not persistent (pending or deleted); only objects with a "
                        "row can be refreshed"));
        // First, or the SELECT's autoflush would write them.
        core_.ops().discard_changes(state.object, state.snapshot);
        core_.session().discard_relationship_changes([&](const InstanceState& s) { return &s == &state; });
        auto* row = core_.select_by_key(state.snapshot, true);
        if (!row) throw InvalidRequestError(message("could not be refreshed: its row no longer exists"));
        core_.refreshed(state, row);
        core_.release_spare();
    }
    bool contains(const std::shared_ptr<T>& object) const noexcept {
        return core_.contains(find_state(object));
    }
    bool is_modified(const std::shared_ptr<T>& object) const {
        const auto* state = find_state(object);
        return core_.contains(state) && core_.is_modified(*state);
    }

    /// get<T>(key): the identity map first, then a SELECT; null when there is no row.
    std::shared_ptr<T> get(const key_type<T>& key) { return get_by_key_of(with_key<T>(key)); }
    /// get() of the key that `probe`'s key fields hold.
    std::shared_ptr<T> get_by_key_of(const T& probe) {
        return std::static_pointer_cast<T>(core_.get(&probe));
    }

    /// session.merge(): the session's object with the key of `values` takes its columns
    /// (read from the database first when not in the identity map), or a copy of `values`
    /// is added; then the merge cascade merges what `values`' relationships hold and puts
    /// the results into the session's object. `source` is the state of `values` (null for
    /// a bare value). `memo` holds what this merge() did so far.
    std::shared_ptr<T> merge(const T& values, const InstanceState* source, MergeMemo& memo) {
        if (auto merged = memo.merged(&values)) return std::static_pointer_cast<T>(std::move(merged));
        // As SQLAlchemy's merge(): an object with a row is its row by the key it was loaded
        // with, whatever its key fields hold now (a new key moves the row at the flush).
        const bool has_row =
            source && (source->state == ObjectState::detached || source->state == ObjectState::persistent ||
                       source->state == ObjectState::deleted);
        if (!has_row) source = nullptr;
        const T& identity = has_row ? *static_cast<const T*>(source->snapshot) : values;
        std::shared_ptr<T> target;
        if (!needs_generated_key(identity)) target = get_by_key_of(identity);
        if (target) {
            core_.merge_columns(*find_state(target), &values, source);
        } else {
            T fresh(values);
            release_relationships(fresh);  // they take the merged objects below
            target = make_tracked(std::move(fresh)).object;
            add(target);
        }
        memo.remember(&values, target);
        if (!core_.ops().relationships.empty()) core_.merge_relationships(&values, *find_state(target), memo);
        return target;
    }

    /// The state of the persistent object with the key of `values`, or null (no SQL).
    InstanceState* state_with_key_of(const T& values) const noexcept { return core_.identity_state(&values); }
    /// Each persistent object, for synchronize_session; f(T&, InstanceState&).
    template <class F>
    void for_each_persistent(F&& f) {
        core_.for_each_persistent([&](InstanceState& state) { f(*static_cast<T*>(state.object), state); });
    }
    void synchronize_assigned(std::span<InstanceState* const> states, const ColumnMask& columns) {
        core_.synchronize_assigned(states, columns);
    }
    void mark_deleted(InstanceState& state) {
        core_.keep_room_to_restore();
        core_.mark_deleted(state);
    }
    /// Lets go of the objects the program dropped that have nothing to flush.
    void reap() noexcept { core_.reap(); }

private:
    InstanceState& attached(const std::shared_ptr<T>& object, std::string_view operation) const {
        return core_.attached(find_state(object), operation);
    }
    std::string message(std::string_view what) const {
        return "alchemy: the " + std::string(type_name<T>()) + " object " + std::string(what);
    }
    ModelSetCore& core_;
};

template <class T>
struct model_reader;  // select<T>()'s reader (alchemy/sql/select.hpp)

/// Hands `take` the session's object, with its state, for each row of `result`, of every
/// column of T, and the row. `take` holds every object until the load ends
/// (ModelSetCore::HeldLoad).
template <class T, class Reader, class Take>
void adopt_each_row(SessionCore& session, Result<T, Reader>&& result, Take&& take) {
    static_assert(std::is_same_v<Reader, row_traits<T>> || std::is_same_v<Reader, model_reader<T>>,
                  "alchemy: adopt_each_row() reads every column of T as T's own reader does");
    auto& set = session.models(model_id<T>(), model_ops<T>());
    const ModelSetCore::HeldLoad held(set);
    std::move(result).each_row([&](const Cursor& row) { take(set.adopt_row(row, 0), row); });
}
/// Appends to `out` the session's objects for the rows of `result`, of every column of T.
template <class T, class Reader, class Objects>
void adopt_rows(SessionCore& session, Result<T, Reader>&& result, Objects& out) {
    adopt_each_row(session, std::move(result), [&](ObjectAndState&& adopted, const Cursor&) {
        out.push_back(std::static_pointer_cast<T>(std::move(adopted.first)));
    });
}
template <class T, class Objects>
void adopt_rows(SessionCore& session, Connection& conn, std::string_view sql, std::span<const Param> params,
                Objects& out) {
    adopt_rows<T>(session, conn.execute_sql(sql, params).template as<T>(), out);
}

template <class T>
void load_rows(SessionCore& session, std::string_view sql, std::span<const Param> params, ObjectSink take) {
    adopt_each_row(session, session.read_connection(model_id<T>()).execute_sql(sql, params).template as<T>(),
                   take);
}

template <class T>
std::shared_ptr<void> merge_object(SessionCore& session, const std::shared_ptr<void>& source,
                                   MergeMemo& memo) {
    const auto typed = std::static_pointer_cast<T>(source);
    return ModelSet<T>(session.models(model_id<T>(), model_ops<T>())).merge(*typed, find_state(typed), memo);
}

template <class T>
ObjectAndState adopt_row(SessionCore& session, const Cursor& row, int first) {
    if (row.is_null(first + static_cast<int>(model_info<T>::primary_key[0]))) return {};
    return session.models(model_id<T>(), model_ops<T>()).adopt_row(row, first);
}

template <class T>
void add_object(SessionCore& session, const std::shared_ptr<void>& object) {
    ModelSet<T>(session.models(model_id<T>(), model_ops<T>())).add(std::static_pointer_cast<T>(object));
}

}  // namespace alchemy::detail
