// PostgreSQL's binary COPY (sa::bulk_insert, Connection::copy_rows) encodes each value for
// its column's type, so that type must be the one the COPY meets: after ALTER TABLE on the
// same connection or in another session, under another search_path, for a table name that
// needs quoting, for a domain, for a role that may only INSERT. And it must store what a
// bound INSERT of the same value stores, timestamps included.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;

namespace copy_types {

struct Measure {
    std::int64_t id = 0;
    double value = 0;
};

struct Label {
    std::int64_t id = 0;
    std::string label{};
};

/// Its table's name needs quoting: mixed case, a space and a dot.
struct Oddly {
    std::int64_t id = 0;
    double value = 0;
};

struct Moment {
    std::int64_t id = 0;
    std::chrono::sys_time<std::chrono::microseconds> wall{};
    std::chrono::sys_time<std::chrono::microseconds> happened{};
};

}  // namespace copy_types

template <>
inline constexpr auto sa::mapping<copy_types::Measure> = sa::table("measures");
template <>
inline constexpr auto sa::mapping<copy_types::Label> = sa::table("labels");
template <>
inline constexpr auto sa::mapping<copy_types::Oddly> = sa::table("Odd Name.x");
template <>
inline constexpr auto sa::mapping<copy_types::Moment> = sa::table("moments");

using copy_types::Label;
using copy_types::Measure;
using copy_types::Moment;
using copy_types::Oddly;

namespace {

std::vector<sa::test::Backend> postgresql_backends() {
    auto all = backends();
    std::erase_if(all, [](const auto& b) { return !b.is_postgresql(); });
    return all;
}

double real_at(sa::Connection& conn, std::string_view sql) {
    return conn.execute_sql(sql).as<double>().scalar_one();
}

std::string text_at(sa::Connection& conn, std::string_view sql) {
    return conn.execute_sql(sql).as<std::string>().scalar_one();
}

std::int64_t int_at(sa::Connection& conn, std::string_view sql) {
    return conn.execute_sql(sql).as<std::int64_t>().scalar_one();
}

/// 0.1 as a float4 column stores it, read back as a double.
const double float4_tenth = static_cast<double>(0.1F);

}  // namespace

TEST_CASE("bulk_insert after ALTER COLUMN TYPE on the same connection encodes for the new type") {
    const bool committed = GENERATE(true, false);  // else the ALTER is earlier in the same transaction
    for (const auto& backend : postgresql_backends()) {
        auto engine = backend.engine();
        auto conn = engine.connect();
        conn.execute_script("CREATE TABLE measures (id BIGINT PRIMARY KEY, value REAL)");
        conn.commit();
        CHECK(sa::bulk_insert(conn, std::vector{Measure{1, 0.1}}) == 1);
        conn.commit();
        CHECK(real_at(conn, "SELECT value FROM measures WHERE id = 1") == float4_tenth);

        conn.execute_script("ALTER TABLE measures ALTER COLUMN value TYPE DOUBLE PRECISION");
        if (committed) conn.commit();
        CHECK(sa::bulk_insert(conn, std::vector{Measure{2, 0.1}}) == 1);
        conn.execute(sa::insert<Measure>().values(Measure{3, 0.1}));
        conn.commit();
        const auto copied = real_at(conn, "SELECT value FROM measures WHERE id = 2");
        CHECK(copied == real_at(conn, "SELECT value FROM measures WHERE id = 3"));
        CHECK(copied == 0.1);

        // A domain (over a domain) takes its base type's binary form, and COPY still
        // checks its constraint.
        conn.execute_script(
            "CREATE DOMAIN ratio AS DOUBLE PRECISION; "
            "CREATE DOMAIN positive_ratio AS ratio CHECK (VALUE > 0); "
            "ALTER TABLE measures ALTER COLUMN value TYPE positive_ratio");
        if (committed) conn.commit();
        CHECK(sa::bulk_insert(conn, std::vector{Measure{4, 0.1}}) == 1);
        conn.commit();
        CHECK(real_at(conn, "SELECT value FROM measures WHERE id = 4") == 0.1);
        CHECK_THROWS_AS(sa::bulk_insert(conn, std::vector{Measure{5, -1}}), sa::CheckViolation);
        conn.rollback();
        CHECK(int_at(conn, "SELECT count(*) FROM measures") == 4);
    }
}

