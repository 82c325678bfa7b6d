// query<T>().count() and exists() embed the query, with its LIMIT and OFFSET, in a
// statement of their own, cached once per combination of the two (sql/shape_variant.hpp).
// Every combination gives the right number on both backends, and no two combinations
// share a text: each one's SQL, as the echo sink sees it, is its own.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;

namespace qcl {

/// Only this file uses the model, so its statement types are cached by this file alone.
struct Counted {
    std::int64_t id = 0;
    std::int32_t n = 0;
};

}  // namespace qcl

template <>
inline constexpr auto sa::mapping<qcl::Counted> = sa::table("counted");

using qcl::Counted;

namespace {

constexpr auto n = sa::col<&Counted::n>;

using Limit = std::optional<std::int64_t>;

struct Case {
    Limit limit;
    Limit offset;
    std::int64_t count;  ///< of the rows n = 1..5 with n > 1: four rows
};

/// The query with whichever of limit() and offset() the case gives.
auto limited(sa::Session& session, const Case& c) {
    auto q = session.query<Counted>().filter(n > 1).order_by(n);
    if (c.limit) q = q.limit(*c.limit);
    if (c.offset) q = q.offset(*c.offset);
    return q;
}

/// The one line of `lines` that starts with `prefix`.
std::string the_statement(const std::vector<std::string>& lines, std::string_view prefix) {
    std::vector<std::string> found;
    for (const auto& line : lines)
        if (line.starts_with(prefix)) found.push_back(line);
    REQUIRE(found.size() == 1);
    return found.front();
}

}  // namespace

TEST_CASE("count() and exists() give the right answer for every combination of limit() and offset()") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<Counted>().create_all(engine);
    sa::Session session(engine);
    for (std::int32_t i = 1; i <= 5; ++i) session.add(Counted{.n = i});
    session.commit();

    const std::vector<Case> cases{
        {{}, {}, 4}, {3, {}, 3}, {9, {}, 4}, {0, {}, 0}, {{}, 1, 3}, {{}, 4, 0},
        {{}, 9, 0},  {2, 1, 2},  {2, 3, 1},  {2, 4, 0},  {0, 1, 0},
    };
    // Per combination (limit given, offset given): the texts count() and exists() sent.
    std::map<std::pair<bool, bool>, std::set<std::string>> counts, exists;
    for (const auto& c : cases) {
        INFO("limit " << (c.limit ? std::to_string(*c.limit) : "none") << ", offset "
                      << (c.offset ? std::to_string(*c.offset) : "none"));
        const std::pair<bool, bool> combination{c.limit.has_value(), c.offset.has_value()};
        capture.lines.clear();
        CHECK(limited(session, c).count() == c.count);
        counts[combination].insert(the_statement(capture.lines, "SELECT count("));
        capture.lines.clear();
        CHECK(limited(session, c).exists() == (c.count > 0));
        exists[combination].insert(the_statement(capture.lines, "SELECT EXISTS"));
    }

    for (const auto* texts : {&counts, &exists}) {
        REQUIRE(texts->size() == 4);
        std::set<std::string> distinct;
        for (const auto& [combination, sent] : *texts) {
            const auto [has_limit, has_offset] = combination;
            INFO("limit " << has_limit << ", offset " << has_offset);
            // Different values, one text: the combination's.
            REQUIRE(sent.size() == 1);
            const auto& sql = *sent.begin();
            INFO(sql);
            distinct.insert(sql);
            CHECK((sql.find("OFFSET") != std::string::npos) == has_offset);
            if (has_limit) CHECK(sql.find("LIMIT") != std::string::npos);
            if (!has_limit && !has_offset) CHECK(sql.find("LIMIT") == std::string::npos);
        }
        // No two combinations share a text.
        CHECK(distinct.size() == 4);
    }
}
