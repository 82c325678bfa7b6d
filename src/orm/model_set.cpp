// ModelSetCore: one model's objects in a session, and the model's part of each flush.
// model_set.hpp says why objects are held weakly.
#include "alchemy/orm/detail/model_set.hpp"

#include "alchemy/orm/detail/relationship_members.hpp"
#include "orm/model_statements.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace alchemy::detail {
namespace {

// Let go of objects the program dropped once the list has grown by this much since the
// last pass: loading a million rows in batches then keeps memory to what is still held.
constexpr std::size_t reap_after = 1024;
/// The fewest rows an INSERT learns its generated keys for from its last key rather than
/// by RETURNING: the statement that tells that key costs what RETURNING does for a few.
constexpr std::size_t numbered_rows_at_least = 16;
/// The fewest new rows a flush loads by COPY with keys taken beforehand: the statement
/// that takes them and COPY's own query of the column types cost two round trips.
constexpr std::size_t copied_rows_at_least = 1000;
/// Rows per COPY of those: each costs a round trip for the columns' types.
constexpr std::size_t rows_per_copy = 50'000;
/// Ts per block of the values rollbacks put back (ModelSetCore::Rewrite): one allocation
/// for that many UPDATEs of a transaction.
constexpr std::size_t rewrite_block = 64;

InstanceState& work_state(const auto& work) noexcept {
    if constexpr (std::is_pointer_v<std::remove_cvref_t<decltype(work)>>) return *work;
    else return *work.state;
}

/// Whether the database moves the rows of `rel`'s children with their parent's key: the
/// children's foreign key is declared ON UPDATE CASCADE.
bool cascades_on_update(const RelationshipOps& rel) {
    const auto& children = rel.target();
    const auto column = children.columns[rel.foreign_key].name;
    const auto& parent_table = rel.owner().table().name;
    const auto& keys = children.table().foreign_keys;
    return std::any_of(keys.begin(), keys.end(), [&](const ForeignKey& key) {
        return key.on_update == ReferentialAction::cascade && key.columns.size() == 1 &&
               key.columns.front() == column && key.referred_table == parent_table;
    });
}

}  // namespace

struct ModelSetCore::ProgramMade {
    std::unordered_map<const InstanceState*, std::shared_ptr<void>> held;
};

ModelSetCore::ModelSetCore(SessionCore& session, const ModelOps& ops)
    : session_(session), ops_(ops), identity_(ops) {}

ModelSetCore::~ModelSetCore() { expunge_all(); }

std::string ModelSetCore::message(std::string_view what) const {
    return "alchemy: the " + std::string(ops_.model_name) + " object " + std::string(what);
}

// Attaching and detaching ------------------------------------------------------------------

InstanceState& ModelSetCore::attached(InstanceState* state, std::string_view operation) const {
    if (!contains(state)) throw_not_in_session(operation, ops_.model_name);
    return *state;
}

bool ModelSetCore::contains(const InstanceState* state) const noexcept {
    return state && state->session == &session_;
}

void ModelSetCore::add(InstanceState& state, const std::shared_ptr<void>& object, bool session_made) {
    // As SQLAlchemy's add(): a flushed DELETE is undone only by a rollback, also for an
    // object expunge() took out since, and a committed one never.
    const auto refuse_deleted = [&] {
        throw InvalidRequestError(
            message("was deleted by a flush of this transaction; only a rollback brings it "
                    "back: add a new object with its values instead"));
    };
    if (state.session == &session_) {
        if (state.state == ObjectState::deleted) refuse_deleted();
        state.delete_requested = false;
        return;
    }
    if (state.session)
        throw InvalidRequestError(
            message("is already attached to another Session; expunge() it there first, "
                    "or merge() a copy into this one"));
    if (state.row_deleted)
        throw InvalidRequestError(
            message("has no row: its DELETE was committed, and the key may be another row's now; "
                    "add a new object with its values instead"));
    const bool has_row = state.state == ObjectState::detached || state.state == ObjectState::deleted;
    refuse_dropped_parents(state, has_row);
    if (has_row) {
        const auto* expunged = set_aside_for(state);
        if (expunged && expunged->deleted_at_depth != 0) refuse_deleted();
        if (auto* own = identity_.find(state.snapshot)) {
            // The session's object for the key, which the program dropped with nothing to
            // flush, leaves as reap() would let it go.
            if (!released(slots_[own->slot]) || has_work(*own))
                throw InvalidRequestError(
                    message("cannot be attached: another object with the same primary key "
                            "is already in this Session; use merge()"));
            detach(*own);
            compact();
        }
        identity_.reserve_more(1);
        attach(state, object, session_made, ObjectState::persistent);
        identity_.insert_or_assign(state);
        if (expunged) rejoin(state, *expunged);
    } else {
        attach(state, object, session_made, ObjectState::pending);
    }
    if (!ops_.relationships.empty()) cascade_add(state);
}

void ModelSetCore::refuse_dropped_parents(InstanceState& state, bool has_row) const {
    for (const auto* rel : ops_.relationships) {
        if (!rel->to_one()) continue;
        const auto& ref = rel->reference(state.object);
        // A parent whose collection took this object while neither was in a Session is
        // held by that collection, this object referring back weakly. Dropped since, it
        // would leave the key to write empty: a new object's, or one assigned.
        if (ref.dropped() && (!has_row || ref.assigned()))
            throw InvalidRequestError(message(
                "has its " + std::string(rel->name) + " (" + std::string(rel->target().model_name) +
                ") dropped by the program before either joined a Session, so the key to write is unknown; "
                "keep a pointer to it until it is added, or add it first (its collection then adds this "
                "object)"));
    }
}

void ModelSetCore::link(InstanceState& state, const std::shared_ptr<void>& object) noexcept {
    if (ops_.relationships.empty()) return;
    state.self = object;
    state.drop.attach();
    for (const auto* rel : ops_.relationships) rel->member(state.object).link({&state, rel});
}

void ModelSetCore::cascade_add(InstanceState& state) {
    const auto owner = state.self.lock();
    if (!owner) std::atomic_thread_fence(std::memory_order_acquire);  // as in released()
    const bool links_forgotten = std::exchange(state.links_forgotten, false);
    for (const auto* rel : ops_.relationships) {
        auto& member = rel->member(state.object);
        if (!member.loaded()) continue;
        if (rel->kind == RelationshipKind::many_to_many) {
            auto& associated = static_cast<Associated&>(member);
            auto changes = associated.take_changes();
            if (links_forgotten) {
                // The object has no row, so every link it holds is new, and the Session
                // has none of them: each is made again (the target, added again by this,
                // may make it too; write_links() writes each row once).
                changes.clear();
                for (auto& target : associated.held()) changes.push_back({std::move(target), true});
            }
            for (auto& change : changes) {
                if (change.linked && associated.contains(change.target.get()))
                    associated.pair_with(change.target);
                session_.link_changed(state, *rel, change.target, change.linked);
            }
            continue;
        }
        if (rel->to_one()) {
            auto& ref = static_cast<ToOne&>(member);
            // A new object's parent is written even if it was set before the object had a
            // state (a pending object rolled back and added again keeps its parent); set()
            // again now that the object has one, so the parent's collection takes it too.
            if (ref.assigned() || (state.state == ObjectState::pending && ref.peek())) ref.set(ref.peek());
            continue;
        }
        // Children added before the owner had a session: pair them with it now.
        auto& children = static_cast<Children&>(member);
        const auto items = children.held();
        const auto& back_rel = *rel->paired();
        for (const auto& child : items) {
            const auto& child_ops = rel->target();
            auto* child_state = child_ops.state_of(child);
            if (!child_state || child_state->session != &session_) {
                child_ops.add_object(session_, child);
                child_state = child_ops.state_of(child);
            }
            auto& back = back_rel.reference(child.get());
            if (back.holds(state.object)) continue;
            back.loaded_with(owner, true);
            session_.foreign_key_assigned(*child_state, back_rel, back);
        }
    }
}

void ModelSetCore::attach(InstanceState& state, const std::shared_ptr<void>& object, bool session_made,
                          ObjectState as) {
    if (!session_made) {
        if (!program_made_) program_made_ = std::make_unique<ProgramMade>();
        program_made_->held.emplace(&state, object);
    }
    try {
        slots_.push_back({&state, object});
    } catch (...) {
        if (!session_made) program_made_->held.erase(&state);
        throw;
    }
    state.session = &session_;
    state.state = as;
    state.slot = slots_.size() - 1;
    link(state, object);
}