TEST_CASE("bulk_insert of text into a column altered to integer is refused by type and changes nothing") {
    for (const auto& backend : postgresql_backends()) {
        auto engine = backend.engine();
        auto conn = engine.connect();
        conn.execute_script("CREATE TABLE labels (id BIGINT PRIMARY KEY, label TEXT)");
        conn.commit();
        CHECK(sa::bulk_insert(conn, std::vector{Label{1, "one"}}) == 1);
        conn.commit();
        conn.execute_script("ALTER TABLE labels ALTER COLUMN label TYPE INTEGER USING length(label)");
        conn.commit();

        REQUIRE_THROWS_MATCHES(sa::bulk_insert(conn, std::vector{Label{2, "two"}}), sa::ProgrammingError,
                               sa::test::MessageContains("column \"label\" has type int4"));
        conn.rollback();
        CHECK(int_at(conn, "SELECT count(*) FROM labels") == 1);
        CHECK(int_at(conn, "SELECT label FROM labels WHERE id = 1") == 3);
        // The connection loads integers into it next.
        const std::array<std::string_view, 2> columns{"id", "label"};
        CHECK(conn.copy_rows("labels", columns, std::array{sa::Param::of_int(2), sa::Param::of_int(7)}) == 1);
        conn.commit();
        CHECK(int_at(conn, "SELECT sum(label) FROM labels") == 10);
    }
}

TEST_CASE("bulk_insert in a REPEATABLE READ transaction encodes for a type another session changed") {
    for (const auto& backend : postgresql_backends()) {
        auto engine = backend.engine();
        auto conn = engine.connect();
        conn.execute_script("CREATE TABLE measures (id BIGINT PRIMARY KEY, value REAL)");
        conn.commit();
        CHECK(sa::bulk_insert(conn, std::vector{Measure{1, 0.1}}) == 1);
        conn.commit();

        auto transaction = conn.begin({.isolation_level = sa::IsolationLevel::repeatable_read});
        CHECK(int_at(conn, "SELECT 1") == 1);  // takes the transaction's snapshot
        {
            auto other = engine.connect();
            other.execute_script("ALTER TABLE measures ALTER COLUMN value TYPE DOUBLE PRECISION");
            other.commit();
        }
        // The snapshot still shows the old catalog rows; COPY meets the new type.
        CHECK(sa::bulk_insert(conn, std::vector{Measure{2, 0.1}}) == 1);
        transaction.commit();
        CHECK(real_at(conn, "SELECT value FROM measures WHERE id = 2") == 0.1);
    }
}

TEST_CASE("copy_rows finds the table as COPY does: a name that needs quoting, and the search_path") {
    for (const auto& backend : postgresql_backends()) {
        auto engine = backend.engine();
        auto conn = engine.connect();
        const auto schema = text_at(conn, "SELECT current_schema()");
        const auto other_schema = engine.dialect().quote_identifier(schema + "_other");
        // The same name folded to lower case, with another type: it must not be the one asked.
        conn.execute_script(
            "CREATE TABLE \"Odd Name.x\" (id BIGINT PRIMARY KEY, value DOUBLE PRECISION); "
            "CREATE TABLE \"odd name.x\" (id BIGINT PRIMARY KEY, value REAL); "
            "CREATE TABLE measures (id BIGINT PRIMARY KEY, value REAL); "
            "CREATE SCHEMA " +
            other_schema + "; CREATE TABLE " + other_schema +
            ".measures (id BIGINT PRIMARY KEY, value DOUBLE PRECISION)");
        conn.commit();

        CHECK(sa::bulk_insert(conn, std::vector{Oddly{1, 0.1}}) == 1);
        CHECK(sa::bulk_insert(conn, std::vector{Measure{1, 0.1}}) == 1);
        conn.commit();
        CHECK(real_at(conn, "SELECT value FROM \"Odd Name.x\"") == 0.1);
        CHECK(real_at(conn, "SELECT value FROM measures") == float4_tenth);

        // The same COPY text now names the other schema's table.
        conn.execute_script("SET search_path TO " + other_schema);
        conn.commit();
        CHECK(sa::bulk_insert(conn, std::vector{Measure{1, 0.1}}) == 1);
        conn.commit();
        CHECK(real_at(conn, "SELECT value FROM " + other_schema + ".measures") == 0.1);
    }
}

