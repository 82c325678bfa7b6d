// Where an object stands with respect to a Session, as SQLAlchemy names it:
//
//   transient   never added to a session, no database identity
//   pending     added, not yet flushed (no row yet)
//   persistent  has a row and belongs to a session (its identity map holds it)
//   deleted     its DELETE was flushed; detached once the transaction commits
//   detached    has a row, belongs to no session (closed, expunged, committed delete)
//
// sa::inspect(obj).state() reads it. The record behind it travels with the object:
// objects the session creates (add(T), get, query results) carry it in their
// shared_ptr's control block, so it costs no lookup and outlives the session; a
// shared_ptr the user made with std::make_shared gets one from a small registry.
//
// The session holds its own objects weakly, as SQLAlchemy's identity map does: once the
// program drops the last shared_ptr, the object stays readable inside its control block
// (the session's weak_ptr keeps that alive) until the session lets it go, which it does
// only when the object has nothing left to flush (detail::ModelSetCore::reap).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string_view>
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#endif

// The weak identity map keeps a dropped object readable inside its shared_ptr's deleter
// (tracked_deleter below) until the session lets it go. The standard leaves open whether
// a deleter outlives the last shared_ptr; libstdc++ and Microsoft's library keep it until
// the last weak_ptr goes, libc++ destroys it with the last shared_ptr.
#if defined(_LIBCPP_VERSION)
#error \
    "alchemy: the Session needs a standard library that keeps a shared_ptr's deleter until its last weak_ptr goes (libstdc++, Microsoft's); libc++ destroys it earlier, which would lose changes to dropped objects: build with -stdlib=libstdc++"
#endif

namespace alchemy {

enum class ObjectState : std::uint8_t { transient, pending, persistent, deleted, detached };

std::string_view to_string(ObjectState state) noexcept;

namespace detail {

class SessionCore;

/// Who lets go of what a dropped object's relationships hold (object_dropped in
/// detail/relationship_ops.hpp): the deleter, on whatever thread the program dropped the
/// object, or the Session holding the object, on its own thread, when it lets the object
/// go. Each side sets its bit with one atomic operation (plain reads and writes while the
/// process has one thread), so exactly one of them sees the other's. Only models with
/// relationships use it. A copy is a new object's: unattached.
class DropHandoff {
public:
    DropHandoff() noexcept = default;
    DropHandoff(const DropHandoff&) noexcept {}
    DropHandoff& operator=(const DropHandoff&) noexcept {
        bits_.store(0, std::memory_order_relaxed);
        return *this;
    }
    /// A Session holds the object (its thread).
    void attach() noexcept { set(attached_bit); }
    /// The Session lets the object go (its thread). True when the program dropped it
    /// before: the Session then lets go of what its relationships hold.
    bool detach_after_drop() noexcept {
        std::uint8_t before;
        if (one_thread()) {
            before = bits_.load(std::memory_order_relaxed);
            bits_.store(static_cast<std::uint8_t>(before & ~attached_bit), std::memory_order_relaxed);
        } else {
            before = bits_.fetch_and(static_cast<std::uint8_t>(~attached_bit), std::memory_order_acq_rel);
        }
        return (before & dropped_bit) != 0;
    }
    /// The deleter (any thread). True when a Session still holds the object: it lets go
    /// itself, and the deleter writes nothing.
    bool drop_while_attached() noexcept { return (set(dropped_bit) & attached_bit) != 0; }

private:
    static constexpr std::uint8_t attached_bit = 1;
    static constexpr std::uint8_t dropped_bit = 2;

    /// No second thread exists, so no other side can run meanwhile: plain reads and writes
    /// do, as std::shared_ptr's counts do then in libstdc++ (a locked instruction per
    /// object loaded is a measurable part of a load). Creating a thread orders everything
    /// before it, after which the atomic operations are used.
    static bool one_thread() noexcept {
#if __has_include(<sys/single_threaded.h>)
        return __libc_single_threaded != 0;
#else
        return false;
#endif
    }
    /// Sets `bit`; the bits before.
    std::uint8_t set(std::uint8_t bit) noexcept {
        if (!one_thread()) return bits_.fetch_or(bit, std::memory_order_acq_rel);
        const std::uint8_t before = bits_.load(std::memory_order_relaxed);
        bits_.store(static_cast<std::uint8_t>(before | bit), std::memory_order_relaxed);
        return before;
    }