void ModelSetCore::attach_loaded(InstanceState& state, const std::shared_ptr<void>& object,
                                 const IdentityMap::Probe& probe) {
    ops_.copy_columns(state.snapshot, state.object);
    attach(state, object, true, ObjectState::persistent);
    identity_.insert_at(probe, state);
}

void ModelSetCore::detach(InstanceState& state) noexcept {
    auto& slot = slots_[state.slot];
    point_rewrites(state.rewrites, nullptr);
    state.rewrites = 0;
    if (state.state == ObjectState::persistent) identity_.erase(state);
    state.state = state.state == ObjectState::pending ? ObjectState::transient : ObjectState::detached;
    state.session = nullptr;
    session_.object_left();
    state.delete_requested = false;
    state.inserted_at_depth = state.deleted_at_depth = 0;
    if (!ops_.relationships.empty() && state.drop.detach_after_drop()) let_go(state);
    ++holes_;
    // Last: an object nothing else holds goes with its hold or its slot, and `state` with it.
    if (program_made_) program_made_->held.erase(&state);
    slot = Slot{};
}

void ModelSetCore::delete_(InstanceState& state) {
    if (state.state == ObjectState::pending)
        throw InvalidRequestError(
            message("is pending (never flushed), so there is no row to delete; "
                    "expunge() it instead"));
    if (state.state != ObjectState::persistent || state.delete_requested) return;
    if (ops_.relationships.empty()) {
        state.delete_requested = true;
        return;
    }
    // The cascades read this object's related rows as the session sees them (a load
    // autoflushes), then walk on with autoflush off: a load further down would otherwise
    // flush this DELETE before the children's foreign keys are let go.
    load_for_delete(state);
    const bool autoflush = session_.set_autoflush(false);
    try {
        delete_with_cascades(state);
    } catch (...) {
        session_.set_autoflush(autoflush);
        throw;
    }
    session_.set_autoflush(autoflush);
}

void ModelSetCore::expunge(InstanceState& state) {
    if (!ops_.relationships.empty()) session_.hand_back_relationship_changes(&state);
    set_aside(state);
    detach(state);
    compact();
}

// An object the program still holds may come back by add() before the transaction ends,
// and is otherwise still the transaction's: its rollback entries, and the INSERT or DELETE
// a flush wrote of it, wait with it. One the program dropped cannot come back, and what
// it had goes as detach() leaves it.
void ModelSetCore::set_aside(InstanceState& state) noexcept {
    if (state.rewrites == 0 && state.inserted_at_depth == 0 && state.deleted_at_depth == 0) return;
    const auto& object = slots_[state.slot].weak;
    if (object.expired()) return;
    try {
        expunged_.push_back(
            {object, &state, state.rewrites, state.inserted_at_depth, state.deleted_at_depth});
    } catch (...) {  // out of memory: what it had goes, as for a dropped object
    }
}

ModelSetCore::Expunged* ModelSetCore::set_aside_for(const InstanceState& state) noexcept {
    // A dead entry's state may have been freed and its address taken by `state`.
    const auto found = std::find_if(expunged_.begin(), expunged_.end(), [&](const Expunged& e) {
        return e.state == &state && !e.object.expired();
    });
    return found == expunged_.end() ? nullptr : &*found;
}

void ModelSetCore::rejoin(InstanceState& state, const Expunged& entry) noexcept {
    state.rewrites = entry.rewrites;
    state.inserted_at_depth = entry.inserted_at_depth;
    point_rewrites(state.rewrites, &state);
    expunged_.erase(expunged_.begin() + (&entry - expunged_.data()));
}

void ModelSetCore::point_rewrites(std::uint32_t latest, InstanceState* state) noexcept {
    for (auto i = latest; i != 0; i = rewrites_[i - 1].previous) rewrites_[i - 1].state = state;
}

void ModelSetCore::popping_rewrite(const Rewrite& r) noexcept {
    if (r.state) {
        r.state->rewrites = r.previous;
        return;
    }
    // An expunged object's latest entry: its chain starts at the one before.
    for (auto& e : expunged_)
        if (e.rewrites == rewrites_.size()) e.rewrites = r.previous;
    drop_finished_expunged();
}

void ModelSetCore::expire(InstanceState& state) {
    if (state.state != ObjectState::persistent) return;
    // A deletion waiting for the flush keeps the association rows it removes.
    if (!state.delete_requested)
        session_.discard_relationship_changes([&](const InstanceState& s) { return &s == &state; });
    expire_object(state);
}

/// Marks the object out of date and drops its unflushed changes, as SQLAlchemy's expiry
/// does: a change made before expire() or a rollback must not come back (and be written
/// by the next flush) once the row is reloaded. Those of its relationships wait in the
/// Session, which drops them itself: for expire() and expire_all() first, and all of a
/// rolled-back transaction or SAVEPOINT (SessionCore::end_all).
void ModelSetCore::expire_object(InstanceState& state) noexcept {
    ops_.discard_changes(state.object, state.snapshot);
    state.expired = true;
    unload_relationships(state);
}

/// The next access loads them again, from the database as it is then.
void ModelSetCore::unload_relationships(InstanceState& state) noexcept {
    // Held for the walk, so that a child referring back to a live owner keeps it. One the
    // program dropped (on any thread) lets go as its deleter would, which leaves that to
    // this thread while the object is attached (object_dropped, relationship_ops.hpp).
    const auto owner = state.self.lock();
    if (!owner) std::atomic_thread_fence(std::memory_order_acquire);  // as in released()
    for (const auto* rel : ops_.relationships) {
        if (rel->to_one()) rel->reference(state.object).unload();
        else if (rel->kind == RelationshipKind::many_to_many)
            rel->associated(state.object).unload(owner != nullptr);
        else rel->children(state.object).unload(owner != nullptr);
    }
}

void ModelSetCore::let_go(InstanceState& state) noexcept {
    unload_relationships(state);
    state.self.reset();
}

void ModelSetCore::refreshed(InstanceState& state, void* row) {
    ops_.copy_columns(state.object, row);
    ops_.copy_columns(state.snapshot, row);
    state.expired = false;
    // As SQLAlchemy's refresh() expires them: what they held may not match the row now.
    unload_relationships(state);
}

bool ModelSetCore::is_modified(const InstanceState& state) const {
    return state.state == ObjectState::pending || !ops_.same_columns(state.object, state.snapshot);
}

namespace {
/// The columns of insert shape `shape` (bit i: ops.fillable[i]; see ModelOps::left_to_database).
ColumnMask columns_of_shape(const ModelOps& ops, std::uint64_t shape) {
    ColumnMask out;
    for (std::size_t i = 0; i < ops.fillable.size(); ++i)
        if ((shape >> i) & 1) out.set(ops.fillable[i]);
    return out;
}
/// The insert shape of `columns` (which are fillable).
std::uint64_t shape_of_columns(const ModelOps& ops, const ColumnMask& columns) {
    std::uint64_t out = 0;
    for (std::size_t i = 0; i < ops.fillable.size(); ++i)
        if (columns.test(ops.fillable[i])) out |= std::uint64_t{1} << i;
    return out;
}
}  // namespace

/// A rollback undid the INSERT of this object: it is transient again, without the key
/// and the server defaults the database filled in for it.
void ModelSetCore::forget_insert(InstanceState& state) noexcept {
    if (state.state == ObjectState::persistent) identity_.erase(state);
    clear_inserted_values(state);
    state.state = ObjectState::pending;  // detach() turns it transient
    detach(state);
}

void ModelSetCore::clear_inserted_values(InstanceState& state) noexcept {
    if (state.key_generated) ops_.set_integer(state.object, ops_.generated_column, std::nullopt);
    if (state.defaults_filled != 0)
        ops_.clear_columns(state.object, columns_of_shape(ops_, state.defaults_filled));
    state.key_generated = false;
    state.defaults_filled = 0;
    state.expired = false;
}

/// Drops the holes detach() left once they are half the list, keeping the order.
void ModelSetCore::compact() noexcept {
    if (holes_ * 2 < slots_.size() && holes_ < 1024) return;
    if (holes_ == slots_.size()) {  // a loop that drops each object before the next get
        slots_.clear();
        holes_ = 0;
        return;
    }
    std::erase_if(slots_, [](const Slot& s) { return !s.state; });
    for (std::size_t i = 0; i < slots_.size(); ++i) slots_[i].state->slot = i;
    holes_ = 0;
}

bool ModelSetCore::released(const Slot& slot) noexcept {
    if (!slot.weak.expired()) return false;
    // The program's last write to the object came before its last shared_ptr went (an
    // acq_rel decrement); this makes it visible here.
    std::atomic_thread_fence(std::memory_order_acquire);
    return true;
}

