// ParamBuffer keeps its first parameters in place and the rest in a vector: every
// parameter must come out in order, whichever side of that boundary it was added on.
#include <alchemy/core/param_buffer.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

namespace sa = alchemy;

namespace {

/// The buffer's parameters as text: integers as digits, text as itself.
std::vector<std::string> contents(const sa::ParamBuffer& buffer) {
    std::vector<std::string> out;
    for (const auto& p : buffer.params())
        out.push_back(p.type == sa::ParamType::text ? std::string(p.bytes) : std::to_string(p.integer));
    return out;
}

/// "0", "t1", "2", "t3", ...: integers and owned texts alternating, `count` of them.
std::vector<std::string> fill(sa::ParamBuffer& buffer, int count) {
    std::vector<std::string> expected;
    for (int i = 0; i < count; ++i) {
        if (i % 2) {
            const std::string text = "t" + std::to_string(i);
            buffer.add_owned(sa::Value(sa::Param::of_text(text)));  // the buffer keeps its own copy
            expected.push_back(text);
        } else {
            buffer.add(sa::Param::of_int(i));
            expected.push_back(std::to_string(i));
        }
    }
    return expected;
}

}  // namespace

TEST_CASE("a ParamBuffer gives back every parameter in order, however many it holds") {
    for (const int count : {0, 1, 7, 8, 9, 40}) {
        CAPTURE(count);
        sa::ParamBuffer buffer;
        const auto expected = fill(buffer, count);
        CHECK(buffer.size() == static_cast<std::size_t>(count));
        CHECK(contents(buffer) == expected);
    }
}

TEST_CASE("a ParamBuffer reused after clear() holds only what was added since") {
    sa::ParamBuffer buffer;
    fill(buffer, 40);
    for (const int count : {3, 40, 9, 0}) {
        CAPTURE(count);
        buffer.clear();
        const auto expected = fill(buffer, count);
        CHECK(contents(buffer) == expected);
    }
}

TEST_CASE("a moved ParamBuffer holds the same parameters, its owned values still valid") {
    for (const int count : {5, 20}) {
        CAPTURE(count);
        sa::ParamBuffer buffer;
        const auto expected = fill(buffer, count);
        sa::ParamBuffer moved = std::move(buffer);
        CHECK(contents(moved) == expected);
        sa::ParamBuffer assigned;
        assigned = std::move(moved);
        CHECK(contents(assigned) == expected);
        CHECK(moved.params().empty());  // moved from: empty, and usable again
        fill(moved, 3);
        CHECK(moved.size() == 3);
    }
}
