// Linear probing with backward-shift deletion: no tombstones, so lookups stay short
// however many objects come and go. And the window of integer keys beside it.
#include "alchemy/orm/detail/identity_map.hpp"

#include <algorithm>
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

/// The window starts this wide, and never grows beyond the largest: past it, keys go to
/// the hash table (a session holding 2^26 objects of one model has other troubles).
constexpr std::size_t first_window = 64;
constexpr std::size_t largest_window = std::size_t{1} << 26;

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

InstanceState* IdentityMap::table_find(const void* values) const noexcept {
    if (size_ == 0) return nullptr;
    const auto i = position(spread(ops_->hash_key(values)), values);
    return i < entries_.size() ? entries_[i].state : nullptr;
}

std::size_t IdentityMap::window_index(std::int64_t key) const noexcept {
    // Unsigned: a key below the window's first wraps around to a large index.
    const auto i = static_cast<std::uint64_t>(key) - static_cast<std::uint64_t>(window_first_);
    return i < window_.size() ? static_cast<std::size_t>(i) : window_.size();
}

InstanceState* IdentityMap::find(const void* values) const noexcept {
    // A key inside the window may still be in the table, put there before the window
    // reached it.
    if (const auto key = window_used_ > 0 ? ops_->integer_key(values) : std::nullopt) {
        if (const auto i = window_index(*key); i < window_.size() && window_[i]) return window_[i];
    }
    return table_find(values);
}

InstanceState* IdentityMap::find_or_prepare(const void* values, Probe& probe) {
    const auto key = ops_->integer_key ? ops_->integer_key(values) : std::nullopt;
    bool to_window = false;
    if (key) {
        const auto i = window_index(*key);
        if (i < window_.size() && window_[i]) return window_[i];
        to_window = i < window_.size() || widen_window(*key);
        // With nothing in the table, the key is not there: no hash needed.
        if (to_window && size_ == 0) {
            probe.in_window = true;
            probe.key = *key;
            return nullptr;
        }
    }
    table_room(size_ + 1);  // first: growing the table would move the entry found below
    probe.hash = spread(ops_->hash_key(values));
    probe.entry = entry_for(probe.hash, values);
    if (auto* held = entries_[probe.entry].state) return held;
    probe.in_window = to_window;
    if (to_window) probe.key = *key;
    return nullptr;
}

void IdentityMap::insert_at(const Probe& probe, InstanceState& state) noexcept {
    if (probe.in_window) {
        window_[window_index(probe.key)] = &state;
        ++window_used_;
        return;
    }
    entries_[probe.entry] = {probe.hash, &state};
    ++size_;
}

bool IdentityMap::widen_window(std::int64_t key) {
    // Unsigned arithmetic: differences stay right where int64_t ones could overflow.
    const auto k = static_cast<std::uint64_t>(key);
    if (window_used_ == 0) {
        // Centred on the key, so that keys loaded in either order fill it; an empty window
        // moves there for nothing (objects fetched one by one and let go).
        if (window_.empty()) window_.assign(first_window, nullptr);
        window_first_ = static_cast<std::int64_t>(k - window_.size() / 2);
        return true;
    }
    // Twice as wide at least, it must stay a quarter full: a window less than half full
    // now cannot grow (keys that come far apart leave it at this).
    if ((window_used_ + 1) * 2 < window_.size()) return false;
    // The new window, reaching the key on the side nearer to it (modulo 2^64, as the
    // window itself may wrap around from the largest key to the smallest).
    const auto first = static_cast<std::uint64_t>(window_first_);
    const auto end = first + window_.size();
    const auto up = k - end;      // from the window's end up to the key
    const auto down = first - k;  // from the key up to the window's first
    const bool above = up < down;
    const std::uint64_t reach = (above ? up : down) + window_.size() + (above ? 1 : 0);
    const auto width = std::max<std::uint64_t>(reach, 2 * window_.size());
    if (reach > largest_window || width > largest_window || (window_used_ + 1) * 4 < width) return false;
    std::vector<InstanceState*> wider(static_cast<std::size_t>(width), nullptr);
    const auto new_first = above ? first : end - width;
    std::copy(window_.begin(), window_.end(), wider.begin() + static_cast<std::ptrdiff_t>(first - new_first));
    window_.swap(wider);
    window_first_ = static_cast<std::int64_t>(new_first);
    return true;
}

InstanceState* IdentityMap::insert_or_assign(InstanceState& state) {
    const auto hash = spread(ops_->hash_key(state.snapshot));
    const auto in_table = position(hash, state.snapshot);
    const auto key = ops_->integer_key ? ops_->integer_key(state.snapshot) : std::nullopt;
    if (const auto i = key ? window_index(*key) : window_.size();
        i < window_.size() && in_table == entries_.size()) {
        auto* displaced = std::exchange(window_[i], &state);
        if (!displaced) ++window_used_;
        return displaced == &state ? nullptr : displaced;
    }
    if (in_table < entries_.size()) {
        auto* displaced = std::exchange(entries_[in_table].state, &state);
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

void IdentityMap::erase_held(const InstanceState& state) noexcept {
    if (const auto key = window_used_ > 0 ? ops_->integer_key(state.snapshot) : std::nullopt) {
        if (const auto i = window_index(*key); i < window_.size() && window_[i] == &state) {
            window_[i] = nullptr;
            --window_used_;
            return;
        }
    }
    if (size_ == 0) return;
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

void IdentityMap::reserve_more(std::size_t more) {
    // Room in the table for every object held, the window's too: a key the window held
    // may come back (a rollback, a key switched back) when the window has moved on.
    table_room(size() + more);
}

void IdentityMap::table_room(std::size_t count) {
    if (count * 2 > entries_.size()) grow(std::bit_ceil(std::max<std::size_t>(16, count * 2)));
}

void IdentityMap::clear() noexcept {
    entries_.clear();
    size_ = 0;
    window_.clear();
    window_used_ = 0;
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
