// session.query<T>().yield_per(n): objects streamed from the database as the loop reads
// them, let go of once the loop drops them, and never at the cost of a change.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;
using sa::test::MessageContains;

namespace streamed {

struct Reading {
    std::int64_t id = 0;
    std::int32_t sensor = 0;
    double value = 0;
};

}  // namespace streamed

template <>
inline constexpr auto sa::mapping<streamed::Reading> = sa::table("readings");

using streamed::Reading;

namespace {

constexpr int readings = 5000;

void seed(sa::Engine& engine) {
    sa::metadata<Reading>().create_all(engine);
    std::vector<Reading> rows;
    for (int i = 0; i < readings; ++i) rows.push_back(Reading{.sensor = i % 7, .value = i * 0.5});
    auto conn = engine.connect();
    sa::bulk_insert(conn, rows);
    conn.commit();
}

std::size_t selects(const sa::test::EchoCapture& capture) {
    return static_cast<std::size_t>(
        std::count_if(capture.lines.begin(), capture.lines.end(),
                      [](const std::string& l) { return l.starts_with("SELECT"); }));
}

}  // namespace

TEST_CASE("yield_per streams every object in order through the identity map") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    seed(engine);
    sa::Session session(engine);
    auto held = session.get<Reading>(std::int64_t{1});
    REQUIRE(held);

    std::int64_t expected_id = 1;
    int seen = 0;
    for (const auto& reading : session.query<Reading>().order_by(sa::col<&Reading::id>).yield_per(100)) {
        CHECK(reading->id == expected_id++);
        CHECK(reading->value == (reading->id - 1) * 0.5);
        if (reading->id == 1) CHECK(reading == held);  // the object the session already has
        ++seen;
    }
    CHECK(seen == readings);

    // What the loop dropped has left the session: loading it again takes a SELECT.
    capture.lines.clear();
    CHECK(session.get<Reading>(std::int64_t{2})->id == 2);
    CHECK(selects(capture) == 1);
    capture.lines.clear();
    CHECK(session.get<Reading>(std::int64_t{1}) == held);
    CHECK(selects(capture) == 0);
}

TEST_CASE("changes made to streamed objects the loop dropped are flushed, not lost") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    seed(engine);
    sa::Session session(engine);
    for (const auto& reading : session.query<Reading>().filter(sa::col<&Reading::sensor> == 3).yield_per(50))
        reading->value = -1;
    session.commit();

    auto conn = engine.connect();
    const auto changed =
        conn.execute(sa::select(sa::count()).select_from<Reading>().where(sa::col<&Reading::value> == -1.0))
            .scalar_one();
    const auto sensor_three =
        conn.execute(sa::select(sa::count()).select_from<Reading>().where(sa::col<&Reading::sensor> == 3))
            .scalar_one();
    CHECK(changed == sensor_three);
    CHECK(changed > 0);
}

TEST_CASE("yield_per refuses an empty batch and keeps other statements out while it streams on PostgreSQL") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    seed(engine);
    sa::Session session(engine);
    CHECK_THROWS_MATCHES(session.query<Reading>().yield_per(0), sa::ArgumentError,
                         MessageContains("at least one row"));

    auto stream = session.query<Reading>().order_by(sa::col<&Reading::id>).yield_per(10);
    auto it = stream.begin();
    REQUIRE(it != stream.end());
    if (backend.is_postgresql()) {
        // One statement at a time per connection: the loop must not query meanwhile.
        CHECK_THROWS_MATCHES(session.query<Reading>().count(), sa::InvalidRequestError,
                             MessageContains("close it before running another statement"));
    } else {
        CHECK(session.query<Reading>().count() == readings);  // SQLite steps rows, so it may
    }
    int rest = 0;
    for (; it != stream.end(); ++it) ++rest;
    CHECK(rest == readings);
    session.commit();
}