TEST_CASE("copy_rows fills GENERATED ALWAYS columns, names a missing column and refuses enums and arrays") {
    for (const auto& backend : postgresql_backends()) {
        auto engine = backend.engine();
        auto conn = engine.connect();
        conn.execute_script(
            "CREATE TYPE mood AS ENUM ('calm', 'cross'); "
            "CREATE TABLE people (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            "feeling mood, lucky INTEGER[])");
        conn.commit();
        const std::array<std::string_view, 1> ids{"id"};
        CHECK(conn.copy_rows("people", ids, std::array{sa::Param::of_int(40)}) == 1);
        conn.commit();
        CHECK(int_at(conn, "SELECT id FROM people") == 40);

        const std::array<std::string_view, 2> missing{"id", "nope"};
        REQUIRE_THROWS_MATCHES(
            conn.copy_rows("people", missing, std::array{sa::Param::of_int(41), sa::Param::of_int(1)}),
            sa::ProgrammingError,
            sa::test::MessageContains("column \"nope\" of relation \"people\" does not exist"));
        conn.rollback();
        const std::array<std::string_view, 2> feeling{"id", "feeling"};
        REQUIRE_THROWS_MATCHES(
            conn.copy_rows("people", feeling, std::array{sa::Param::of_int(42), sa::Param::of_text("calm")}),
            sa::ProgrammingError, sa::test::MessageContains("which copy_rows cannot load from text"));
        conn.rollback();
        const std::array<std::string_view, 2> lucky{"id", "lucky"};
        REQUIRE_THROWS_MATCHES(
            conn.copy_rows("people", lucky, std::array{sa::Param::of_int(43), sa::Param::of_text("{7}")}),
            sa::ProgrammingError, sa::test::MessageContains("which copy_rows cannot load from text"));
        conn.rollback();
        CHECK(int_at(conn, "SELECT count(*) FROM people") == 1);
    }
}

TEST_CASE("copy_rows under AUTOCOMMIT runs in one transaction with its type query, all or nothing") {
    for (const auto& backend : postgresql_backends()) {
        auto engine = backend.engine({.isolation_level = sa::IsolationLevel::autocommit});
        auto conn = engine.connect();
        // A row's default tells whether its COPY ran in a transaction begun before it:
        // the one that holds the type query's lock until the COPY.
        conn.execute_script(
            "CREATE TABLE stamps (id BIGINT PRIMARY KEY, "
            "begun_before BOOLEAN DEFAULT statement_timestamp() > transaction_timestamp())");
        const std::array<std::string_view, 1> ids{"id"};
        CHECK(conn.copy_rows("stamps", ids, std::array{sa::Param::of_int(1), sa::Param::of_int(2)}) == 2);
        CHECK(int_at(conn, "SELECT count(*) FROM stamps WHERE begun_before") == 2);
        const auto no_transaction_open = [&] {
            // A transaction left open would still hold its lock on the table.
            return int_at(conn,
                          "SELECT count(*) FROM pg_locks "
                          "WHERE pid = pg_backend_pid() AND relation = 'stamps'::regclass") == 0;
        };
        CHECK(no_transaction_open());
        {
            auto other = engine.connect();
            CHECK(int_at(other, "SELECT count(*) FROM stamps") == 2);  // committed
        }

        // A failure in the COPY (row 2 repeats a key) or before it (a missing column)
        // leaves nothing behind and no transaction open.
        REQUIRE_THROWS_AS(
            conn.copy_rows("stamps", ids, std::array{sa::Param::of_int(3), sa::Param::of_int(1)}),
            sa::IntegrityError);
        CHECK(no_transaction_open());
        const std::array<std::string_view, 2> missing{"id", "nope"};
        REQUIRE_THROWS_AS(
            conn.copy_rows("stamps", missing, std::array{sa::Param::of_int(4), sa::Param::of_int(1)}),
            sa::ProgrammingError);
        CHECK(no_transaction_open());
        CHECK(int_at(conn, "SELECT count(*) FROM stamps") == 2);
    }
}

