// Values at the edges of what a C++ type or a database holds: each is stored and read back
// as itself, or refused with a DataError, never turned into another value.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;
using sa::test::MessageContains;
using namespace std::chrono;

namespace limits {
struct Token {
    std::int64_t id = 0;
    sys_seconds expires{};
    std::optional<system_clock::time_point> seen{};  // nanoseconds in 64 bits on libstdc++
};
struct Reading {
    std::int64_t id = 0;
    std::optional<double> level{};
};
/// Big integers in a REAL column: its table is created by hand.
struct Counter {
    std::int64_t id = 0;
    std::int64_t approximate = 0;
};
enum class Mask : std::uint64_t { low = 1, all = 0xFFFF'FFFF'FFFF'FFFFull };
struct Masked {
    std::int64_t id = 0;
    Mask mask = Mask::low;
};
/// A key field of 8 bits, whose table's generated keys may pass 255.
struct Tiny {
    std::uint8_t id = 0;
    std::string name{};
};
}  // namespace limits

template <>
inline constexpr auto sa::mapping<limits::Token> = sa::table("tokens");
template <>
inline constexpr auto sa::mapping<limits::Reading> = sa::table("readings");
template <>
inline constexpr auto sa::mapping<limits::Counter> = sa::table("counters");
template <>
inline constexpr auto sa::mapping<limits::Masked> = sa::table("masked");
template <>
inline constexpr auto sa::mapping<limits::Tiny> = sa::table("tiny");

using limits::Counter;
using limits::Reading;
using limits::Token;

TEST_CASE("a timestamp beyond 64-bit microseconds is refused, not stored as 1969") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Token>().create_all(engine);
    sa::Session session(engine);
    session.add(Token{.expires = sys_seconds::max()});
    CHECK_THROWS_MATCHES(session.commit(), sa::DataError, MessageContains("beyond what the database stores"));
    session.rollback();
    CHECK(session.query<Token>().count() == 0);
    const auto far = sys_days{year{9999} / 12 / 31};
    auto kept = session.add(Token{.expires = far});
    session.commit();
    sa::Session check(engine);
    CHECK(check.get<Token>(kept->id)->expires == far);
}

TEST_CASE("a timestamp read into a time_point too narrow for it is refused, not wrapped") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Token>().create_all(engine);
    {
        auto conn = engine.connect();
        conn.execute(sa::text("INSERT INTO tokens (id, expires, seen) VALUES (1, :e, :s)")
                         .bind("e", sys_seconds{})
                         .bind("s", sys_time<microseconds>{sys_days{year{9999} / 12 / 31}}));
        conn.commit();
    }
    sa::Session session(engine);
    CHECK_THROWS_MATCHES(session.get<Token>(1), sa::DataError,
                         MessageContains("beyond the range of the time_point"));
    auto conn = engine.connect();
    CHECK(conn.execute(sa::text("SELECT seen FROM tokens").columns<sys_time<microseconds>>()).scalar_one() ==
          sys_days{year{9999} / 12 / 31});
}

TEST_CASE("a value that would vanish in a float is refused") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    CHECK_THROWS_MATCHES(conn.execute(sa::text("SELECT :v").bind("v", 1e-50).columns<float>()).scalar_one(),
                         sa::DataError, MessageContains("would become 0 in a float"));
    CHECK(conn.execute(sa::text("SELECT :v").bind("v", 0.0).columns<float>()).scalar_one() == 0.0f);
}

TEST_CASE("SQLite refuses a NaN, which it would store as NULL") {
    auto engine = sa::create_engine(sa::test::sqlite_temp_url());
    sa::metadata<Reading>().create_all(engine);
    sa::Session session(engine);
    session.add(Reading{.level = std::numeric_limits<double>::quiet_NaN()});
    CHECK_THROWS_MATCHES(session.commit(), sa::DataError, MessageContains("NaN, which SQLite cannot store"));
    session.rollback();
    CHECK(session.query<Reading>().count() == 0);
}