bool ModelSetCore::has_work(const InstanceState& state) const {
    return state.state == ObjectState::pending || state.delete_requested ||
           (state.state == ObjectState::persistent && !ops_.same_columns(state.object, state.snapshot));
}

void ModelSetCore::reap() noexcept {
    for (auto& slot : slots_)
        if (slot.state && released(slot) && !has_work(*slot.state)) detach(*slot.state);
    compact();
    reaped_at_ = slots_.size();
}

// Loading -------------------------------------------------------------------------------------

std::shared_ptr<void> ModelSetCore::revive(Slot& slot) {
    std::atomic_thread_fence(std::memory_order_acquire);  // as in released()
    auto& old = *slot.state;
    // The deleter left this to the session (the object is attached), whatever thread
    // dropped it; the new object starts with its relationships unloaded.
    if (!ops_.relationships.empty()) let_go(old);
    InstanceState* revived = nullptr;
    auto object = ops_.revive(old, revived);
    link(*revived, object);
    if (old.state == ObjectState::persistent) identity_.insert_or_assign(*revived);  // same key: no growth
    point_rewrites(revived->rewrites, revived);
    slot.state = revived;
    slot.weak = object;  // lets the old control block go, and `old` with it
    return object;
}

std::shared_ptr<void> ModelSetCore::object_of(Slot& slot) {
    if (auto object = slot.weak.lock()) return object;
    return revive(slot);
}

ObjectAndState ModelSetCore::find(const void* values) {
    auto* state = identity_.find(values);
    if (!state) return {nullptr, nullptr};
    return object_and_state(*state);
}

ObjectAndState ModelSetCore::object_and_state(InstanceState& state) {
    auto& slot = slots_[state.slot];
    auto object = object_of(slot);
    return {std::move(object), slot.state};
}

const void* ModelSetCore::probe(std::int64_t key) {
    if (!probe_) probe_ = ops_.make_probe();
    ops_.set_integer(probe_.get(), ops_.primary_key[0], key);
    return probe_.get();
}

ObjectAndState ModelSetCore::find_key(std::int64_t key) { return find(probe(key)); }

ObjectAndState ModelSetCore::held(std::int64_t key) {
    auto* state = identity_.find(probe(key));
    if (!state) return {nullptr, nullptr};
    const auto& slot = slots_[state->slot];
    auto object = slot.weak.lock();
    return {object, object ? state : nullptr};
}

ObjectAndState ModelSetCore::adopt_existing(void* row, IdentityMap::Probe& probe) {
    // The reap comes first: nothing may move the map's entries between this probe, which
    // makes room for the row, and attach_loaded().
    if (std::min(slots_.size(), held_load_start_) >= reaped_at_ + std::max(reap_after, reaped_at_)) reap();
    auto* held = identity_.find_or_prepare(row, probe);
    if (!held) return {};
    auto found = object_and_state(*held);
    if (found.first && found.second->expired) take_row(*found.second, row);
    return found;
}

ObjectAndState ModelSetCore::adopt_row(const Cursor& row, int first) {
    read_spare(row, first);
    return adopt_spare();
}

void* ModelSetCore::read_spare(const Cursor& row, int first) {
    if (!spare_) spare_ = ops_.make_object(spare_state_);
    ops_.read_row(spare_state_->object, row, first);
    return spare_state_->object;
}

ObjectAndState ModelSetCore::adopt_spare() {
    IdentityMap::Probe probe;
    if (auto existing = adopt_existing(spare_state_->object, probe); existing.first) {
        release_spare();
        return existing;
    }
    auto* state = std::exchange(spare_state_, nullptr);
    auto object = std::move(spare_);
    attach_loaded(*state, object, probe);
    return {std::move(object), state};
}

ModelSetCore::Lookup ModelSetCore::lookup(const void* key_values) {
    auto* state = identity_.find(key_values);
    if (!state) return {};
    if (state->delete_requested) return {nullptr, state, true};
    auto& slot = slots_[state->slot];
    auto object = object_of(slot);
    return {std::move(object), slot.state, false};
}

void ModelSetCore::take_row(InstanceState& state, void* row) noexcept {
    ops_.take_row(state.object, state.snapshot, row);
    state.expired = false;
}

std::shared_ptr<void> ModelSetCore::get(const void* key_values) {
    auto found = lookup(key_values);
    if (found.gone) return nullptr;
    if (found.object && !found.state->expired) return std::move(found.object);
    auto* row = select_by_key(key_values, false);
    if (!row) return nullptr;
    if (found.object) {
        take_row(*found.state, row);
        release_spare();
    } else {
        std::tie(found.object, found.state) = adopt_spare();
    }
    // The mapping's lazy(selectin) relationships come with it, as after a query.
    if (loads_eagerly(ops_)) {
        InstanceState* loaded[] = {found.state};
        load_eager(session_, ops_, loaded);
    }
    return std::move(found.object);
}

void* ModelSetCore::select_by_key(const void* key_values, bool latest) {
    session_.autoflush();
    auto& conn = latest ? session_.own_connection(ops_.model_id) : session_.read_connection(ops_.model_id);
    key_params_.clear();
    ops_.bind_key(key_values, key_params_);
    if (select_by_key_dialect_ != &conn.dialect()) {
        select_by_key_ = ops_.statements.select_by_key(conn.dialect(), ops_);
        select_by_key_dialect_ = &conn.dialect();
    }
    // Read untyped: the statement selects the model's columns, as its SQL is made of them.
    auto result = conn.execute_sql(select_by_key_, key_params_.params());
    void* row = nullptr;
    while (result.next_row()) {
        // A key that is not unique in the database (a mapping's key over a table without
        // that constraint) is an error, as one_or_none() makes it.
        if (row) {
            release_spare();
            throw_multiple_results();
        }
        row = read_spare(result.current_row());
    }
    return row;
}

// As SQLAlchemy's merge(): a version left unset (0) merges onto the row as it is.
void ModelSetCore::merge_columns(InstanceState& state, const void* values, const InstanceState* source) {
    if (!ops_.same_key(values, state.snapshot)) {
        const auto* holder = identity_.find(values);
        if (holder && holder != &state)
            throw InvalidRequestError(
                message("cannot be merged with its new primary key: another object of this Session has "
                        "that primary key; flush the change that frees it first, or expunge that object"));
    }
    if (source && source->expired) {
        // Its columns are as old as its last load, so only those the program changed since
        // are its own; as SQLAlchemy's merge() copies only loaded attributes. The version
        // is never among them: it merges onto the row as it is.
        ColumnMask changed;
        ops_.changed_columns(values, source->snapshot, changed);
        return ops_.copy_some(state.object, values, changed);
    }
    const auto column = ops_.version_column;
    if (column == ops_.column_count) return ops_.copy_columns(state.object, values);
    const auto merged = ops_.integer(values, column);
    const auto held = ops_.integer(state.snapshot, column);
    if (merged.value_or(0) != 0 && merged != held)
        throw StaleDataError(
            message("was merged at version " + std::to_string(*merged) + ", but its row is at version " +
                    (held ? std::to_string(*held) : std::string("NULL")) +
                    ": another transaction changed it since; load it again, or leave the version 0 "
                    "to merge onto the row as it is"));
    const auto version = ops_.integer(state.object, column);
    ops_.copy_columns(state.object, values);
    ops_.set_integer(state.object, column, version);
}

void ModelSetCore::mark_deleted(InstanceState& state) noexcept {
    rows_written_ = true;
    identity_.erase(state);
    state.state = ObjectState::deleted;
    state.delete_requested = false;
    state.deleted_at_depth = session_.depth();
}

// The unit of work --------------------------------------------------------------------------

// One pass over the objects, which also lets go of those the program dropped that have
// nothing to flush (as reap() does): each object is visited, and compared, once.
bool ModelSetCore::collect_flush() {
    inserts_.clear();
    updates_.clear();
    updates_sent_ = 0;
    deletes_.clear();
    row_switches_ = 0;
    for (auto& slot : slots_) {
        if (!slot.state) continue;
        auto& state = *slot.state;
        if (state.state == ObjectState::pending) {
            inserts_.push_back({&state});
        } else if (state.state == ObjectState::persistent && state.delete_requested) {
            deletes_.push_back(&state);
        } else if (state.state == ObjectState::persistent &&
                   !ops_.same_columns(state.object, state.snapshot)) {
            Update u{&state, {}};
            ops_.changed_columns(state.object, state.snapshot, u.changed);
            updates_.push_back(u);
        } else if (released(slot)) {
            detach(state);
        }
    }
    if (!inserts_.empty() && !deletes_.empty()) switch_rows();
    compact();
    reaped_at_ = slots_.size();
    return collected_work();
}

