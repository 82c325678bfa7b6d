// The compiled halves of the relationship members (src/orm/relationship_members.cpp):
// ToOne is BelongsTo's, the side whose row holds the foreign key; Children is HasMany's
// and HasOne's, the side the foreign keys refer to; Associated is ManyToMany's. The typed
// fronts in alchemy/orm/relationships.hpp only convert between std::shared_ptr<T> and these.
//
// Ownership, so that parent <-> child references never form a cycle of shared_ptrs:
// of a parent's collection entry for a child and the child's BelongsTo naming that
// parent, exactly one holds strongly. Whichever side held first keeps holding: a
// collection loaded or added to holds its children, and their BelongsTo then hold the
// parent weakly; a child whose BelongsTo already held its parent when the collection
// loaded (a query of children, then their parents' collections) keeps holding it, and
// the collection's entry for it is weak. So does a child whose BelongsTo is assigned
// while it is in no Session: no write waiting in a Session holds the parent then. A
// child has one parent per relationship, so such pairs cannot close a cycle. When the
// program drops its last pointer to a session-made object, the object lets go of what
// it holds (object_dropped in relationship_ops.hpp; while a Session holds the object,
// the Session does it on its own thread when it lets the object go): a child the
// program still holds finds its parent again through the Session (see ToOne::get), and
// a collection whose weak entry's child is gone reads its children again on the next
// access.
// Many-to-many has no parent side: when X's collection holds Y and Y's holds X, the
// entry held by the object at the higher address is weak. Strong entries then always
// point from lower to higher addresses, so they can never close a cycle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace alchemy::detail {

/// The events that can end an object a collection holds weakly, as counted when a
/// Session's collection last looked: a collection that found every weak entry alive and
/// in its owner's Session need not look again until one of these moves. An object in a
/// Session ends only when the program drops it (counted over every Session by the
/// deleter of each object with relationships, the only objects a collection holds
/// weakly; from any thread) or after leaving the Session (counted by the Session, on its
/// thread). Sessions are told apart by a serial number, never by address.
struct Departures {
    std::uint64_t session = 0;
    std::uint64_t left = 0;
    std::uint64_t dropped = 0;
    friend bool operator==(const Departures&, const Departures&) = default;
};
struct InstanceState;
struct ModelOps;
struct RelationshipOps;
class SessionCore;
class RelationshipMember;
class CollectionEntries;

/// How a relationship loads: as the mapping says (lazy=...), or as a query's loader
/// option said for the objects it returned (alchemy/orm/loading.hpp).
enum class LoadStrategy : std::uint8_t { mapping, selectin, joined, lazy, raise };
/// One relationship of a loader option's path and what to do with it.
struct LoadStep {
    const RelationshipOps* rel;
    LoadStrategy strategy;
};

/// The object a member belongs to, once that object has a session state; copies of a
/// member never take it (a copy is a new, unattached value).
struct RelationshipLink {
    InstanceState* owner = nullptr;
    const RelationshipOps* ops = nullptr;
};

/// Reaches the compiled half of a relationship member (the typed fronts inherit it
/// privately, HasMany and ManyToMany through detail::Collection, so users see only their
/// own API).
struct relationship_access {
    template <class M>
    static RelationshipMember& member(M& m) noexcept {
        return m;
    }
};

/// A member that remembers whether it was loaded. Never loaded: a persistent owner loads
/// it on first access; a new owner (transient, pending) reads it as empty.
class RelationshipMember {
public:
    void link(const RelationshipLink& link) noexcept { link_ = link; }
    const RelationshipLink& link() const noexcept { return link_; }
    bool loaded() const noexcept { return loaded_; }
    /// A query's lazyload/raiseload option for this object's member.
    void load_on_access(LoadStrategy how) noexcept { on_access_ = how; }
    LoadStrategy load_on_access() const noexcept { return on_access_; }
    /// Whether the member can take the other side's change in memory now: loaded, or
    /// belonging to a new object (which then starts empty).
    bool in_memory() noexcept;

protected:
    RelationshipMember() noexcept = default;
    RelationshipMember(const RelationshipMember& other) noexcept : loaded_(other.loaded_) {}
    RelationshipMember& operator=(const RelationshipMember& other) noexcept {
        loaded_ = other.loaded_;
        return *this;
    }
    ~RelationshipMember() = default;