TEST_CASE("a role that may only INSERT loads by bulk_insert, and its transaction stays usable") {
    for (const auto& backend : postgresql_backends()) {
        auto engine = backend.engine();
        auto owner = engine.connect();
        const auto& dialect = engine.dialect();
        const auto schema = text_at(owner, "SELECT current_schema()");
        const auto role = dialect.quote_identifier(schema + "_loader");
        owner.execute_script(
            "CREATE TABLE measures (id BIGINT PRIMARY KEY, value DOUBLE PRECISION); "
            "CREATE ROLE " +
            role + " LOGIN; GRANT USAGE ON SCHEMA " + dialect.quote_identifier(schema) + " TO " + role +
            "; GRANT INSERT ON measures TO " + role);
        owner.commit();
        {
            auto url = sa::make_url(backend.url);
            url.username = schema + "_loader";
            auto loader = sa::create_engine(url.render_with_password());
            auto conn = loader.connect();
            auto transaction = conn.begin();
            conn.execute(sa::insert<Measure>().values(Measure{1, 0.5}));
            CHECK(sa::bulk_insert(conn, std::vector{Measure{2, 0.1}, Measure{3, 0.25}}) == 2);
            conn.execute(sa::insert<Measure>().values(Measure{4, 1}));
            transaction.commit();
            // What the role may not do: read the table.
            CHECK_THROWS_AS(conn.execute_sql("SELECT count(*) FROM measures"), sa::ProgrammingError);
            conn.rollback();
        }
        CHECK(int_at(owner, "SELECT count(*) FROM measures") == 4);
        CHECK(real_at(owner, "SELECT value FROM measures WHERE id = 2") == 0.1);
        owner.commit();
        owner.execute_script("DROP OWNED BY " + role + "; DROP ROLE " + role);
        owner.commit();
    }
}

