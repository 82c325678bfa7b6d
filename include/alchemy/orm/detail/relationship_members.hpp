// The compiled halves of the relationship members (src/orm/relationship_members.cpp):
// ToOne is BelongsTo's, the side whose row holds the foreign key; Children is HasMany's
// and HasOne's, the side the foreign keys refer to; Associated is ManyToMany's. The typed
// fronts in alchemy/orm/relationships.hpp only convert between std::shared_ptr<T> and these.
//
// Ownership, so that parent <-> child references never form a cycle of shared_ptrs: a
// parent's loaded collection holds its children strongly, and a child's BelongsTo holds
// that parent weakly while the parent's collection holds the child; otherwise (the
// parent's collection not loaded) the BelongsTo holds the parent strongly. When the
// program drops its last pointer to a session-made parent, the parent lets go of its
// children (ObjectState's tracked_deleter calls release_relationships), so a child the
// program still holds finds its parent again through the Session (see ToOne::get).
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

struct InstanceState;
struct RelationshipOps;
class RelationshipMember;

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
/// privately, so users see only their own API).
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

    RelationshipLink link_{};
    mutable bool loaded_ = false;
    LoadStrategy on_access_ = LoadStrategy::mapping;
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
    bool holds(const void* object) const noexcept;
    /// Set by a load or by the other side's collection: no foreign key to write.
    void loaded_with(const std::shared_ptr<void>& target, bool weakly) noexcept;
    /// Forgets the target (expiry, the owner's release).
    void unload() noexcept;
    /// The target's collection no longer holds the owner: hold the target strongly.
    void hold_strongly() noexcept;
    /// assigned(): set() was called since the foreign key was last written.
    bool assigned() const noexcept { return assigned_; }
    void written() noexcept { assigned_ = false; }

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
    Children(const Children& other) : RelationshipMember(other), items_(other.items_) {}
    Children(Children&& other) noexcept : RelationshipMember(other), items_(std::move(other.items_)) {}
    /// In a Session: the children become other's (through remove() and add()); otherwise
    /// a copy of the value.
    Children& operator=(const Children& other);
    ~Children() = default;

    /// The children, loaded first when needed.
    const std::vector<std::shared_ptr<void>>& items() const;
    /// Adds `child` (its BelongsTo then names the owner; a child of another parent moves).
    void add(const std::shared_ptr<void>& child);
    /// Removes `child`; its BelongsTo then names no parent. False if it was not here.
    bool remove(const void* child);
    /// HasOne: `child` (or none) replaces the present one.
    void replace(const std::shared_ptr<void>& child);
    /// The children become `wanted`, through remove() and add().
    void assign(const std::vector<std::shared_ptr<void>>& wanted);

    // For the Session ------------------------------------------------------------------
    bool contains(const void* child) const noexcept;
    /// The children as held now, without loading.
    const std::vector<std::shared_ptr<void>>& held() const noexcept { return items_; }
    /// A child found by a load (no foreign key to write).
    void loaded_child(const std::shared_ptr<void>& child) { items_.push_back(child); }
    void mark_loaded() noexcept { loaded_ = true; }
    /// Forgets the children (expiry, the owner's release); `owner_alive`: the children's
    /// BelongsTo may then hold the owner strongly.
    void unload(bool owner_alive) noexcept;

private:
    friend class ToOne;
    void take(const std::shared_ptr<void>& child);
    void drop(std::size_t index, bool clear_back_reference);

    mutable std::vector<std::shared_ptr<void>> items_;
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

    /// The linked objects, loaded first when needed. Plain pointers: a weak entry must not
    /// be made strong by a cached view (see the file comment).
    const std::vector<void*>& items() const;
    /// The linked objects as held now, without loading.
    std::vector<std::shared_ptr<void>> held() const;
    /// Links `target` (a row in the association table at flush; its collection, when
    /// loaded, gets the owner at once).
    void add(const std::shared_ptr<void>& target);
    /// Unlinks `target` (its association row is deleted at flush). False if not linked.
    bool remove(const void* target);
    /// The links become `wanted`, through remove() and add().
    void assign(const std::vector<std::shared_ptr<void>>& wanted);
    bool contains(const void* target) const noexcept;

    // For the Session ------------------------------------------------------------------
    /// A target found by a load.
    void loaded_target(const std::shared_ptr<void>& target);
    void mark_loaded() noexcept { loaded_ = true; }
    /// Forgets the targets; `owner_alive`: their collections may hold the owner strongly.
    void unload(bool owner_alive) noexcept;
    /// Links made or removed before the owner was in a Session: true = made.
    struct Change {
        std::shared_ptr<void> target;
        bool linked;
    };
    std::vector<Change> take_changes() noexcept { return std::exchange(changes_, {}); }
    /// Puts the owner into `target`'s collection (when in memory) and settles which of
    /// the two entries is weak; for links made before the owner had a session state.
    void pair_with(const std::shared_ptr<void>& target);

private:
    struct Entry {
        std::shared_ptr<void> strong;
        std::weak_ptr<void> weak;
        void* address = nullptr;
        std::shared_ptr<void> lock() const noexcept { return strong ? strong : weak.lock(); }
    };
    Entry* find(const void* target) noexcept;
    void erase(const void* target) noexcept;
    /// Tells the Session (or keeps for later) that the link to `target` changed.
    void changed(const std::shared_ptr<void>& target, bool linked);
    Associated* reverse(const void* target) const;

    std::vector<Entry> entries_;
    mutable std::vector<void*> view_;  ///< what items() returned
    std::vector<Change> changes_;
};

}  // namespace alchemy::detail