void ModelSetCore::switch_rows() {
    std::vector<InstanceState*> replaced;
    std::size_t kept = 0;
    for (const auto& w : inserts_) {
        auto& state = *w.state;
        auto* old = ops_.needs_generated_key(state.object) ? nullptr : identity_.find(state.object);
        // A second new object with that key is left to its INSERT, which the row refuses.
        if (!old || !old->delete_requested || std::ranges::find(replaced, old) != replaced.end()) {
            inserts_[kept++] = w;
            continue;
        }
        // The row holds the deleted object's values, so the UPDATE writes every column the
        // INSERT would have sent, matched by the row's key and version as that object's
        // snapshot has them.
        ops_.copy_columns(state.snapshot, old->snapshot);
        Update u{&state, {}};
        const auto left = columns_of_shape(ops_, ops_.left_to_database(state.object));
        for (std::size_t c = 0; c < ops_.column_count; ++c)
            if (c != ops_.version_column && !left.test(c)) u.changed.set(c);
        u.replaces = old;
        updates_.push_back(u);
        replaced.push_back(old);
    }
    inserts_.resize(kept);
    row_switches_ = replaced.size();
    std::erase_if(deletes_,
                  [&](const InstanceState* s) { return std::ranges::find(replaced, s) != replaced.end(); });
}

bool ModelSetCore::switches_row(const InstanceState& state) const noexcept {
    // Asked of every object with a deferred foreign key: no search in a flush without one.
    return row_switches_ != 0 && std::any_of(updates_.begin(), updates_.end(), [&](const Update& u) {
               return u.state == &state && u.replaces;
           });
}

bool ModelSetCore::has_flush_work() const {
    return std::any_of(slots_.begin(), slots_.end(),
                       [&](const Slot& slot) { return slot.state && has_work(*slot.state); });
}

void ModelSetCore::update_later(std::span<const LateKey> keys) {
    std::unordered_map<const InstanceState*, std::size_t> index;  // a state -> its UPDATE
    index.reserve(updates_.size() + keys.size());
    for (std::size_t i = 0; i < updates_.size(); ++i) index.emplace(updates_[i].state, i);
    for (const auto& key : keys) {
        auto& state = *key.state;
        if (!key.inserted && (state.state != ObjectState::persistent || state.delete_requested)) continue;
        const auto [it, added] = index.try_emplace(&state, updates_.size());
        // A new row: its snapshot becomes the row as inserted, for the key and version
        // the UPDATE matches.
        if (added && key.inserted) ops_.copy_columns(state.snapshot, state.object);
        if (added) updates_.push_back({&state, {}});
        auto& update = updates_[it->second];
        if (key.inserted) {
            ops_.set_integer(state.snapshot, key.column, std::nullopt);
            update.changed.set(key.column);
        } else {
            ColumnMask changed;
            ops_.changed_columns(state.object, state.snapshot, changed);
            update.changed = changed;
        }
    }
}

namespace {
/// `items` in `order` (positions in `items`).
template <class Item>
void reorder(std::vector<Item>& items, std::span<const std::size_t> order) {
    std::vector<Item> sorted;
    sorted.reserve(items.size());
    for (auto i : order) sorted.push_back(items[i]);
    items = std::move(sorted);
}
}  // namespace

void ModelSetCore::order_inserts(std::span<const std::size_t> order) { reorder(inserts_, order); }

void ModelSetCore::order_deletes(std::span<const std::size_t> order) { reorder(deletes_, order); }

void ModelSetCore::insert_rows(std::size_t from, std::size_t to) {
    // Checked here, once the foreign keys written before these INSERTs are in: the key
    // identifies the object, and NULL identifies none (a table made without NOT NULL on
    // it would take such rows, and every one would have the same key in the session).
    for (std::size_t i = from; i < to; ++i) {
        const auto column = ops_.null_given_key(inserts_[i].state->object);
        if (column < ops_.column_count)
            throw FlushError(message("to insert has a NULL primary key: its field " +
                                     std::string(ops_.columns[column].name) +
                                     " is an empty std::optional, and the database does not generate that "
                                     "column; give the key a value before the flush"));
    }
    auto& conn = session_.write_connection(ops_.model_id);
    // Room for the new objects' keys now, so finish_flush() cannot fail to allocate.
    identity_.reserve_more(inserts_.size());
    if (ops_.version_column < ops_.column_count) {
        for (std::size_t i = from; i < to; ++i) {
            auto& w = inserts_[i];
            const auto version = ops_.integer(w.state->object, ops_.version_column);
            if (version.value_or(0) != 0) continue;
            w.version_before = version;
            w.version_written = true;
            ops_.set_integer(w.state->object, ops_.version_column, 1);
        }
    }
    ColumnMask key_only;
    if (ops_.generated_column < ops_.column_count) key_only.set(ops_.generated_column);
    const auto* numbering_sql =
        key_only.any() ? &ops_.statements.key_numbering(conn.dialect(), ops_) : nullptr;
    std::optional<KeyNumbering> numbering;  // asked once per call
    bool may_copy = conn.dialect().bulk_loads_by_copy() &&
                    conn.isolation_level() != IsolationLevel::autocommit;  // until refused
    std::string scratch;
    std::size_t begin = from;
    while (begin < to) {
        // A batch is a run of objects of one shape: the same columns left to the database
        // (a generated key, server defaults).
        const auto shape = ops_.left_to_database(inserts_[begin].state->object);
        const auto omitted = columns_of_shape(ops_, shape);
        // Many new objects whose key alone the database generates: where the dialect can
        // take their keys beforehand, COPY loads them, for less than INSERT ... RETURNING.
        // (Outside a transaction the keys' statement and the COPY could see different tables.)
        if (may_copy && key_only.any() && omitted == key_only) {
            std::size_t run_end = begin + 1;
            while (run_end < to && ops_.left_to_database(inserts_[run_end].state->object) == shape) ++run_end;
            if (run_end - begin >= copied_rows_at_least) {
                may_copy = copy_with_reserved_keys(conn, begin, run_end);
                if (may_copy) {
                    begin = run_end;
                    continue;
                }
            }
        }
        const std::size_t limit = ModelStatements::insert_batch_rows(conn.dialect(), ops_, omitted);
        std::size_t end = begin + 1;
        while (end < to && end - begin < limit && ops_.left_to_database(inserts_[end].state->object) == shape)
            ++end;
        // Where the dialect says its INSERTs number keys differently from table to table
        // (SQLite), a batch's keys pair with its objects only once that is known.
        if (end - begin > 1 && key_only.any() && omitted.test(ops_.generated_column) &&
            !numbering_sql->check.empty()) {
            if (!numbering) {
                // The check reads, and a transaction that reads before its first write may
                // have to wait on, or fail against, another writer when it then writes. So
                // in a transaction that has not written yet, the first row goes alone.
                if (!conn.has_written()) {
                    insert_returning(conn, begin, begin + 1, omitted, scratch);
                    ++begin;
                }
                const std::array<Param, 3> asked{Param::of_text(table().name),
                                                 Param::of_int(static_cast<std::int64_t>(to - begin)),
                                                 Param::of_text(table().columns[ops_.generated_column].name)};
                numbering = static_cast<KeyNumbering>(
                    conn.execute_sql(numbering_sql->check, asked).as<std::int64_t>().one());
                continue;
            }
            // Outside a transaction, another connection could insert between the INSERT
            // and the statement that tells its last key.
            if (*numbering == KeyNumbering::consecutive && omitted == key_only &&
                end - begin >= numbered_rows_at_least && conn.in_transaction()) {
                insert_numbered(conn, begin, end, numbering_sql->last_key, scratch);
                begin = end;
                continue;
            }
            if (*numbering == KeyNumbering::at_random) end = begin + 1;
        }
        insert_returning(conn, begin, end, omitted, scratch);
        begin = end;
    }
}

void ModelSetCore::insert_returning(Connection& conn, std::size_t begin, std::size_t end,
                                    const ColumnMask& omitted, std::string& scratch) {
    bind_inserts(begin, end, omitted);
    auto result = conn.execute_sql(
        ops_.statements.insert(conn.dialect(), ops_, omitted, end - begin, scratch), params_.params());
    if (omitted.any())
        read_inserted(result, omitted, begin, end, conn.dialect().returns_rows_in_values_order());
}

