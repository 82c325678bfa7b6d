// The registry of states for objects the session did not allocate itself.
#include "alchemy/orm/object_state.hpp"

#include <mutex>
#include <unordered_map>
#include <utility>

namespace alchemy {

std::string_view to_string(ObjectState state) noexcept {
    switch (state) {
    case ObjectState::transient: return "transient";
    case ObjectState::pending: return "pending";
    case ObjectState::persistent: return "persistent";
    case ObjectState::deleted: return "deleted";
    case ObjectState::detached: return "detached";
    }
    return "unknown";
}

namespace detail {
namespace {

struct Entry {
    std::weak_ptr<const void> owner;  ///< tells a live object from a dead one at the same address
    std::shared_ptr<InstanceState> state;
};

struct Registry {
    std::mutex mutex;
    std::unordered_map<const void*, Entry> entries;
    std::size_t sweep_at = 64;

    /// The entry of `object` if it is that object's (not a dead predecessor's).
    Entry* find(const std::shared_ptr<const void>& object) {
        auto it = entries.find(object.get());
        if (it == entries.end()) return nullptr;
        const auto& owner = it->second.owner;
        if (owner.expired() || owner.owner_before(object) || object.owner_before(owner)) {
            entries.erase(it);
            return nullptr;
        }
        return &it->second;
    }
    /// Drops the entries of dead objects, so the registry stays as large as the live ones.
    void sweep() {
        std::erase_if(entries, [](const auto& e) { return e.second.owner.expired(); });
        sweep_at = std::max<std::size_t>(64, entries.size() * 2);
    }
};

Registry& registry() {
    static Registry r;
    return r;
}

}  // namespace

std::shared_ptr<InstanceState> registered_state(const std::shared_ptr<const void>& object,
                                                std::shared_ptr<InstanceState> (*make)()) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    if (auto* e = r.find(object)) return e->state;
    if (r.entries.size() >= r.sweep_at) r.sweep();
    auto state = make();
    r.entries[object.get()] = Entry{object, state};
    return state;
}

InstanceState* find_registered_state(const std::shared_ptr<const void>& object) noexcept {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto* e = r.find(object);
    return e ? e->state.get() : nullptr;
}

}  // namespace detail
}  // namespace alchemy
