// Values go in as bound parameters and come back unchanged, on both backends.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace sa = alchemy;
using sa::test::backends;

namespace roundtrip {
struct Gauge {
    std::int64_t id = 0;
    float level = 0;
};
}  // namespace roundtrip

template <>
inline constexpr auto sa::mapping<roundtrip::Gauge> = sa::table("gauges");

TEST_CASE("values round-trip through a table unchanged") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    const bool pg = backend.is_postgresql();
    // Catch re-runs the body for each SECTION on the same database: create once, empty each time.
    conn.execute_script(
        pg ? "CREATE TABLE IF NOT EXISTS ints (v BIGINT);"
             "CREATE TABLE IF NOT EXISTS reals (v DOUBLE PRECISION);"
             "CREATE TABLE IF NOT EXISTS strs (v TEXT); CREATE TABLE IF NOT EXISTS blobs (v BYTEA);"
           : "CREATE TABLE IF NOT EXISTS ints (v INTEGER); CREATE TABLE IF NOT EXISTS reals (v REAL);"
             "CREATE TABLE IF NOT EXISTS strs (v TEXT); CREATE TABLE IF NOT EXISTS blobs (v BLOB);");
    conn.execute_script("DELETE FROM ints; DELETE FROM reals; DELETE FROM strs; DELETE FROM blobs");

    SECTION("64-bit integer extremes") {
        for (std::int64_t v : {std::numeric_limits<std::int64_t>::min(), std::int64_t{-1}, std::int64_t{0},
                               std::numeric_limits<std::int64_t>::max()}) {
            conn.execute(sa::text("DELETE FROM ints"));
            conn.execute(sa::text("INSERT INTO ints (v) VALUES (:v)").bind("v", v));
            CHECK(conn.execute(sa::text("SELECT v FROM ints").columns<std::int64_t>()).scalar_one() == v);
        }
    }
    SECTION("doubles") {
        for (double v : {0.0, -1.5, 3.141592653589793, 1e300, -2.5e-300}) {
            conn.execute(sa::text("DELETE FROM reals"));
            conn.execute(sa::text("INSERT INTO reals (v) VALUES (:v)").bind("v", v));
            CHECK(conn.execute(sa::text("SELECT v FROM reals").columns<double>()).scalar_one() == v);
        }
    }
    SECTION("empty and unicode strings") {
        for (std::string v : {std::string(), std::string("plain"), std::string("héllo wörld ✓ 日本語 🎉"),
                              std::string("quote ' and \" and \\ backslash"), std::string(5000, 'x')}) {
            conn.execute(sa::text("DELETE FROM strs"));
            conn.execute(sa::text("INSERT INTO strs (v) VALUES (:v)").bind("v", v));
            CHECK(conn.execute(sa::text("SELECT v FROM strs").columns<std::string>()).scalar_one() == v);
        }
    }
    SECTION("blobs with zero bytes, and an empty blob that stays non-NULL") {
        std::vector<std::byte> zeros{std::byte{0}, std::byte{1}, std::byte{0}, std::byte{255}};
        for (const auto& v : {zeros, std::vector<std::byte>{}}) {
            conn.execute(sa::text("DELETE FROM blobs"));
            conn.execute(sa::text("INSERT INTO blobs (v) VALUES (:v)").bind("v", v));
            auto back =
                conn.execute(sa::text("SELECT v FROM blobs").columns<std::optional<std::vector<std::byte>>>())
                    .scalar_one();
            REQUIRE(back.has_value());
            CHECK(*back == v);
        }
    }
    SECTION("NULL reads as an empty optional and is refused by a non-optional") {
        conn.execute(sa::text("INSERT INTO strs (v) VALUES (:v)").bind("v", std::nullopt));
        CHECK_FALSE(conn.execute(sa::text("SELECT v FROM strs").columns<std::optional<std::string>>())
                        .scalar_one()
                        .has_value());
        REQUIRE_THROWS_MATCHES(
            conn.execute(sa::text("SELECT v FROM strs").columns<std::string>()).scalar_one(), sa::DataError,
            sa::test::MessageContains("std::optional"));
    }
    SECTION("an integer too wide for the field is a DataError") {
        conn.execute(sa::text("INSERT INTO ints (v) VALUES (:v)").bind("v", 100000));
        CHECK_THROWS_AS(conn.execute(sa::text("SELECT v FROM ints").columns<std::int16_t>()).scalar_one(),
                        sa::DataError);
    }
}

