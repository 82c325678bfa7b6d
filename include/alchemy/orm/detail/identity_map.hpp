// A session's identity map for one model: at most one object per primary key. Open
// addressing over a flat array of (hash, state) pairs, so adding an object allocates
// nothing once the array has room; keys are hashed and compared through the model's
// table of operations, on the snapshot (the key the database has).
//
// A model whose key is one integer column also has a window: an array indexed by key
// minus the window's first key. Loaded rows whose keys come close together (ids a table
// generated) go there, with no hashing, probing or rehashing, while the window stays at
// least a quarter full; other keys go to the hash table.
#pragma once

#include "alchemy/orm/detail/model_ops.hpp"
#include "alchemy/orm/object_state.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace alchemy::detail {

class IdentityMap {
public:
    explicit IdentityMap(const ModelOps& ops) noexcept : ops_(&ops) {}

    /// The state whose key equals that of `values` (an object or a snapshot), or null.
    InstanceState* find(const void* values) const noexcept;
    /// Where an insert_at() puts a key that find_or_prepare() did not find.
    struct Probe {
        bool in_window = false;
        std::int64_t key = 0;  ///< in the window
        std::size_t hash = 0;  ///< in the hash table: the key's hash and its free entry
        std::size_t entry = 0;
    };
    /// find(); on a miss it also makes room for the key (growing the window towards it,
    /// or the hash table) and fills `probe` for insert_at(). One hash and one probe for a
    /// loaded row instead of two.
    InstanceState* find_or_prepare(const void* values, Probe& probe);
    /// Adds `state` where `probe` says: a find_or_prepare() that missed, with nothing
    /// added or removed since.
    void insert_at(const Probe& probe, InstanceState& state) noexcept;
    /// Adds `state` under its snapshot's key, replacing another state with that key,
    /// which it returns (else null). Allocates only beyond the room reserve_more() made
    /// (the window never grows here).
    InstanceState* insert_or_assign(InstanceState& state);
    /// Removes `state`, if the map holds it under its snapshot's key. Inline for the
    /// objects a cleared map no longer holds (expunge_all() lets go of them all).
    void erase(const InstanceState& state) noexcept {
        if (size() != 0) erase_held(state);
    }
    /// Makes room for `more` entries beyond those held, so that insert_or_assign() of
    /// the states held and of `more` others allocates nothing.
    void reserve_more(std::size_t more);
    void clear() noexcept;
    std::size_t size() const noexcept { return size_ + window_used_; }

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
    InstanceState* table_find(const void* values) const noexcept;
    void erase_held(const InstanceState& state) noexcept;
    void place(std::size_t hash, InstanceState& state);
    /// Makes room in the table for `count` entries in all.
    void table_room(std::size_t count);
    void grow(std::size_t capacity);

    /// The index of `key`'s slot in the window, or window_.size() outside it.
    std::size_t window_index(std::int64_t key) const noexcept;
    /// Widens the window to take `key` if it then stays a quarter full; false: it would
    /// not, and the key goes to the hash table.
    bool widen_window(std::int64_t key);

    const ModelOps* ops_;
    std::vector<Entry> entries_;  ///< a power of two in size, at most half full
    std::size_t size_ = 0;
    std::vector<InstanceState*> window_;  ///< slot i: the key window_first_ + i
    std::int64_t window_first_ = 0;
    std::size_t window_used_ = 0;
};

}  // namespace alchemy::detail
