// Linear probing with backward-shift deletion: no tombstones, so lookups stay short
// however many objects come and go.
#include "alchemy/orm/detail/identity_map.hpp"

#include <bit>

namespace alchemy::detail {

std::size_t IdentityMap::position(std::size_t hash, const void* values) const noexcept {
    if (entries_.empty()) return 0;
    for (std::size_t i = slot_of(hash);; i = slot_of(i + 1)) {
        const auto& e = entries_[i];
        if (!e.state) return entries_.size();
        if (e.hash == hash && ops_->same_key(e.state->snapshot, values)) return i;
    }
}

InstanceState* IdentityMap::find(const void* values) const noexcept {
    const auto i = position(ops_->hash_key(values), values);
    return i < entries_.size() ? entries_[i].state : nullptr;
}

void IdentityMap::insert_or_assign(InstanceState& state) {
    const auto hash = ops_->hash_key(state.snapshot);
    if (const auto i = position(hash, state.snapshot); i < entries_.size()) {
        entries_[i].state = &state;
        return;
    }
    if ((size_ + 1) * 2 > entries_.size()) grow(std::max<std::size_t>(16, entries_.size() * 2));
    auto i = slot_of(hash);
    while (entries_[i].state) i = slot_of(i + 1);
    entries_[i] = {hash, &state};
    ++size_;
}

void IdentityMap::erase(const InstanceState& state) noexcept {
    auto hole = position(ops_->hash_key(state.snapshot), state.snapshot);
    if (hole >= entries_.size() || entries_[hole].state != &state) return;
    // Move each later entry of the run back into the hole when its home slot allows.
    for (auto i = slot_of(hole + 1); entries_[i].state; i = slot_of(i + 1)) {
        const auto home = slot_of(entries_[i].hash);
        const bool between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (between) continue;
        entries_[hole] = entries_[i];
        hole = i;
    }
    entries_[hole] = Entry{};
    --size_;
}

void IdentityMap::reserve(std::size_t count) {
    if (count * 2 > entries_.size()) grow(std::bit_ceil(std::max<std::size_t>(16, count * 2)));
}

void IdentityMap::clear() noexcept {
    entries_.clear();
    size_ = 0;
}

void IdentityMap::grow(std::size_t capacity) {
    std::vector<Entry> old(capacity);
    old.swap(entries_);
    for (const auto& e : old) {
        if (!e.state) continue;
        auto i = slot_of(e.hash);
        while (entries_[i].state) i = slot_of(i + 1);
        entries_[i] = e;
    }
}

}  // namespace alchemy::detail
