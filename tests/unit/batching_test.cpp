// The batching rule (sql/rows_per_statement.hpp): how many rows of bound values one
// multi-row statement carries on each dialect. No database.
#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

namespace sa = alchemy;
using sa::detail::rows_per_statement;

namespace {

const sa::Dialect& sqlite() { return sa::driver_for(sa::make_url("sqlite://")).dialect(); }
const sa::Dialect& pg() { return sa::driver_for(sa::make_url("postgresql://h/db")).dialect(); }

}  // namespace

TEST_CASE("each dialect's parameter limit is its database's default") {
    CHECK(sqlite().parameter_limit() == 32766);
    CHECK(pg().parameter_limit() == 65535);
}

TEST_CASE("narrow rows fill a statement up to the row bound on both dialects") {
    CHECK(sa::detail::max_rows_per_statement == 1000);
    for (const auto* dialect : {&sqlite(), &pg()}) {
        CHECK(rows_per_statement(*dialect, 1) == 1000);
        CHECK(rows_per_statement(*dialect, 3) == 1000);
        CHECK(rows_per_statement(*dialect, 32) == 1000);
    }
}

TEST_CASE("wide rows fill a statement up to the dialect's parameter limit") {
    // SQLite: 32766 parameters; PostgreSQL: 65535.
    CHECK(rows_per_statement(sqlite(), 33) == 992);
    CHECK(rows_per_statement(pg(), 33) == 1000);
    CHECK(rows_per_statement(sqlite(), 69) == 474);
    CHECK(rows_per_statement(pg(), 69) == 949);
    CHECK(rows_per_statement(sqlite(), 2000) == 16);
    CHECK(rows_per_statement(pg(), 1600) == 40);
    for (const auto* dialect : {&sqlite(), &pg()})
        for (std::size_t width : {33, 69, 100, 1000, 2000})
            CHECK(rows_per_statement(*dialect, width) * width <= dialect->parameter_limit());
}

TEST_CASE("the rest of a statement's parameters leave less room for rows") {
    CHECK(rows_per_statement(sqlite(), 40) == 819);
    CHECK(rows_per_statement(sqlite(), 40, 766) == 800);
    CHECK(rows_per_statement(pg(), 100, 535) == 650);
    // Narrow rows stay at the row bound.
    CHECK(rows_per_statement(sqlite(), 3, 100) == 1000);
}

TEST_CASE("a statement always carries at least one row") {
    CHECK(rows_per_statement(sqlite(), 40000) == 1);
    CHECK(rows_per_statement(sqlite(), 10, 40000) == 1);
}

TEST_CASE("the rule is a constant expression for a known limit") {
    STATIC_REQUIRE(rows_per_statement(32766, 100) == 327);
    STATIC_REQUIRE(rows_per_statement(65535, 100) == 655);
}
