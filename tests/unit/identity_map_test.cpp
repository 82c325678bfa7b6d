// The identity map (orm/detail/identity_map.hpp) on its own: whatever order keys come
// in, and whether they go to the window of integer keys or to the hash table, each key
// finds its own state, once, until it is erased or replaced.
#include <alchemy/alchemy.hpp>
#include <alchemy/orm/detail/identity_map.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace sa = alchemy;
using sa::detail::IdentityMap;
using sa::detail::InstanceState;
using sa::detail::TypedState;

namespace imap {
struct Numbered {
    std::int64_t id = 0;
    std::string name{};
};
struct Coded {
    std::string code{};
    int uses = 0;
};
}  // namespace imap

template <>
inline constexpr auto sa::mapping<imap::Numbered> = sa::table("numbered");
template <>
inline constexpr auto sa::mapping<imap::Coded> = sa::table("coded", sa::primary_key(&imap::Coded::code));

namespace {

/// States for keys, as loaded rows: the snapshot holds the key. A deque never moves them.
template <class T>
struct States {
    std::deque<TypedState<T>> all;
    TypedState<T>& make(T key_values) {
        auto& state = all.emplace_back();
        state.snapshot_value = std::move(key_values);
        return state;
    }
};

/// Loads `keys` as a query would (find_or_prepare, then insert_at), then checks that each
/// finds its state and that keys never loaded find none.
template <class T, class Make>
void load_and_check(const std::vector<std::int64_t>& keys, const std::vector<std::int64_t>& absent,
                    Make make) {
    IdentityMap map(sa::detail::model_ops<T>());
    States<T> states;
    std::vector<InstanceState*> loaded;
    for (const auto key : keys) {
        auto& state = states.make(make(key));
        IdentityMap::Probe probe;
        REQUIRE(map.find_or_prepare(state.snapshot, probe) == nullptr);
        map.insert_at(probe, state);
        loaded.push_back(&state);
        // A second row with the same key finds the first.
        IdentityMap::Probe again;
        REQUIRE(map.find_or_prepare(state.snapshot, again) == &state);
    }
    CHECK(map.size() == keys.size());
    std::size_t lost = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const T probe = make(keys[i]);
        lost += map.find(&probe) == loaded[i] ? 0 : 1;
    }
    CHECK(lost == 0);
    for (const auto key : absent) {
        const T probe = make(key);
        CHECK(map.find(&probe) == nullptr);
    }

    // Every other one goes; the rest stay, and the gone ones come back through
    // insert_or_assign, which a flush uses for new rows.
    for (std::size_t i = 0; i < keys.size(); i += 2) map.erase(*loaded[i]);
    CHECK(map.size() == keys.size() / 2);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const T probe = make(keys[i]);
        lost += map.find(&probe) == (i % 2 ? loaded[i] : nullptr) ? 0 : 1;
    }
    CHECK(lost == 0);
    for (std::size_t i = 0; i < keys.size(); i += 2) CHECK(map.insert_or_assign(*loaded[i]) == nullptr);
    CHECK(map.size() == keys.size());

    // Another state under a held key replaces it and is returned the old one.
    auto& newer = states.make(make(keys.back()));
    CHECK(map.insert_or_assign(newer) == loaded.back());
    CHECK(map.size() == keys.size());
    const T last = make(keys.back());
    CHECK(map.find(&last) == &newer);

    map.clear();
    CHECK(map.size() == 0);
    CHECK(map.find(&last) == nullptr);
}

imap::Numbered numbered(std::int64_t key) { return {.id = key}; }

std::vector<std::int64_t> range(std::int64_t first, std::int64_t count, std::int64_t step = 1) {
    std::vector<std::int64_t> out;
    for (std::int64_t i = 0; i < count; ++i) out.push_back(first + i * step);
    return out;
}

}  // namespace

