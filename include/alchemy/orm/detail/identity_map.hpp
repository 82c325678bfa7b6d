// A session's identity map for one model: at most one object per primary key. Open
// addressing over a flat array of (hash, state) pairs, so adding an object allocates
// nothing once the array has room; keys are hashed and compared through the model's
// table of operations, on the snapshot (the key the database has).
#pragma once

#include "alchemy/orm/detail/model_ops.hpp"
#include "alchemy/orm/object_state.hpp"

#include <cstddef>
#include <vector>

namespace alchemy::detail {

class IdentityMap {
public:
    explicit IdentityMap(const ModelOps& ops) noexcept : ops_(&ops) {}

    /// The state whose key equals that of `values` (an object or a snapshot), or null.
    InstanceState* find(const void* values) const noexcept;
    /// Where a find() looked: the key's hash, and the entry holding the key or, on a
    /// miss, the free entry the key would take.
    struct Probe {
        std::size_t hash = 0;
        std::size_t entry = 0;
    };
    /// find(), which also fills `probe` for an insert_at() of a missing key. Needs room for
    /// one more entry (reserve()).
    InstanceState* find(const void* values, Probe& probe) const noexcept;
    /// Adds `state` where `probe` says: a find() that missed, with nothing added or
    /// removed since. One hash and one probe for a loaded row instead of two.
    void insert_at(const Probe& probe, InstanceState& state) noexcept;
    /// Adds `state` under its snapshot's key, replacing another state with that key,
    /// which it returns (else null). Allocates only beyond the room reserve() made.
    InstanceState* insert_or_assign(InstanceState& state);
    /// Removes `state`, if the map holds it under its snapshot's key.
    void erase(const InstanceState& state) noexcept;
    /// Makes room for `count` entries in all.
    void reserve(std::size_t count);
    void clear() noexcept;
    std::size_t size() const noexcept { return size_; }

private:
    struct Entry {
        std::size_t hash = 0;
        InstanceState* state = nullptr;  ///< null: free
    };

    std::size_t slot_of(std::size_t hash) const noexcept { return hash & (entries_.size() - 1); }
    /// The index of the entry for `values` with `hash`, or entries_.size().
    std::size_t position(std::size_t hash, const void* values) const noexcept;
    /// The index of the entry for `values` with `hash`, or of the free entry that ends its
    /// run. Needs a free entry.
    std::size_t entry_for(std::size_t hash, const void* values) const noexcept;
    void place(std::size_t hash, InstanceState& state);
    void grow(std::size_t capacity);

    const ModelOps* ops_;
    std::vector<Entry> entries_;  ///< a power of two in size, at most half full
    std::size_t size_ = 0;
};

}  // namespace alchemy::detail