TEST_CASE("PostgreSQL: a NaN is stored and read back as NaN") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    auto engine = backend.engine();
    sa::metadata<Reading>().create_all(engine);
    sa::Session session(engine);
    auto nan = session.add(Reading{.level = std::numeric_limits<double>::quiet_NaN()});
    session.commit();
    sa::Session check(engine);
    const auto level = check.get<Reading>(nan->id)->level;
    REQUIRE(level);
    CHECK(std::isnan(*level));
}

TEST_CASE("PostgreSQL: a date beyond year_month_day's years is refused, not read as another year") {
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    auto engine = backend.engine();
    auto conn = engine.connect();
    CHECK_THROWS_MATCHES(
        conn.execute(sa::text("SELECT DATE '40000-01-01'").columns<year_month_day>()).scalar_one(),
        sa::DataError, MessageContains("beyond year 32767"));
    CHECK(conn.execute(sa::text("SELECT DATE '9999-12-31'").columns<year_month_day>()).scalar_one() ==
          year{9999} / 12 / 31);
}

TEST_CASE("PostgreSQL: a date bound while the session's TimeZone is not UTC is refused") {
    // Into a TIMESTAMPTZ column a date is the zone's midnight: in Tokyo, 2024-01-01 would
    // read back as 2023-12-31.
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    auto engine = backend.engine();
    auto conn = engine.connect();
    conn.execute(sa::text("CREATE TABLE stamps (at TIMESTAMPTZ)"));
    conn.execute(sa::text("SET TIME ZONE 'Asia/Tokyo'"));
    CHECK_THROWS_MATCHES(
        conn.execute(
            sa::text("INSERT INTO stamps (at) VALUES (:d)").bind("d", year_month_day{year{2024} / 1 / 1})),
        sa::DatabaseError, MessageContains("TimeZone is Asia/Tokyo, not UTC"));
    conn.rollback();
}

TEST_CASE("PostgreSQL: a big integer flushed into a REAL column is stored alike by INSERT and by COPY") {
    // COPY (1 000 rows or more in a flush) converted it through double, rounding twice.
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    auto engine = backend.engine();
    {
        auto conn = engine.connect();
        conn.execute(
            sa::text("CREATE TABLE counters (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                     "approximate REAL NOT NULL)"));
        conn.commit();
    }
    constexpr std::int64_t big = (std::int64_t{1} << 60) + (std::int64_t{1} << 36) + 1;
    const auto stored = [&](std::size_t rows) {
        sa::Session session(engine);
        session.execute(sa::text("DELETE FROM counters"));
        for (std::size_t i = 0; i < rows; ++i) session.add(Counter{.approximate = big});
        session.commit();
        auto conn = engine.connect();
        return conn
            .execute(sa::text("SELECT DISTINCT approximate::text FROM counters").columns<std::string>())
            .all();
    };
    const auto by_insert = stored(3);
    const auto by_copy = stored(1200);
    REQUIRE(by_insert.size() == 1);
    CHECK(by_copy == by_insert);
}

TEST_CASE("an enum of std::uint64_t above INT64_MAX is refused, not stored as a negative number") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<limits::Masked>().create_all(engine);
    sa::Session session(engine);
    session.add(limits::Masked{.mask = limits::Mask::all});
    CHECK_THROWS_MATCHES(session.commit(), sa::ArgumentError,
                         MessageContains("larger than the biggest 64-bit signed integer"));
    session.rollback();
    CHECK(sa::Session(engine).query<limits::Masked>().count() == 0);
}

TEST_CASE("a generated key too wide for the key's field is refused, not wrapped into the object") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<limits::Tiny>().create_all(engine);
    {
        auto conn = engine.connect();
        conn.execute(sa::text("INSERT INTO tiny (id, name) VALUES (255, 'last')"));
        if (backend.is_postgresql())
            conn.execute(sa::text("SELECT setval(pg_get_serial_sequence('tiny', 'id'), 255)"));
        conn.commit();
    }
    sa::Session session(engine);
    auto next = session.add(limits::Tiny{.name = "next"});  // the database gives it 256
    CHECK_THROWS_MATCHES(session.commit(), sa::DataError, MessageContains("is to take 256"));
    session.rollback();
    CHECK(sa::Session(engine).query<limits::Tiny>().count() == 1);
}