TEST_CASE("a real beyond the range of float read into one is a DataError") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    const auto as_float = [&](const std::string& value) {
        return conn.execute(sa::text("SELECT CAST(" + value + " AS DOUBLE PRECISION)").columns<float>())
            .scalar_one();
    };
    REQUIRE_THROWS_MATCHES(as_float("1e300"), sa::DataError, sa::test::MessageContains("does not fit"));
    CHECK_THROWS_AS(as_float("-1e300"), sa::DataError);
    CHECK(as_float("3.4028234663852886e38") == std::numeric_limits<float>::max());
    CHECK(as_float("-1.5") == -1.5F);
    // The infinities and NaN have a float of their own.
    const auto infinity = backend.is_postgresql() ? "'-Infinity'" : "-1e999";
    CHECK(as_float(infinity) == -std::numeric_limits<float>::infinity());
    CHECK(std::isnan(conn.execute(sa::text("SELECT 'nan'").columns<float>()).scalar_one()));
    // A model's float field over a double column reads through the same check.
    conn.execute(sa::text("CREATE TABLE gauges (id INTEGER PRIMARY KEY, level DOUBLE PRECISION)"));
    conn.execute(sa::text("INSERT INTO gauges (id, level) VALUES (1, 1e300)"));
    CHECK_THROWS_AS(conn.execute(sa::select<roundtrip::Gauge>()).all(), sa::DataError);
}

TEST_CASE("a real read as text is the shortest text of the same double, alike on both backends") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    conn.execute(sa::text("CREATE TABLE reals (id INTEGER PRIMARY KEY, x DOUBLE PRECISION)"));
    const double values[] = {0.1 + 0.2, 1e300, -2.5, 1.0 / 3.0, std::numeric_limits<double>::infinity()};
    for (std::size_t i = 0; i < std::size(values); ++i)
        conn.execute(sa::text("INSERT INTO reals (id, x) VALUES (:id, :x)")
                         .bind("id", static_cast<std::int64_t>(i))
                         .bind("x", values[i]));
    const auto texts = conn.execute(sa::text("SELECT x FROM reals ORDER BY id").columns<std::string>()).all();
    CHECK(texts == std::vector<std::string>{"0.30000000000000004", "1e+300", "-2.5", "0.3333333333333333",
                                            "Infinity"});
}

TEST_CASE("an integer other than 0 or 1 read as a bool is a DataError") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    const auto as_bool = [&](const char* sql) {
        return conn.execute(sa::text(sql).columns<bool>()).scalar_one();
    };
    CHECK_FALSE(as_bool("SELECT 0"));
    CHECK(as_bool("SELECT 1"));
    CHECK(as_bool("SELECT CAST(1 AS BIGINT)"));
    REQUIRE_THROWS_MATCHES(as_bool("SELECT 2"), sa::DataError,
                           sa::test::MessageContains("a boolean (0 or 1)"));
    CHECK_THROWS_AS(as_bool("SELECT -1"), sa::DataError);
    CHECK_THROWS_AS(as_bool("SELECT CAST(-1 AS SMALLINT)"), sa::DataError);
    CHECK_THROWS_AS(as_bool("SELECT CAST(4294967296 AS BIGINT)"), sa::DataError);
}

TEST_CASE("rows read into tuples work with structured bindings") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    conn.execute(sa::text("CREATE TABLE people (name TEXT, age INTEGER)"));
    conn.execute(sa::text("INSERT INTO people VALUES ('ann', 30), ('bob', NULL)"));
    std::vector<std::string> seen;
    for (auto [name, age] : conn.execute(sa::text("SELECT name, age FROM people ORDER BY name")
                                             .columns<std::string, std::optional<int>>()))
        seen.push_back(name + ":" + (age ? std::to_string(*age) : "null"));
    CHECK(seen == std::vector<std::string>{"ann:30", "bob:null"});
}

TEST_CASE("one, first, one_or_none and scalar follow SQLAlchemy's rules") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    conn.execute(sa::text("CREATE TABLE nums (n INTEGER)"));
    conn.execute(sa::text("INSERT INTO nums VALUES (1), (2)"));
    auto query = [&](const char* sql) { return conn.execute(sa::text(sql).columns<int>()); };
    CHECK_THROWS_AS(query("SELECT n FROM nums").one(), sa::MultipleResultsFound);
    CHECK_THROWS_AS(query("SELECT n FROM nums WHERE n > 5").one(), sa::NoResultFound);
    CHECK_FALSE(query("SELECT n FROM nums WHERE n > 5").one_or_none().has_value());
    CHECK(query("SELECT n FROM nums ORDER BY n").first() == 1);
    CHECK_FALSE(query("SELECT n FROM nums WHERE n > 5").scalar().has_value());
    CHECK(query("SELECT n FROM nums ORDER BY n DESC").all() == std::vector<int>{2, 1});
    auto deleted = conn.execute(sa::text("DELETE FROM nums"));
    CHECK(deleted.rowcount() == 2);
}

TEST_CASE("a row type with the wrong number of columns is a ProgrammingError") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    CHECK_THROWS_WITH(conn.execute(sa::text("SELECT 1, 2").columns<int>()),
                      Catch::Matchers::Contains("returns 2 column(s) but the row type reads 1"));
}