TEST_CASE("identity map: integer keys in any order find their own states") {
    constexpr auto low = std::numeric_limits<std::int64_t>::min();
    constexpr auto high = std::numeric_limits<std::int64_t>::max();
    SECTION("ascending, the window's case") {
        load_and_check<imap::Numbered>(range(1, 5000), {0, 5001, -1, 1'000'000}, numbered);
    }
    SECTION("descending") {
        auto keys = range(1, 5000);
        std::reverse(keys.begin(), keys.end());
        load_and_check<imap::Numbered>(keys, {0, 5001}, numbered);
    }
    SECTION("shuffled") {
        auto keys = range(1, 5000);
        std::shuffle(keys.begin(), keys.end(), std::mt19937_64(42));
        load_and_check<imap::Numbered>(keys, {0, 5001}, numbered);
    }
    SECTION("every third key: too sparse for the window to keep growing") {
        load_and_check<imap::Numbered>(range(10, 3000, 3), {11, 12, 9}, numbered);
    }
    SECTION("far apart, then close together where the first ones were") {
        auto keys = range(1, 50, 1'000'000'007);
        const auto close = range(1'000'000'009, 2000);  // just after the second
        keys.insert(keys.end(), close.begin(), close.end());
        load_and_check<imap::Numbered>(keys, {2, 1'000'000'007}, numbered);
    }
    SECTION("around the ends of the integers, where key differences overflow") {
        auto keys = range(low, 100);
        const auto top = range(high - 99, 100);
        keys.insert(keys.end(), top.begin(), top.end());
        const auto middle = range(-50, 100);
        keys.insert(keys.end(), middle.begin(), middle.end());
        load_and_check<imap::Numbered>(keys, {low + 100, high - 100, 50, -51}, numbered);
    }
    SECTION("one at a time, each let go before the next, as gets in a loop") {
        IdentityMap map(sa::detail::model_ops<imap::Numbered>());
        States<imap::Numbered> states;
        std::mt19937_64 random(7);
        for (int i = 0; i < 2000; ++i) {
            const auto key = static_cast<std::int64_t>(random() % 100'000);
            auto& state = states.make(numbered(key));
            IdentityMap::Probe probe;
            REQUIRE(map.find_or_prepare(state.snapshot, probe) == nullptr);
            map.insert_at(probe, state);
            const auto probe_values = numbered(key);
            REQUIRE(map.find(&probe_values) == &state);
            map.erase(state);
            REQUIRE(map.find(&probe_values) == nullptr);
            REQUIRE(map.size() == 0);
        }
    }
}

// A rollback puts back objects the flush took out (deleted rows, switched keys); the
// window may have moved on meanwhile, and the key must still be found once, wherever it
// goes.
TEST_CASE("identity map: a key put back after the window moved on is found") {
    IdentityMap map(sa::detail::model_ops<imap::Numbered>());
    States<imap::Numbered> states;
    auto load = [&](std::int64_t key) -> InstanceState& {
        auto& state = states.make(numbered(key));
        IdentityMap::Probe probe;
        REQUIRE(map.find_or_prepare(state.snapshot, probe) == nullptr);
        map.insert_at(probe, state);
        return state;
    };
    auto& deleted = load(7);
    map.reserve_more(0);  // as a flush that deletes does
    map.erase(deleted);   // the window is empty now, and moves to the next key loaded
    auto& far = load(1'000'000);
    for (std::int64_t key = 1'000'001; key < 1'000'100; ++key) load(key);
    CHECK(map.insert_or_assign(deleted) == nullptr);  // the rollback
    const auto seven = numbered(7);
    const auto million = numbered(1'000'000);
    CHECK(map.find(&seven) == &deleted);
    CHECK(map.find(&million) == &far);
    CHECK(map.size() == 101);
    // Put back again (a second rollback path), it replaces nothing and adds nothing.
    CHECK(map.insert_or_assign(deleted) == nullptr);
    CHECK(map.size() == 101);
    map.erase(deleted);
    CHECK(map.find(&seven) == nullptr);
    CHECK(map.size() == 100);
}

TEST_CASE("identity map: a key that is not one integer column goes by hash alone") {
    load_and_check<imap::Coded>(range(1, 3000), {0, 3001}, [](std::int64_t key) {
        return imap::Coded{.code = "c" + std::to_string(key)};
    });
}