TEST_CASE("bulk_insert stores timestamps as a bound INSERT does, or refuses when the zone would differ") {
    using namespace std::chrono;
    for (const auto& backend : postgresql_backends()) {
        auto engine = backend.engine();
        auto conn = engine.connect();
        conn.execute_script(
            "CREATE TABLE moments (id BIGINT PRIMARY KEY, wall TIMESTAMP, happened TIMESTAMPTZ)");
        conn.commit();
        const sys_time<microseconds> instant{microseconds(1'700'000'000'123'456)};
        const auto same_in_rows = [&](std::string_view column, int copied, int bound) {
            const auto read = [&](int id) {
                return text_at(conn, fmt::format("SELECT {}::text FROM moments WHERE id = {}", column, id));
            };
            INFO(column << " of rows " << copied << " and " << bound);
            CHECK(read(copied) == read(bound));
        };

        // The session's zone is UTC from connect: COPY and INSERT store the same.
        CHECK(sa::bulk_insert(conn, std::vector{Moment{1, instant, instant}}) == 1);
        conn.execute(sa::insert<Moment>().values(Moment{2, instant, instant}));
        conn.commit();
        same_in_rows("wall", 1, 2);
        same_in_rows("happened", 1, 2);

        // In another zone a bound INSERT would store a `timestamp` as that zone's wall-clock
        // time, and a date as a timestamptz at that zone's midnight: binding a timestamp is
        // refused there, and COPY refuses what would differ.
        conn.execute_script("SET TIME ZONE 'America/New_York'");
        conn.commit();
        REQUIRE_THROWS_MATCHES(conn.execute(sa::insert<Moment>().values(Moment{3, instant, instant})),
                               sa::ProgrammingError, sa::test::MessageContains("America/New_York"));
        conn.rollback();
        REQUIRE_THROWS_MATCHES(sa::bulk_insert(conn, std::vector{Moment{4, instant, instant}}),
                               sa::ProgrammingError, sa::test::MessageContains("America/New_York"));
        conn.rollback();
        const std::array<std::string_view, 2> columns{"id", "happened"};
        REQUIRE_THROWS_MATCHES(
            conn.copy_rows("moments", columns, std::array{sa::Param::of_int(5), sa::Param::of_date(19'000)}),
            sa::ProgrammingError, sa::test::MessageContains("America/New_York"));
        conn.rollback();

        // An instant into a timestamptz column is the same in any zone.
        CHECK(conn.copy_rows("moments", columns,
                             std::array{sa::Param::of_int(6),
                                        sa::Param::of_timestamp(instant.time_since_epoch().count())}) == 1);
        conn.commit();
        conn.execute_script("SET TIME ZONE 'UTC'");
        conn.execute_sql(
            "INSERT INTO moments (id, happened) VALUES ($1, $2)",
            std::array{sa::Param::of_int(7), sa::Param::of_timestamp(instant.time_since_epoch().count())});
        conn.commit();
        same_in_rows("happened", 6, 7);
        CHECK(int_at(conn, "SELECT count(*) FROM moments") == 4);
    }
}

TEST_CASE("bulk_insert stores a double in numeric and real columns as a bound INSERT does") {
    for (const auto& backend : postgresql_backends()) {
        auto engine = backend.engine();
        auto conn = engine.connect();
        conn.execute_script("CREATE TABLE measures (id BIGINT PRIMARY KEY, value NUMERIC)");
        conn.commit();
        // The server casts a bound double to numeric with 15 significant digits.
        const double sum = 0.1 + 0.2;
        CHECK(sa::bulk_insert(conn, std::vector{Measure{1, sum}, Measure{2, 1.0 / 3}}) == 2);
        conn.execute(sa::insert<Measure>().values(Measure{3, sum}));
        conn.execute(sa::insert<Measure>().values(Measure{4, 1.0 / 3}));
        conn.commit();
        CHECK(text_at(conn, "SELECT value::text FROM measures WHERE id = 1") ==
              text_at(conn, "SELECT value::text FROM measures WHERE id = 3"));
        CHECK(text_at(conn, "SELECT value::text FROM measures WHERE id = 2") ==
              text_at(conn, "SELECT value::text FROM measures WHERE id = 4"));
        CHECK(text_at(conn, "SELECT value::text FROM measures WHERE id = 1") == "0.3");

        // A double that float4 cannot hold but as zero is refused, as the server's cast does.
        conn.execute_script("ALTER TABLE measures ALTER COLUMN value TYPE REAL");
        conn.commit();
        CHECK_THROWS_AS(conn.execute(sa::insert<Measure>().values(Measure{5, 1e-50})), sa::DatabaseError);
        conn.rollback();
        REQUIRE_THROWS_MATCHES(sa::bulk_insert(conn, std::vector{Measure{6, 1e-50}}), sa::DataError,
                               sa::test::MessageContains("out of range"));
        conn.rollback();
        CHECK(int_at(conn, "SELECT count(*) FROM measures") == 4);
    }
}

TEST_CASE("bulk_insert of timestamps works under any name the server gives UTC") {
    using namespace std::chrono;
    for (const auto& backend : postgresql_backends()) {
        auto engine = backend.engine();
        auto conn = engine.connect();
        conn.execute_script(
            "CREATE TABLE moments (id BIGINT PRIMARY KEY, wall TIMESTAMP, happened TIMESTAMPTZ)");
        conn.commit();
        const sys_time<microseconds> instant{microseconds(1'700'000'000'123'456)};
        conn.execute_script("SET TIME ZONE 'Etc/UTC'");
        conn.commit();
        CHECK(sa::bulk_insert(conn, std::vector{Moment{1, instant, instant}}) == 1);
        conn.commit();
        CHECK(text_at(conn, "SELECT wall::text FROM moments WHERE id = 1") == "2023-11-14 22:13:20.123456");
    }
}