void ModelSetCore::insert_numbered(Connection& conn, std::size_t begin, std::size_t end,
                                   std::string_view last_key_sql, std::string& scratch) {
    ColumnMask omitted;
    omitted.set(ops_.generated_column);
    bind_inserts(begin, end, omitted);
    conn.execute_sql(ops_.statements.insert_unreturned(conn.dialect(), ops_, end - begin, scratch),
                     params_.params());
    const auto rows = Param::of_int(static_cast<std::int64_t>(end - begin));
    const auto last = conn.execute_sql(last_key_sql, {&rows, 1}).as<std::optional<std::int64_t>>().one();
    if (!last)
        throw FlushError("alchemy: INSERT INTO " + table().name +
                         " did not store its rows one after another (a conflict clause may have skipped "
                         "some), so which generated key is whose is unknown");
    auto key = *last - static_cast<std::int64_t>(end - begin);
    for (std::size_t i = begin; i < end; ++i) give_generated_key(inserts_[i], ++key);
}

namespace {
/// The first of `count` keys a sequence gave, when the least and the greatest of them
/// are count - 1 steps apart: a sequence that does not cycle gives no value twice
/// (src/drivers/postgresql/pg_dialect.cpp says when), so they are then every key from
/// the first on, one step apart.
std::optional<std::int64_t> first_of_run(std::optional<std::int64_t> least,
                                         std::optional<std::int64_t> greatest,
                                         std::optional<std::int64_t> step, std::size_t count) {
    if (!least || !greatest || !step || *step == 0 || count == 0) return std::nullopt;
    const auto span = static_cast<std::uint64_t>(*greatest) - static_cast<std::uint64_t>(*least);
    const auto stride = *step > 0 ? static_cast<std::uint64_t>(*step) : 0 - static_cast<std::uint64_t>(*step);
    if (span % stride != 0 || span / stride != count - 1) return std::nullopt;
    return *step > 0 ? least : greatest;
}
}  // namespace

bool ModelSetCore::copy_with_reserved_keys(Connection& conn, std::size_t begin, std::size_t end) {
    const auto& sql = ops_.statements.reserved_keys(conn.dialect(), ops_);
    if (sql.taken.empty()) return false;
    const std::array<Param, 1> named{Param::of_text(table().name)};
    if (!conn.execute_sql(sql.may_lock, named).as<bool>().one()) return false;
    conn.execute_sql(sql.lock);
    const auto& columns = table().columns;
    const std::array<Param, 3> asked{Param::of_text(table().name),
                                     Param::of_text(columns[ops_.generated_column].name),
                                     Param::of_int(static_cast<std::int64_t>(end - begin))};
    const auto wanted = end - begin;
    const auto [count, least, greatest, step] =
        conn.execute_sql(sql.taken, asked)
            .as<std::int64_t, std::optional<std::int64_t>, std::optional<std::int64_t>,
                std::optional<std::int64_t>>()
            .one();
    const auto check_count = [&](std::size_t taken) {
        if (taken != wanted)
            throw FlushError("alchemy: the sequence of " + table().name + " gave " + std::to_string(taken) +
                             " keys for " + std::to_string(wanted) + " new rows");
    };
    if (count == 0 && step != 0) return false;  // COPY would not store what an INSERT stores
    if (count != 0) check_count(static_cast<std::size_t>(count));
    if (const auto first = first_of_run(least, greatest, step, wanted)) {
        // In the sequence's order; between the bounds, so no step overflows.
        for (std::size_t i = 0; i < wanted; ++i)
            give_generated_key(inserts_[begin + i],
                               static_cast<std::int64_t>(static_cast<std::uint64_t>(*first) +
                                                         i * static_cast<std::uint64_t>(*step)));
    } else {
        // Listed: keys that would seldom be one run, or another transaction drew values
        // between these.
        const auto keys = conn.execute_sql(sql.keys, asked).as<std::int64_t>().all();
        if (keys.empty()) return false;
        check_count(keys.size());
        for (std::size_t i = begin; i < end; ++i) give_generated_key(inserts_[i], keys[i - begin]);
    }
    std::vector<std::string_view> names;
    names.reserve(columns.size());
    for (const auto& column : columns) names.push_back(column.name);
    // In loads of a bounded size, so the bound values never hold more than one load's rows.
    for (auto from = begin; from < end; from += rows_per_copy) {
        const auto to = std::min(end, from + rows_per_copy);
        bind_inserts(from, to, {});
        conn.copy_rows(table().name, names, params_.params());
    }
    return true;
}

void ModelSetCore::bind_inserts(std::size_t begin, std::size_t end, const ColumnMask& omitted) {
    ColumnMask sent;
    for (std::size_t c = 0; c < ops_.column_count; ++c)
        if (!omitted.test(c)) sent.set(c);
    params_.clear();
    for (std::size_t i = begin; i < end; ++i) ops_.bind_columns(inserts_[i].state->object, sent, params_);
}

std::vector<std::shared_ptr<void>> ModelSetCore::read_returned(Result<>& result,
                                                               const ColumnMask& returned) const {
    std::vector<std::shared_ptr<void>> rows;
    std::move(result).each_row([&](const Cursor& row) {
        auto values = ops_.make_probe();
        ops_.read_columns(values.get(), returned, row);
        rows.push_back(std::move(values));
    });
    return rows;
}

namespace {
/// For each of `count` objects, the index of the row of `rows` with its key.
template <class ObjectAt>
std::vector<std::size_t> rows_by_key(const ModelOps& ops, const std::vector<std::shared_ptr<void>>& rows,
                                     std::size_t count, ObjectAt object_at) {
    std::unordered_multimap<std::size_t, std::size_t> by_hash;
    for (std::size_t r = 0; r < rows.size(); ++r) by_hash.emplace(ops.hash_key(rows[r].get()), r);
    std::vector<std::size_t> out(count, rows.size());
    for (std::size_t i = 0; i < count; ++i) {
        const void* object = object_at(i);
        auto [first, last] = by_hash.equal_range(ops.hash_key(object));
        for (auto it = first; it != last; ++it)
            if (ops.same_key(rows[it->second].get(), object)) out[i] = it->second;
    }
    return out;
}
}  // namespace

/// With a generated key, rows pair with objects by position or by ascending key
/// (write_generated_keys()); with a given one, by key.
void ModelSetCore::read_inserted(Result<>& result, const ColumnMask& omitted, std::size_t begin,
                                 std::size_t end, bool in_values_order) {
    const bool generated = ops_.generated_column < ops_.column_count && omitted.test(ops_.generated_column);
    ColumnMask filled;  // the server defaults among the omitted columns
    for (std::size_t c = 0; c < ops_.column_count; ++c)
        if (omitted.test(c) && c != ops_.generated_column) filled.set(c);
    // Keys alone read as integers, without a row object each.
    if (!filled.any()) return write_generated_keys(result, begin, end, in_values_order);
    auto rows = read_returned(result, ModelStatements::returned_by_insert(ops_, omitted));
    if (rows.size() != end - begin)
        throw FlushError("alchemy: INSERT INTO " + table().name + " returned " + std::to_string(rows.size()) +
                         " rows for " + std::to_string(end - begin));
    if (generated) {
        if (!in_values_order)
            std::sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
                return ops_.integer(a.get(), ops_.generated_column) <
                       ops_.integer(b.get(), ops_.generated_column);
            });
        for (std::size_t i = begin; i < end; ++i) {
            auto& w = inserts_[i];
            give_generated_key(w, ops_.integer(rows[i - begin].get(), ops_.generated_column));
            w.returned = std::move(rows[i - begin]);
            w.filled = filled;
        }
        return;
    }
    const auto match = rows_by_key(ops_, rows, end - begin,
                                   [&](std::size_t i) { return inserts_[begin + i].state->object; });
    for (std::size_t i = begin; i < end; ++i) {
        if (match[i - begin] == rows.size())
            throw FlushError(message("was inserted, but INSERT ... RETURNING gave no row with its key"));
        inserts_[i].returned = rows[match[i - begin]];
        inserts_[i].filled = filled;
    }
}

/// Where the rows do not come in the order of the VALUES rows, the keys do: SQLite numbers
/// one statement's rows in ascending order unless key_numbering_sql() says otherwise (then
/// each row goes alone).
void ModelSetCore::write_generated_keys(Result<>& result, std::size_t begin, std::size_t end,
                                        bool in_values_order) {
    auto keys = std::move(result).as<std::int64_t>().all();
    if (keys.size() != end - begin)
        throw FlushError("alchemy: INSERT INTO " + table().name + " returned " + std::to_string(keys.size()) +
                         " generated keys for " + std::to_string(end - begin) + " rows");
    if (!in_values_order) std::sort(keys.begin(), keys.end());
    for (std::size_t i = begin; i < end; ++i) give_generated_key(inserts_[i], keys[i - begin]);
}

