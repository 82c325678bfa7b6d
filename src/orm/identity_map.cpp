// Linear probing with backward-shift deletion: no tombstones, so lookups stay short
// however many objects come and go.
#include "alchemy/orm/detail/identity_map.hpp"

#include <bit>
#include <cstdint>

namespace alchemy::detail {
namespace {

/// Mixes all bits of `h` into all bits.
std::uint64_t mix(std::uint64_t h) noexcept {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return h;
}

/// Where a key's hash puts it. Integer keys hash to themselves. Keys that differ only in
/// their two lowest bits stay side by side, so a query loading consecutive ids touches one
/// cache line per four entries instead of one each; the groups of four are scattered, as
/// one unbroken run of consecutive ids would make every erase() walk that run to its end
/// (a session letting go of n objects would cost n^2).
std::size_t spread(std::size_t hash) noexcept {
    return static_cast<std::size_t>((mix(hash >> 2) << 2) | (hash & 3));
}

}  // namespace

std::size_t IdentityMap::entry_for(std::size_t hash, const void* values) const noexcept {
    for (std::size_t i = slot_of(hash);; i = slot_of(i + 1)) {
        const auto& e = entries_[i];
        if (!e.state || (e.hash == hash && ops_->same_key(e.state->snapshot, values))) return i;
    }
}

std::size_t IdentityMap::position(std::size_t hash, const void* values) const noexcept {
    if (entries_.empty()) return 0;
    const auto i = entry_for(hash, values);
    return entries_[i].state ? i : entries_.size();
}

InstanceState* IdentityMap::find(const void* values) const noexcept {
    const auto i = position(spread(ops_->hash_key(values)), values);
    return i < entries_.size() ? entries_[i].state : nullptr;
}

InstanceState* IdentityMap::find(const void* values, Probe& probe) const noexcept {
    probe.hash = spread(ops_->hash_key(values));
    probe.entry = entry_for(probe.hash, values);
    return entries_[probe.entry].state;
}

void IdentityMap::insert_at(const Probe& probe, InstanceState& state) noexcept {
    entries_[probe.entry] = {probe.hash, &state};
    ++size_;
}

InstanceState* IdentityMap::insert_or_assign(InstanceState& state) {
    const auto hash = spread(ops_->hash_key(state.snapshot));
    if (const auto i = position(hash, state.snapshot); i < entries_.size()) {
        auto* displaced = entries_[i].state;
        entries_[i].state = &state;
        return displaced == &state ? nullptr : displaced;
    }
    place(hash, state);
    return nullptr;
}

void IdentityMap::place(std::size_t hash, InstanceState& state) {
    if ((size_ + 1) * 2 > entries_.size()) grow(std::max<std::size_t>(16, entries_.size() * 2));
    auto i = slot_of(hash);
    while (entries_[i].state) i = slot_of(i + 1);
    entries_[i] = {hash, &state};
    ++size_;
}

void IdentityMap::erase(const InstanceState& state) noexcept {
    if (size_ == 0) return;  // as after clear(): no key to hash
    auto hole = position(spread(ops_->hash_key(state.snapshot)), state.snapshot);
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