    /// Loads the member if the owner needs it; false when there is nothing to load (a
    /// new owner). Throws DetachedInstanceError for a detached owner, InvalidRequestError
    /// when its loading is raise.
    bool load_if_needed() const;
    /// For a collection: loads it on first access (a new owner's starts empty), and reads
    /// it again, after `unload`, when the program dropped an object `entries` held weakly.
    /// That re-read throws DetachedInstanceError for a detached owner.
    void load_collection(const CollectionEntries& entries, void (*unload)(RelationshipMember&)) const;
    /// For a collection: loads it on first access, nothing more.
    void load_once() const;
    /// The address of entry `i` of a collection (std::out_of_range past the end), read
    /// again first only when that entry's object was dropped.
    void* collection_address(const CollectionEntries& entries, std::size_t i,
                             void (*unload)(RelationshipMember&)) const;

    RelationshipLink link_{};
    mutable bool loaded_ = false;
    LoadStrategy on_access_ = LoadStrategy::mapping;
};

/// A collection's objects, each held strongly or weakly (see the file comment). The
/// addresses are kept apart from the holders so that a collection's view stays put while
/// the program iterates it.
class CollectionEntries {
public:
    CollectionEntries() = default;
    /// A copy holds every object strongly: it is a new value that no pairing covers.
    CollectionEntries(const CollectionEntries& other);
    CollectionEntries(CollectionEntries&&) noexcept = default;
    CollectionEntries& operator=(const CollectionEntries& other);
    CollectionEntries& operator=(CollectionEntries&&) noexcept = default;
    ~CollectionEntries() = default;

    const std::vector<void*>& addresses() const noexcept { return addresses_; }
    std::size_t size() const noexcept { return addresses_.size(); }
    bool empty() const noexcept { return addresses_.empty(); }
    /// The index of `object`, or size().
    std::size_t find(const void* object) const noexcept;
    bool contains(const void* object) const noexcept { return find(object) < size(); }
    /// The object at `i`, or null if it was weak and the program dropped it.
    std::shared_ptr<void> lock(std::size_t i) const noexcept;
    bool weak(std::size_t i) const noexcept { return !holders_[i].strong; }
    /// Whether entry `i` was weak and its object is gone.
    bool dropped(std::size_t i) const noexcept { return !holders_[i].strong && holders_[i].weak.expired(); }
    /// Whether a weak entry's object is gone (then the collection is read again).
    bool any_expired() const noexcept;
    /// any_expired() of a collection whose owner is in `session`, whose weak entries are
    /// objects of `targets`' model. Once a walk found every weak entry alive and in the
    /// Session, none can end before the Session's departures() move, so until then this
    /// answers without walking: a loop that asks size() at every step stays linear.
    bool any_expired(const SessionCore& session, const ModelOps& targets) const noexcept;
    /// Makes the next any_expired() walk the entries.
    void forget_check() const noexcept { checked_at_ = {}; }
    /// The objects alive now, in order.
    std::vector<std::shared_ptr<void>> alive() const;

    void push_back(std::shared_ptr<void> object, bool weakly);
    /// Room for `more` entries, so that a load grows the collection once.
    void reserve(std::size_t more);
    /// Makes entry `i` hold weakly or strongly.
    void hold(std::size_t i, bool weakly) noexcept;
    void erase(std::size_t i) noexcept;
    void clear() noexcept;

private:
    struct Holder {
        std::shared_ptr<void> strong;
        std::weak_ptr<void> weak;
    };
    std::vector<void*> addresses_;
    std::vector<Holder> holders_;
    std::size_t weak_count_ = 0;  ///< so that any_expired() costs nothing without weak entries
    /// The Session's departures() when a walk last found every weak entry alive and in
    /// it; session 0 (no Session has it): no such walk since a weak entry was added.
    mutable Departures checked_at_{};
};

/// BelongsTo<X>: the one object this row refers to, or none.
class ToOne : public RelationshipMember {
public:
    ToOne() noexcept = default;
    ToOne(const ToOne& other) : RelationshipMember(other), strong_(other.peek()) {}
    ToOne(ToOne&& other) noexcept
        : RelationshipMember(other),
          strong_(std::move(other.strong_)),
          weak_(std::move(other.weak_)),
          weakly_(other.weakly_),
          assigned_(other.assigned_) {}
    /// In a Session: set(other.get()); otherwise a copy of the value.
    ToOne& operator=(const ToOne& other);
    ~ToOne() = default;