void ModelSetCore::give_generated_key(Insert& w, std::optional<std::int64_t> key) {
    w.key_before = ops_.integer(w.state->object, ops_.generated_column);
    w.key_written = true;
    ops_.set_integer(w.state->object, ops_.generated_column, key);
}

void ModelSetCore::clear_before_delete(std::size_t column, std::span<const std::size_t> rows) {
    auto& conn = session_.write_connection(ops_.model_id);
    auto& params = params_;
    params.clear();
    for (auto i : rows) ops_.bind_key(deletes_[i]->snapshot, params);
    execute_rows(conn, ops_.statements.set_null(conn.dialect(), ops_, column), rows.size());
}

void ModelSetCore::flush_updates_first(std::span<InstanceState* const> waiting,
                                       const ColumnMask& may_name_new_rows) {
    if (updates_.empty()) return;
    const auto first = [&](const Update& u) {
        return !u.changed.intersects(may_name_new_rows) &&
               std::find(waiting.begin(), waiting.end(), u.state) == waiting.end();
    };
    const auto split = std::stable_partition(updates_.begin(), updates_.end(), first);
    updates_sent_ = static_cast<std::size_t>(split - updates_.begin());
    if (updates_sent_ == 0) return;
    const std::span<Update> sent(updates_.data(), updates_sent_);
    // The connection first: it opens the transaction whose depth the entries take.
    auto& conn = session_.write_connection(ops_.model_id);
    note_rewrites(sent);
    update_all(conn, sent);
}

void ModelSetCore::flush_updates() {
    if (updates_.size() == updates_sent_) return;
    const auto rest = std::span<Update>(updates_).subspan(updates_sent_);
    auto& conn = session_.write_connection(ops_.model_id);  // first, as above
    note_rewrites(rest);
    update_all(conn, rest);
}

void* ModelSetCore::rewritten_values(std::size_t n) const noexcept {
    return static_cast<std::byte*>(rewritten_values_[n / rewrite_block].get()) +
           n % rewrite_block * ops_.values_size;
}

bool ModelSetCore::leaves_after_flush(const InstanceState& state) const noexcept {
    return ops_.relationships.empty() && released(slots_[state.slot]);
}

void ModelSetCore::note_rewrite(InstanceState& state, const ColumnMask& columns, bool moves_key) {
    const auto depth = session_.depth();
    // Room for the object to take its old place back in undo_rewrites(), which is noexcept.
    if (moves_key) identity_.reserve_more(moved_keys_ + 1);
    // The state's entry of this depth holds the columns as they were before the depth
    // rewrote them first: all a rollback to it needs, but for a key this UPDATE moves,
    // which the rollback must then move back too.
    if (state.rewrites != 0) {
        auto& latest = rewrites_[state.rewrites - 1];
        if (latest.depth == depth && !columns.without(latest.columns).any()) {
            if (moves_key && !latest.moves_key) {
                latest.moves_key = true;
                ++moved_keys_;
            }
            return;
        }
    }
    const auto n = rewrites_.size();
    if (n / rewrite_block == rewritten_values_.size())
        rewritten_values_.push_back(ops_.make_values(rewrite_block));
    rewrites_.push_back({&state, columns, depth, state.rewrites, moves_key, false});
    ops_.copy_some(rewritten_values(n), state.snapshot, columns);
    state.rewrites = static_cast<std::uint32_t>(rewrites_.size());
    moved_keys_ += moves_key ? 1 : 0;
}

void ModelSetCore::note_rewrites(std::span<const Update> updates) {
    for (const auto& u : updates) {
        // One the program dropped leaves after its UPDATE: no rollback can reach it.
        if (leaves_after_flush(*u.state)) continue;
        const bool moves_key = !ops_.same_key(u.state->object, u.state->snapshot);
        note_rewrite(*u.state, ModelStatements::written_by_update(ops_, u.changed), moves_key);
        if (moves_key) note_key_followers(*u.state);
    }
}

void ModelSetCore::note_key_followers(const InstanceState& parent) {
    const auto key_column = ops_.primary_key[0];
    const auto old_key = ops_.integer(parent.snapshot, key_column);
    const auto new_key = ops_.integer(parent.object, key_column);
    if (!old_key || !new_key || *old_key == *new_key) return;
    for (const auto* rel : ops_.relationships) {
        if (rel->kind != RelationshipKind::one_to_many && rel->kind != RelationshipKind::one_to_one) continue;
        const auto& children = rel->children(parent.object);
        // Only the children in memory, as SQLAlchemy: others read their rows when loaded.
        if (!children.loaded() || !cascades_on_update(*rel)) continue;
        auto& set = session_.models(rel->target_id(), rel->target());
        for (auto& child : children.held()) {
            auto* state = rel->target().state_of(child);
            if (!state || state->session != &session_ || state->state != ObjectState::persistent) continue;
            set.note_followed_key(*state, rel->foreign_key, *new_key);
            key_followers_.push_back({&set, std::move(child), state, rel->foreign_key, *old_key, *new_key});
        }
    }
}

void ModelSetCore::note_followed_key(InstanceState& child, std::size_t column, std::int64_t new_key) {
    // The probe's field takes the key first: set_integer() throws here, where the field is
    // too narrow for it, rather than in follow_key(), which cannot.
    if (!probe_) probe_ = ops_.make_probe();
    ops_.set_integer(probe_.get(), column, new_key);
    ColumnMask columns;
    columns.set(column);
    const auto entries = rewrites_.size();
    note_rewrite(child, columns, ops_.columns[column].primary_key);
    if (rewrites_.size() > entries) rewrites_.back().follows_parent = true;
}

void ModelSetCore::follow_key(const KeyFollower& follower) noexcept {
    auto& state = *follower.state;
    const bool row_moved = ops_.integer(state.snapshot, follower.column) == follower.old_key;
    // A foreign key in the child's own primary key moves the child in the identity map too.
    const bool key_moves =
        row_moved && ops_.columns[follower.column].primary_key && state.state == ObjectState::persistent;
    if (key_moves) identity_.erase(state);
    if (row_moved) ops_.set_integer(state.snapshot, follower.column, follower.new_key);
    if (ops_.integer(state.object, follower.column) == follower.old_key)
        ops_.set_integer(state.object, follower.column, follower.new_key);
    if (key_moves) take_place(state);
    rewrites_kept_ = rewrites_.size();  // the UPDATE that moved the row ran
}

void ModelSetCore::move_key_followers() noexcept {
    for (const auto& follower : key_followers_) follower.set->follow_key(follower);
    key_followers_.clear();
}

void ModelSetCore::undo_rewrites(std::uint32_t depth, bool objects) noexcept {
    // Latest first, so that an object rewritten twice ends with its oldest values.
    while (!rewrites_.empty() && rewrites_.back().depth >= depth) {
        auto& r = rewrites_.back();
        moved_keys_ -= r.moves_key ? 1 : 0;
        popping_rewrite(r);
        if (r.state) {
            auto& state = *r.state;
            if (state.state == ObjectState::persistent) {
                const auto* before = rewritten_values(rewrites_.size() - 1);
                if (r.moves_key) identity_.erase(state);
                if (objects) {
                    ops_.copy_some(state.object, before, r.columns);
                } else if (r.follows_parent) {
                    // A foreign key that followed its parent's key was no change of the
                    // program's: it goes back with the row's, unless the program changed it since.
                    ColumnMask changed;
                    ops_.changed_columns(state.object, state.snapshot, changed);
                    ops_.copy_some(state.object, before, r.columns.without(changed));
                }
                ops_.copy_some(state.snapshot, before, r.columns);
                // An object loaded under the old key meanwhile stood for a row the rollback
                // undid: it leaves, rather than write to this object's row (take_place).
                if (r.moves_key) take_place(state);
            }
        }
        rewrites_.pop_back();
    }
    rewrites_kept_ = std::min(rewrites_kept_, rewrites_.size());
}

void ModelSetCore::drop_unflushed_rewrites() noexcept {
    while (rewrites_.size() > rewrites_kept_) {
        auto& r = rewrites_.back();
        moved_keys_ -= r.moves_key ? 1 : 0;
        popping_rewrite(r);
        rewrites_.pop_back();
    }
}