    std::atomic<std::uint8_t> bits_{0};
};

/// The session's bookkeeping for one object; see the file comment. Members go by size,
/// smallest first, so that no padding sits between them: every loaded object carries one.
struct InstanceState {
    ObjectState state = ObjectState::transient;
    /// session.delete_(obj) was called; the DELETE runs at the next flush.
    bool delete_requested = false;
    /// Its values are out of date: reloaded when the session next hands it out.
    bool expired = false;
    /// A rollback undid the object's row, or it was pending: the Session dropped the
    /// links its ManyToMany hold, written or not, so adding it again writes them all.
    bool links_forgotten = false;
    /// Who lets go of its relationships once the program drops it.
    DropHandoff drop;
    /// The primary key was generated by the database in this transaction: a rollback
    /// clears it again, so no rolled-back id lingers in the object.
    bool key_generated = false;
    /// The commit of its DELETE removed its row for good (SQLAlchemy's _deleted): detached,
    /// it stands for no row, so add() refuses it.
    bool row_deleted = false;
    /// Depth of the (nested) transaction whose flush inserted / deleted the row; 0:
    /// none open. A rollback to that depth undoes the object's state change.
    std::uint32_t inserted_at_depth = 0;
    std::uint32_t deleted_at_depth = 0;
    /// 1 + the index of the latest entry its ModelSetCore keeps of snapshot columns the
    /// open transaction rewrote, which a rollback puts back; 0: none.
    std::uint32_t rewrites = 0;
    /// The query (or relationship load) that loaded the object, for loading a
    /// relationship of all its objects at once: SessionCore::group_of says if it is current.
    std::uint32_t load_group = 0;
    std::uint32_t group_epoch = 0;
    /// The session holding the object (pending, persistent, deleted), else null.
    SessionCore* session = nullptr;
    /// Position in its ModelSetCore's list of objects (valid while attached).
    std::size_t slot = 0;
    /// The object (a T) and its snapshot: T's column values as the database last had them.
    void* object = nullptr;
    void* snapshot = nullptr;
    /// The server defaults the database filled in at that INSERT (bit i: the model's
    /// i-th fillable column, ModelOps::fillable): a rollback empties them like the key.
    std::uint64_t defaults_filled = 0;
    /// The object itself, for models with relationships (a child's BelongsTo refers back
    /// to it); reset when the program drops its last pointer, by whichever side `drop`
    /// names.
    std::weak_ptr<void> self;
};

/// Defined with the relationships (detail/relationship_ops.hpp).
template <class T>
void release_relationships(T& object) noexcept;
/// The program dropped its last pointer to `object`, whose state is `state`; defined with
/// the relationships too.
template <class T>
void object_dropped(T& object, InstanceState& state) noexcept;

/// InstanceState plus the storage of its snapshot: the column values that dirty
/// detection compares with and whose key is the object's identity. Only columns are
/// ever copied into it. Meaningful once the object has a row (persistent, deleted,
/// detached).
template <class T>
struct TypedState : InstanceState {
    TypedState() noexcept { snapshot = &snapshot_value; }
    TypedState(const TypedState&) = delete;
    TypedState& operator=(const TypedState&) = delete;
    T snapshot_value{};
};

/// An object the session made and its state, side by side in its shared_ptr's control
/// block.
template <class T>
struct TrackedRecord {
    /// No value: T's default, for a row to be read into (ModelSetCore::read_spare).
    template <class... Value>
    explicit TrackedRecord(Value&&... value) : object(std::forward<Value>(value)...) {
        state.object = &object;
    }
    TypedState<T> state;
    T object;
};

/// The deleter of shared_ptrs the session creates. It holds the object's record inside
/// the control block — one allocation per object — where std::get_deleter finds it. The
/// shared_ptr owns a null pointer (so this is called with null); an aliasing pointer to
/// the object is what users get. Both live until the control block goes, which a weak_ptr
/// delays: see the file comment.
template <class T>
class tracked_deleter {
public:
    tracked_deleter() noexcept {}                   // not = default: {} would zero the storage
    tracked_deleter(tracked_deleter&&) noexcept {}  // only ever moved while empty, into place
    tracked_deleter& operator=(tracked_deleter&&) = delete;
    ~tracked_deleter() {
        if (made_) record().~TrackedRecord<T>();
    }
    /// Makes the record in place (make_tracked), so that the temporaries a shared_ptr is
    /// constructed from cost nothing.
    template <class... Value>
    TrackedRecord<T>& make(Value&&... value) {
        ::new (static_cast<void*>(storage_)) TrackedRecord<T>(std::forward<Value>(value)...);
        made_ = true;
        return record();
    }
    TypedState<T>& state() noexcept { return record().state; }
    /// The program dropped its last pointer: what the object's relationships hold is let
    /// go (object_dropped), so parent-child cycles do not keep it.
    void operator()(T*) noexcept {
        if (made_) object_dropped(record().object, record().state);
    }

private:
    TrackedRecord<T>& record() noexcept {
        return *std::launder(reinterpret_cast<TrackedRecord<T>*>(storage_));
    }
    alignas(TrackedRecord<T>) std::byte storage_[sizeof(TrackedRecord<T>)];
    bool made_ = false;
};

/// The state stored for shared_ptrs made elsewhere (std::make_shared), keyed by address.
/// Entries whose object died are dropped as the registry grows.
std::shared_ptr<InstanceState> registered_state(const std::shared_ptr<const void>& object,
                                                std::shared_ptr<InstanceState> (*make)());
/// The registered state of `object`, or null.
InstanceState* find_registered_state(const std::shared_ptr<const void>& object) noexcept;

/// The state of `object` if it has one (session-made or registered), else null.
template <class T>
TypedState<T>* find_state(const std::shared_ptr<T>& object) noexcept {
    if (!object) return nullptr;
    if (auto* d = std::get_deleter<tracked_deleter<T>>(object)) return &d->state();
    return static_cast<TypedState<T>*>(find_registered_state(object));
}

/// The state of `object`, registering one if it has none yet.
template <class T>
TypedState<T>& state_of(const std::shared_ptr<T>& object) {
    if (auto* s = find_state(object)) return *s;
    auto made = registered_state(
        object, [] { return std::shared_ptr<InstanceState>(std::make_shared<TypedState<T>>()); });
    made->object = object.get();
    return static_cast<TypedState<T>&>(*made);
}

/// A new object owned the session's way (state and object in the control block), and
/// its state; or neither.
template <class T>
struct Tracked {
    std::shared_ptr<T> object;
    TypedState<T>* state = nullptr;
};
/// Of `value`, or with no value of T's default.
template <class T, class... Value>
Tracked<T> make_tracked(Value&&... value) {
    std::shared_ptr<T> owner(static_cast<T*>(nullptr), tracked_deleter<T>{});
    auto& record = std::get_deleter<tracked_deleter<T>>(owner)->make(std::forward<Value>(value)...);
    return {std::shared_ptr<T>(std::move(owner), &record.object), &record.state};
}
template <class T>
Tracked<T> make_tracked(T&& value) {
    return make_tracked<T, T>(std::move(value));
}

}  // namespace detail

/// What sa::inspect(obj) tells about an object; a snapshot taken when it was called.
class InstanceInfo {
public:
    explicit InstanceInfo(const detail::InstanceState* state) noexcept
        : state_(state ? state->state : ObjectState::transient),
          expired_(state && state->expired),
          delete_requested_(state && state->delete_requested) {}

    ObjectState state() const noexcept { return state_; }
    bool transient() const noexcept { return state_ == ObjectState::transient; }
    bool pending() const noexcept { return state_ == ObjectState::pending; }
    bool persistent() const noexcept { return state_ == ObjectState::persistent; }
    bool deleted() const noexcept { return state_ == ObjectState::deleted; }
    bool detached() const noexcept { return state_ == ObjectState::detached; }
    /// The object has a database identity (persistent, deleted or detached).
    bool has_identity() const noexcept { return persistent() || deleted() || detached(); }
    /// expire() or a commit marked its values out of date.
    bool expired() const noexcept { return expired_; }
    /// session.delete_(obj) was called and the DELETE is not flushed yet.
    bool delete_requested() const noexcept { return delete_requested_; }

private:
    ObjectState state_;
    bool expired_;
    bool delete_requested_;
};

/// The session state of an object the Session handed out or was given.
template <class T>
InstanceInfo inspect(const std::shared_ptr<T>& object) noexcept {
    return InstanceInfo(detail::find_state(object));
}

}  // namespace alchemy