    /// The target, loaded first when needed; null when there is none.
    std::shared_ptr<void> get() const;
    /// Points at `target` (null: none), keeps the target's collection in step when it is
    /// loaded, and lets the next flush write the foreign key.
    void set(std::shared_ptr<void> target);

    // For the Session ------------------------------------------------------------------
    /// The target as held now, without loading; null if none or released.
    std::shared_ptr<void> peek() const noexcept;
    /// Whether the target was held weakly and the program dropped it: peek() is then null,
    /// though the member names a target (get() finds it again through the Session).
    bool dropped() const noexcept { return loaded_ && weakly_ && weak_.expired(); }
    bool holds(const void* object) const noexcept;
    /// Set by a load or by the other side's collection: no foreign key to write.
    void loaded_with(const std::shared_ptr<void>& target, bool weakly) noexcept;
    /// loaded_with(target, true) from a weak reference to a live target: no shared_ptr
    /// made and dropped for each child a collection loads.
    void loaded_weakly(const std::weak_ptr<void>& target) noexcept;
    /// Forgets the target (expiry, the owner's release).
    void unload() noexcept;
    /// The target's collection no longer holds the owner: hold the target strongly.
    void hold_strongly() noexcept;
    /// assigned(): set() was called since the foreign key was last written.
    bool assigned() const noexcept { return assigned_; }
    void written() noexcept { assigned_ = false; }
    /// The owner leaves its Session before the assignment was written: assigned() again,
    /// so that the Session the owner is added to next writes it, and the target held
    /// strongly, as the Session held it until now.
    void keep_assigned() noexcept;

private:
    friend class Children;
    void point_at(const std::shared_ptr<void>& target, bool weakly) noexcept;

    mutable std::shared_ptr<void> strong_;
    mutable std::weak_ptr<void> weak_;
    mutable bool weakly_ = false;  ///< the target is weak_ (see the file comment)
    bool assigned_ = false;
};

/// HasMany<X> (and HasOne<X>, at most one): the objects whose BelongsTo refers to the owner.
class Children : public RelationshipMember {
public:
    Children() noexcept = default;
    Children(const Children& other) : RelationshipMember(other), entries_(other.entries_) {}
    Children(Children&& other) noexcept : RelationshipMember(other), entries_(std::move(other.entries_)) {}
    /// In a Session: the children become other's (through remove() and add()); otherwise
    /// a copy of the value.
    Children& operator=(const Children& other);
    ~Children() = default;

    /// The children, loaded first when needed (and read again when the program dropped
    /// a child this collection held weakly). Plain pointers: a weak entry must not be
    /// made strong by a view.
    const std::vector<void*>& items() const;
    /// The i-th child (std::out_of_range past the end), loaded first when needed.
    std::shared_ptr<void> at(std::size_t i) const;
    /// at(i) as a plain pointer, for iterating (ChildIterator).
    void* address(std::size_t i) const;
    /// How many children the collection lists now, loaded first when needed (and not
    /// read again): the end of a loop begun by items().
    std::size_t count() const;
    /// Adds `child` (its BelongsTo then names the owner; a child of another parent moves).
    void add(const std::shared_ptr<void>& child);
    /// Removes `child`; its BelongsTo then names no parent. False if it was not here.
    bool remove(const void* child);
    /// HasOne: `child` (or none) replaces the present one.
    void replace(const std::shared_ptr<void>& child);
    /// The children become `wanted`, through remove() and add().
    void assign(const std::vector<std::shared_ptr<void>>& wanted);
    bool contains(const void* child) const noexcept { return entries_.contains(child); }

    // For the Session ------------------------------------------------------------------
    /// The children as held now, without loading.
    std::vector<std::shared_ptr<void>> held() const { return entries_.alive(); }
    /// Whether this collection holds `child` strongly (its BelongsTo then refers back weakly).
    bool holds_strongly(const void* child) const noexcept;
    /// Whether the program dropped a child held weakly: held() is then not all of them.
    bool dropped_any() const noexcept { return entries_.any_expired(); }
    /// A child found by a load (no foreign key to write; each child once): held weakly
    /// when its BelongsTo already holds the owner, else held here and the BelongsTo made
    /// weak. Never one whose BelongsTo assignment to another parent (or none) waits for
    /// the flush: that would undo it in memory (set_loaded leaves such children out).
    void loaded_child(std::shared_ptr<void> child);
    /// Takes `child` out, leaving its BelongsTo be: the change that put it here was dropped.
    void forget(const void* child) noexcept;
    /// Room for `more` loaded children.
    void reserve(std::size_t more) { entries_.reserve(more); }
    void mark_loaded() noexcept { loaded_ = true; }
    /// Forgets the children (expiry, the owner's release); `owner_alive`: the children's
    /// BelongsTo may then hold the owner strongly.
    void unload(bool owner_alive) noexcept;

private:
    friend class ToOne;
    void take(const std::shared_ptr<void>& child);
    void drop(std::size_t index, bool clear_back_reference);