void ModelSetCore::forget_rewrites() noexcept {
    for (auto& r : rewrites_)
        if (r.state) r.state->rewrites = 0;
    rewrites_.clear();
    expunged_.clear();
    rewrites_kept_ = 0;
    moved_keys_ = 0;
    rows_written_ = false;
    if (rewritten_values_.size() > 1) rewritten_values_.resize(1);
}

void ModelSetCore::synchronize_assigned(std::span<InstanceState* const> states, const ColumnMask& columns) {
    for (auto* state : states) {
        const bool moves_key = !ops_.same_key(state->object, state->snapshot);
        note_rewrite(*state, columns, moves_key);
        if (moves_key) note_key_followers(*state);
    }
    rewrites_kept_ = rewrites_.size();  // the UPDATE ran
    // Every moved object leaves its old place before any takes a new one: an UPDATE that
    // shifts keys (id = id + 1) moves one onto another's old key.
    std::vector<InstanceState*> moved;
    for (auto* state : states)
        if (!ops_.same_key(state->object, state->snapshot)) moved.push_back(state);
    for (auto* state : moved) identity_.erase(*state);
    for (auto* state : states) ops_.copy_some(state->snapshot, state->object, columns);
    for (auto* state : moved) take_place(*state);
    move_key_followers();
}

void ModelSetCore::update_all(Connection& conn, std::span<Update> updates) {
    // Objects with the same changed columns share one statement, run for all of them;
    // groups go in the order their first object came. A stable sort by that order keeps
    // each group's objects in theirs. (One changed object, the usual autoflush, needs none.)
    grouped_.clear();
    for (auto& u : updates) grouped_.push_back(&u);
    if (grouped_.size() > 1) {
        std::unordered_map<ColumnMask, std::size_t, ColumnMaskHash> rank;
        for (auto* u : grouped_) u->group = rank.try_emplace(u->changed, rank.size()).first->second;
        std::stable_sort(grouped_.begin(), grouped_.end(),
                         [](const Update* a, const Update* b) { return a->group < b->group; });
    }
    const auto many_rows = conn.dialect().many_row_updates();
    for (auto begin = grouped_.begin(); begin != grouped_.end();) {
        const auto& mask = (*begin)->changed;
        const auto end =
            std::find_if(begin, grouped_.end(), [&](const Update* u) { return u->changed != mask; });
        const std::span<Update* const> group(begin, end);
        // The group's first rows, sent by UPDATE ... FROM (VALUES ...). Not when they change
        // a key or unique column: the rows go one by one, in the order the session holds
        // them, as SQLAlchemy sends them (ModelOps::unique says why).
        std::size_t by_values = 0;
        const bool many = group.size() > 1 && !mask.intersects(ops_.unique);
        if (many && many_rows == ManyRowUpdates::every_batch) by_values = group.size();
        if (many && many_rows == ManyRowUpdates::full_batches) {
            const auto chunk = ModelStatements::update_chunk_rows(conn.dialect(), ops_, mask);
            by_values = chunk > 1 ? group.size() / chunk * chunk : 0;
        }
        if (by_values > 0) update_from_values(conn, mask, group.first(by_values));
        if (by_values < group.size()) update_rows(conn, mask, group.subspan(by_values));
        begin = end;
    }
}

std::string_view ModelSetCore::update_sql(const Dialect& dialect, const ColumnMask& changed) {
    if (last_update_.dialect != &dialect || last_update_.changed != changed)
        last_update_ = {&dialect, changed, ops_.statements.update(dialect, ops_, changed)};
    return last_update_.sql;
}

std::span<const std::int64_t> ModelSetCore::execute_rows(Connection& conn, std::string_view sql,
                                                         std::size_t rows) {
    affected_.resize(rows);
    conn.execute_batch(sql, params_.params(), params_.size() / rows, affected_);
    return affected_;
}

void ModelSetCore::bind_update(const Update& u, ParamBuffer& out) const {
    const bool versioned = ops_.version_column < ops_.column_count;
    const auto version = versioned ? ops_.integer(u.state->snapshot, ops_.version_column).value_or(0) : 0;
    ops_.bind_columns(u.state->object, u.changed, out);
    if (versioned) out.add(Param::of_int(version + 1));
    ops_.bind_key(u.state->snapshot, out);
    if (versioned) out.add(Param::of_int(version));
}

void ModelSetCore::update_rows(Connection& conn, const ColumnMask& changed, std::span<Update* const> group) {
    auto& params = params_;
    params.clear();
    const auto sql = update_sql(conn.dialect(), changed);
    const auto returned = ModelStatements::returned_by_update(ops_, changed);
    if (returned.any()) {
        // RETURNING the onupdate columns: one statement per row, whose row is that object's.
        std::size_t matched = 0;
        for (auto* u : group) {
            params.clear();
            bind_update(*u, params);
            auto result = conn.execute_sql(sql, params.params());
            auto rows = read_returned(result, returned);
            if (rows.size() != 1) continue;
            u->returned = std::move(rows.front());
            ++matched;
        }
        if (matched != group.size()) throw_stale_data("UPDATE", table().name, group.size(), matched);
        return;
    }
    for (const auto* u : group) bind_update(*u, params);
    check_matched("UPDATE", execute_rows(conn, sql, group.size()));
}

/// One UPDATE ... FROM (VALUES ...) per chunk of rows; its row count (or its
/// RETURNING rows, with onupdate columns) must be the chunk's size, or a row was deleted
/// or its version moved on.
void ModelSetCore::update_from_values(Connection& conn, const ColumnMask& changed,
                                      std::span<Update* const> group) {
    const auto chunk = ModelStatements::update_chunk_rows(conn.dialect(), ops_, changed);
    const auto returned = ModelStatements::returned_by_update(ops_, changed);
    auto& params = params_;
    params.clear();
    std::string scratch;
    for (std::size_t begin = 0; begin < group.size(); begin += chunk) {
        const auto rows = std::min(chunk, group.size() - begin);
        params.clear();
        for (std::size_t i = begin; i < begin + rows; ++i) bind_update(*group[i], params);
        const auto sql = ops_.statements.update_from_values(conn.dialect(), ops_, changed, rows, scratch);
        auto result = conn.execute_sql(sql, params.params());
        if (returned.any()) {
            // RETURNING the onupdate columns with the key that tells whose they are.
            auto values = read_returned(result, returned);
            if (values.size() != rows) throw_stale_data("UPDATE", table().name, rows, values.size());
            const auto match = rows_by_key(ops_, values, rows,
                                           [&](std::size_t i) { return group[begin + i]->state->object; });
            const auto found = static_cast<std::size_t>(
                std::count_if(match.begin(), match.end(), [&](std::size_t m) { return m < values.size(); }));
            if (found != rows) throw_stale_data("UPDATE", table().name, rows, found);
            for (std::size_t i = 0; i < rows; ++i) group[begin + i]->returned = values[match[i]];
            continue;
        }
        const auto matched = result.rowcount();
        if (matched != static_cast<std::int64_t>(rows))
            throw_stale_data("UPDATE", table().name, rows, static_cast<std::size_t>(matched));
    }
}

void ModelSetCore::check_matched(std::string_view statement, std::span<const std::int64_t> affected) const {
    const auto matched = static_cast<std::size_t>(std::count(affected.begin(), affected.end(), 1));
    if (matched != affected.size()) throw_stale_data(statement, table().name, affected.size(), matched);
}

void ModelSetCore::delete_rows(std::size_t from, std::size_t to) {
    keep_room_to_restore();  // finish_flush() marks them deleted
    auto& conn = session_.write_connection(ops_.model_id);
    const bool versioned = ops_.version_column < ops_.column_count;
    auto& params = params_;
    params.clear();
    for (std::size_t i = from; i < to; ++i) {
        ops_.bind_key(deletes_[i]->snapshot, params);
        if (versioned)
            params.add(Param::of_int(ops_.integer(deletes_[i]->snapshot, ops_.version_column).value_or(0)));
    }
    const auto affected = execute_rows(conn, ops_.statements.delete_row(conn.dialect(), ops_), to - from);
    if (versioned) check_matched("DELETE", affected);
}

