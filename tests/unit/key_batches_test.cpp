// How relationship loads and the HasOne check cut a set of keys into statements
// (src/orm/model_statements.hpp): keys that follow one another as one range, others as IN
// lists padded to a few sizes and no longer than the dialect's parameter limit.
#include "orm/model_statements.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace sa = alchemy;

namespace batches {
struct Coded {
    std::int64_t id = 0;
    std::int64_t number = 0;
    std::string code{};
};
}  // namespace batches

template <>
inline constexpr auto sa::mapping<batches::Coded> = sa::table("coded");

namespace {

using sa::detail::ModelStatements;
constexpr std::size_t number_column = 1;
constexpr std::size_t code_column = 2;
constexpr auto min = std::numeric_limits<std::int64_t>::min();
constexpr auto max = std::numeric_limits<std::int64_t>::max();

const sa::Dialect& sqlite() { return sa::driver_for(sa::make_url("sqlite://")).dialect(); }

std::vector<ModelStatements::KeyBatch> batches_of(std::vector<std::int64_t> keys,
                                                  std::size_t column = number_column) {
    return ModelStatements::key_batches(sqlite(), sa::detail::model_ops<batches::Coded>(), column,
                                        std::move(keys));
}

std::vector<std::int64_t> values(const ModelStatements::KeyBatch& batch) {
    std::vector<std::int64_t> out;
    for (const auto& p : batch.params) out.push_back(p.integer);
    return out;
}

}  // namespace

TEST_CASE("keys that follow one another are one range, in any order and repeated") {
    const auto batches = batches_of({3, 1, 2, 2, 4});
    REQUIRE(batches.size() == 1);
    CHECK(batches[0].range);
    CHECK(values(batches[0]) == std::vector<std::int64_t>{1, 4});

    const auto one = batches_of({7});
    REQUIRE(one.size() == 1);
    CHECK(one[0].range);
    CHECK(values(one[0]) == std::vector<std::int64_t>{7, 7});

    CHECK(batches_of({}).empty());
}

TEST_CASE("keys with a gap are an IN list, padded with the last key") {
    const auto batches = batches_of({4, 1, 2});
    REQUIRE(batches.size() == 1);
    CHECK_FALSE(batches[0].range);
    CHECK(values(batches[0]) == std::vector<std::int64_t>{1, 2, 4, 4});
}

TEST_CASE("the ends of the 64-bit range are compared without overflow") {
    CHECK(batches_of({max - 1, max})[0].range);
    CHECK(batches_of({min, min + 1})[0].range);
    const auto apart = batches_of({min, max});
    REQUIRE(apart.size() == 1);
    CHECK_FALSE(apart[0].range);
    CHECK(values(apart[0]) == std::vector<std::int64_t>{min, max, max, max});
    CHECK_FALSE(batches_of({min, 0, max})[0].range);
}

TEST_CASE("keys of a text column are never a range, which would compare them as text") {
    const auto batches = batches_of({1, 2, 3}, code_column);
    REQUIRE(batches.size() == 1);
    CHECK_FALSE(batches[0].range);
    CHECK(values(batches[0]) == std::vector<std::int64_t>{1, 2, 3, 3});
}

TEST_CASE("keys with gaps beyond one statement's parameters are cut into several IN lists") {
    std::vector<std::int64_t> keys;
    for (std::int64_t k = 0; k < 5000; ++k) keys.push_back(2 * k);  // every other number
    const auto batches = batches_of(keys);
    REQUIRE(batches.size() == 2);
    CHECK_FALSE(batches[0].range);
    CHECK(batches[0].params.size() == 4096);
    CHECK(batches[1].params.size() == 1024);  // 904 keys, padded
    CHECK(batches[1].params.front().integer == 2 * 4096);
    CHECK(batches[1].params.back().integer == 2 * 4999);
}
