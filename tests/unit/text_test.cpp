// text(): named placeholders become the dialect's, everything else is left alone.
#include <alchemy/alchemy.hpp>

#include "support/matchers.hpp"

#include <catch2/catch.hpp>

namespace sa = alchemy;

namespace {
const sa::Dialect& sqlite() { return sa::driver_for(sa::make_url("sqlite://")).dialect(); }
const sa::Dialect& postgresql() {
    return sa::driver_for(sa::make_url("postgresql://localhost/db")).dialect();
}
}  // namespace

TEST_CASE("named placeholders become question marks on SQLite and numbered on PostgreSQL") {
    const auto text = sa::text("SELECT * FROM t WHERE a = :a AND b = :b OR a = :a");
    CHECK(text.sql(sqlite()) == "SELECT * FROM t WHERE a = ? AND b = ? OR a = ?");
    CHECK(text.sql(postgresql()) == "SELECT * FROM t WHERE a = $1 AND b = $2 OR a = $3");
}

TEST_CASE("colons inside strings, identifiers, comments, casts and dollar quotes are not placeholders") {
    struct Case {
        const char* sql;
        const char* expected;
    };
    SECTION("what both backends lex alike") {
        const Case cases[] = {
            {"SELECT ':x', :y", "SELECT ':x', ?"},
            {"SELECT 'it''s :x', :y", "SELECT 'it''s :x', ?"},
            {"SELECT \":x\" FROM t WHERE a = :a", "SELECT \":x\" FROM t WHERE a = ?"},
            {"SELECT 1 -- :x\n, :y", "SELECT 1 -- :x\n, ?"},
            {"SELECT /* :x */ :y", "SELECT /* :x */ ?"},
            {"SELECT :v::text", "SELECT ?::text"},
            {"SELECT '12\\:30', 'a' || :y", "SELECT '12\\:30', 'a' || ?"},
            {"SELECT 10 \\:x", "SELECT 10 :x"},
            {"SELECT :a1_b, :_c", "SELECT ?, ?"},
            {"SELECT ':'", "SELECT ':'"},
        };
        for (const auto& c : cases) {
            INFO(c.sql);
            CHECK(sa::text(c.sql).sql(sqlite()) == c.expected);
        }
    }
    SECTION("PostgreSQL: nested comments, E'' strings with backslash escapes, dollar quotes") {
        const Case cases[] = {
            {"SELECT /* a /* :x */ :z */ :y", "SELECT /* a /* :x */ :z */ $1"},
            {"SELECT E'it\\'s :x', :y", "SELECT E'it\\'s :x', $1"},
            {"SELECT $$ :x $$, :y", "SELECT $$ :x $$, $1"},
            {"SELECT $tag$ :x $tag$, :y", "SELECT $tag$ :x $tag$, $1"},
        };
        for (const auto& c : cases) {
            INFO(c.sql);
            CHECK(sa::text(c.sql).sql(postgresql()) == c.expected);
        }
    }
    SECTION("SQLite: a comment ends at its first */, and it has no E'' strings or dollar quotes") {
        const Case cases[] = {
            {"SELECT * FROM t /* files: data/*.csv */ WHERE id = :id",
             "SELECT * FROM t /* files: data/*.csv */ WHERE id = ?"},
            {"SELECT /* a /* :x */ :z */ :y", "SELECT /* a /* :x */ ? */ ?"},
            {"SELECT E'a\\', :y", "SELECT E'a\\', ?"},
            {"SELECT $a$, :y, $b$", "SELECT $a$, ?, $b$"},
        };
        for (const auto& c : cases) {
            INFO(c.sql);
            CHECK(sa::text(c.sql).sql(sqlite()) == c.expected);
        }
    }
}

TEST_CASE("a placeholder without a bound value is an ArgumentError naming it") {
    auto conn = sa::create_engine("sqlite://").connect();
    REQUIRE_THROWS_MATCHES(conn.execute(sa::text("SELECT :missing")), sa::ArgumentError,
                           sa::test::MessageContains(":missing"));
}

TEST_CASE("a bound value without a placeholder is an ArgumentError naming it") {
    auto conn = sa::create_engine("sqlite://").connect();
    REQUIRE_THROWS_MATCHES(conn.execute(sa::text("SELECT 1").bind("extra", 5)), sa::ArgumentError,
                           sa::test::MessageContains("'extra'"));
}

TEST_CASE("binding the same name twice keeps the last value") {
    auto conn = sa::create_engine("sqlite://").connect();
    auto text = sa::text("SELECT :v").bind("v", 1).bind("v", 2).columns<int>();
    CHECK(conn.execute(text).scalar_one() == 2);
}