void ModelSetCore::finish_flush(std::uint32_t depth) noexcept {
    params_.clear();  // its room stays for the next flush, the values it held do not
    const bool versioned = ops_.version_column < ops_.column_count;
    // Keys an UPDATE moved leave their old places first: another row of this flush may
    // have taken one.
    for (auto& u : updates_) {
        u.key_moved = !ops_.same_key(u.state->object, u.state->snapshot);
        if (u.key_moved) identity_.erase(*u.state);
    }
    rows_written_ = rows_written_ || !inserts_.empty();
    for (auto& w : inserts_) {
        auto& state = *w.state;
        state.state = ObjectState::persistent;
        // An object the program dropped before its INSERT (session.add(T{...}) with the
        // pointer unused) has nothing left to flush: it leaves now, as reap() would let it
        // go at the end of the transaction, and is spared a snapshot nobody would read.
        // Objects of models with relationships wait for reap(), which hands their links over.
        if (leaves_after_flush(state)) {
            detach(state);  // the last reference: `state` is gone with it
            continue;
        }
        if (w.returned) ops_.copy_some(state.object, w.returned.get(), w.filled);
        ops_.copy_columns(state.snapshot, state.object);
        state.inserted_at_depth = depth;
        state.key_generated = w.key_written;
        state.defaults_filled = shape_of_columns(ops_, w.filled);
        take_place(state);  // flush_saves() made room
    }
    // Objects with the same changed columns mostly come in runs: their masks are
    // computed once per run.
    ColumnMask changed;
    auto written = ModelStatements::written_by_update(ops_, changed);
    auto onupdate = ModelStatements::onupdate_columns(ops_, changed);
    for (auto& u : updates_) {
        auto& state = *u.state;
        if (u.replaces) mark_deleted(*u.replaces);  // its row is this object's now
        // One the program dropped once it was changed leaves too (note_rewrites kept nothing
        // of it): the row has its changes now.
        if (leaves_after_flush(state)) {
            detach(state);  // the last reference: `state` is gone with it
            continue;
        }
        if (versioned) {
            const auto version = ops_.integer(state.snapshot, ops_.version_column).value_or(0);
            ops_.set_integer(state.object, ops_.version_column, version + 1);
        }
        if (u.changed != changed) {
            changed = u.changed;
            written = ModelStatements::written_by_update(ops_, changed);
            onupdate = ModelStatements::onupdate_columns(ops_, changed);
        }
        if (u.returned) ops_.copy_some(state.object, u.returned.get(), onupdate);
        // The snapshot takes the columns the UPDATE wrote, and only those: another column
        // changed while the flush ran still differs, for the next flush to write.
        ops_.copy_some(state.snapshot, state.object, written);
        if (u.replaces) finish_row_switch(state, written, depth);
        if (u.key_moved) take_place(state);  // one out, one in: no growth
    }
    move_key_followers();
    for (auto* state : deletes_) mark_deleted(*state);
    rewrites_kept_ = rewrites_.size();
    inserts_.clear();
    updates_.clear();
    updates_sent_ = 0;
    deletes_.clear();
}

void ModelSetCore::finish_row_switch(InstanceState& state, const ColumnMask& written,
                                     std::uint32_t depth) noexcept {
    // The columns the object left to the database keep the row's values, which the
    // snapshot holds; a rollback empties them again, as it does an INSERT's server defaults.
    const auto left = ops_.left_to_database(state.object);
    ops_.copy_some(state.object, state.snapshot, columns_of_shape(ops_, left).without(written));
    state.state = ObjectState::persistent;
    state.inserted_at_depth = depth;  // a rollback makes it new again, as after an INSERT
    state.defaults_filled = left;
    take_place(state);  // in the place of the object it replaced: no growth
}

// The flush's statement gave `state` its key, so an object the map held under it is of
// a row the database no longer has (another transaction deleted it): that object leaves
// the session, as in SQLAlchemy, rather than stand for the new row too.
void ModelSetCore::take_place(InstanceState& state) noexcept {
    auto* displaced = identity_.insert_or_assign(state);
    if (displaced && !displaced->delete_requested) detach(*displaced);
}

void ModelSetCore::undo_flush() noexcept {
    params_.clear();
    drop_unflushed_rewrites();
    key_followers_.clear();
    for (auto& w : inserts_) {
        if (w.key_written) ops_.set_integer(w.state->object, ops_.generated_column, w.key_before);
        if (w.version_written) ops_.set_integer(w.state->object, ops_.version_column, w.version_before);
    }
    inserts_.clear();
    updates_.clear();
    updates_sent_ = 0;
    deletes_.clear();
}

void ModelSetCore::committed(std::uint32_t depth, bool expire) noexcept {
    for (auto& slot : slots_) {
        if (!slot.state) continue;
        auto& state = *slot.state;
        // Deeper levels end with this one (a COMMIT releases open SAVEPOINTs).
        if (state.inserted_at_depth >= depth) state.inserted_at_depth = depth - 1;
        if (state.deleted_at_depth >= depth) state.deleted_at_depth = depth - 1;
        if (depth > 1) continue;
        if (state.state == ObjectState::deleted) {
            state.row_deleted = true;
            detach(state);
        } else if (state.state == ObjectState::persistent && expire) {
            state.expired = true;  // its columns are the row's: only its relationships go
            unload_relationships(state);
        }
    }
    for (auto& r : rewrites_) r.depth = std::min(r.depth, depth - 1);  // as inserted_at_depth
    for (auto& e : expunged_) {
        if (depth == 1 && e.deleted_at_depth != 0 && !e.object.expired()) e.state->row_deleted = true;
        e.inserted_at_depth = std::min(e.inserted_at_depth, depth - 1);
        e.deleted_at_depth = std::min(e.deleted_at_depth, depth - 1);
    }
    if (depth == 1) forget_rewrites();
    reap();
}

void ModelSetCore::rolled_back(std::uint32_t depth, bool keep_changes) noexcept {
    // close(), after a transaction that wrote nothing of this model: expunge_all() makes
    // pending objects transient, and there is nothing else to undo.
    if (keep_changes && !rows_written_ && rewrites_.empty()) return;
    for (auto& slot : slots_) {
        if (!slot.state) continue;
        auto& state = *slot.state;
        state.delete_requested = false;
        if (state.state == ObjectState::pending || state.inserted_at_depth >= depth)
            state.links_forgotten = !ops_.relationships.empty();
        if (state.state == ObjectState::pending) {
            detach(state);
        } else if (state.inserted_at_depth >= depth) {
            forget_insert(state);
        } else if (state.state == ObjectState::deleted && state.deleted_at_depth >= depth) {
            state.state = ObjectState::persistent;
            state.deleted_at_depth = 0;
            if (!keep_changes) expire_object(state);
            // A detached object added under this key since stood for a row the rollback
            // gives back to this one: it leaves the session, so the key has one object.
            // (A new object that took the row by a row switch is forgotten as an INSERT.)
            auto* displaced = identity_.insert_or_assign(state);
            if (displaced && displaced->inserted_at_depth < depth) detach(*displaced);
        } else if (state.state == ObjectState::persistent && !keep_changes) {
            expire_object(state);
        }
    }
    roll_back_expunged(depth);
    undo_rewrites(depth, !keep_changes);
    if (depth == 1) forget_rewrites();  // none is left; this lets go of their room
    if (!keep_changes) reap();          // close() lets go of every object next
}

void ModelSetCore::roll_back_expunged(std::uint32_t depth) noexcept {
    for (auto& e : expunged_) {
        if (e.deleted_at_depth >= depth) e.deleted_at_depth = 0;  // it has its row again
        if (e.inserted_at_depth < depth) continue;
        e.inserted_at_depth = 0;
        // As forget_insert(), unless another Session took the object meanwhile.
        if (e.object.expired() || e.state->session) continue;
        clear_inserted_values(*e.state);
        e.state->state = ObjectState::transient;
        e.state->links_forgotten = !ops_.relationships.empty();
    }
    drop_finished_expunged();
}

void ModelSetCore::drop_finished_expunged() noexcept {
    std::erase_if(expunged_, [](const Expunged& e) {
        return e.rewrites == 0 && e.inserted_at_depth == 0 && e.deleted_at_depth == 0;
    });
}

void ModelSetCore::expire_all() noexcept {
    for (auto& slot : slots_)
        if (slot.state && slot.state->state == ObjectState::persistent) expire_object(*slot.state);
}

void ModelSetCore::expunge_all() noexcept {
    identity_.clear();  // first: detach() then has no entry to erase one by one
    for (auto& slot : slots_) {
        if (!slot.state) continue;
        set_aside(*slot.state);
        detach(*slot.state);
    }
    if (rewrites_.empty() && expunged_.empty()) forget_rewrites();
    slots_.clear();
    holes_ = 0;
    reaped_at_ = 0;
    inserts_.clear();
    updates_.clear();
    updates_sent_ = 0;
    deletes_.clear();
}

}  // namespace alchemy::detail