    CollectionEntries entries_;
};

/// ManyToMany<X, A>: the objects an association table links the owner with.
class Associated : public RelationshipMember {
public:
    Associated() noexcept = default;
    Associated(const Associated& other) : RelationshipMember(other), entries_(other.entries_) {}
    Associated(Associated&& other) noexcept
        : RelationshipMember(other), entries_(std::move(other.entries_)) {}
    /// In a Session: the links become other's (through remove() and add()); otherwise a
    /// copy of the value.
    Associated& operator=(const Associated& other);
    ~Associated() = default;

    /// The linked objects, loaded first when needed (and read again when the program
    /// dropped one this collection held weakly). Plain pointers, as Children::items().
    const std::vector<void*>& items() const;
    /// The i-th linked object (std::out_of_range past the end), loaded first when needed.
    std::shared_ptr<void> at(std::size_t i) const;
    /// at(i) as a plain pointer, for iterating (ChildIterator).
    void* address(std::size_t i) const;
    /// How many linked objects the collection lists now, loaded first when needed (and
    /// not read again): the end of a loop begun by items().
    std::size_t count() const;
    /// The linked objects as held now, without loading.
    std::vector<std::shared_ptr<void>> held() const { return entries_.alive(); }
    /// Whether the program dropped a linked object held weakly: held() is then not all.
    bool dropped_any() const noexcept { return entries_.any_expired(); }
    /// Links `target` (a row in the association table at flush; its collection, when
    /// loaded, gets the owner at once).
    void add(const std::shared_ptr<void>& target);
    /// Unlinks `target` (its association row is deleted at flush). False if not linked.
    bool remove(const void* target);
    /// The links become `wanted`, through remove() and add().
    void assign(const std::vector<std::shared_ptr<void>>& wanted);
    bool contains(const void* target) const noexcept { return entries_.contains(target); }

    // For the Session ------------------------------------------------------------------
    /// A target found by a load.
    void loaded_target(const std::shared_ptr<void>& target);
    /// Takes `target` out, the Session hearing nothing: the link that put it here was dropped.
    void forget(const void* target) noexcept { erase(target); }
    /// Room for `more` loaded targets.
    void reserve(std::size_t more) { entries_.reserve(more); }
    void mark_loaded() noexcept { loaded_ = true; }
    /// Forgets the targets; `owner_alive`: their collections may hold the owner strongly.
    void unload(bool owner_alive) noexcept;
    /// Links made or removed before the owner was in a Session: true = made.
    struct Change {
        std::shared_ptr<void> target;
        bool linked;
    };
    std::vector<Change> take_changes() noexcept { return std::exchange(changes_, {}); }
    /// The owner leaves its Session before the link change was written: kept for the
    /// Session the owner is added to next, as a change made before it had one.
    void keep_change(const std::shared_ptr<void>& target, bool linked);
    /// Puts the owner into `target`'s collection (when in memory) and settles which of
    /// the two entries is weak; for links made before the owner had a session state.
    void pair_with(const std::shared_ptr<void>& target);

private:
    void erase(const void* target) noexcept;
    /// Keeps a change for the Session the owner joins next, one per target: a change
    /// undoes the one kept before it for the same target (they alternate), so the
    /// Session hears only what changed in the end.
    void keep(const std::shared_ptr<void>& target, bool linked);
    /// The other side unlinked `target`: a link to it kept for the owner's next Session
    /// goes, as SQLAlchemy cancels a pending append.
    void forget_kept_link(const void* target) noexcept;
    /// Tells the Session (or keeps for later) that the link to `target` changed.
    void changed(const std::shared_ptr<void>& target, bool linked);
    Associated* reverse(const void* target) const;

    CollectionEntries entries_;
    std::vector<Change> changes_;
};

}  // namespace alchemy::detail
