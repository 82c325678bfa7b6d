// The PostgreSQL driver on its own, below Engine and Pool: binary parameters and
// results, the prepared-statement cache, error mapping and lost connections.
// Needs ALCHEMY_TEST_POSTGRES_URL; the cases that only need libpq run without it.
#include "support/backends.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace sa = alchemy;
using Catch::Matchers::Contains;

namespace {

/// The test server's URL, as sa::test::postgres_url() gives it.
std::optional<sa::URL> server_url() {
    if (auto text = sa::test::postgres_url()) return sa::make_url(*text);
    return std::nullopt;
}

/// Prepares every statement at its first run unless `options` say otherwise, so that the
/// cases below see the server-side statements at once.
std::unique_ptr<sa::DriverConnection> connect(const sa::URL& url, sa::ConnectOptions options = {
                                                                      .args = {}, .prepare_threshold = 0}) {
    return sa::driver_for(url).connect(url, options);
}

sa::Cursor& run(sa::DriverConnection& conn, std::string_view sql, std::vector<sa::Param> params = {}) {
    return conn.execute(sql, params);
}

/// The single value of a one-row, one-column query, read by `read`.
template <class Read>
auto scalar(sa::DriverConnection& conn, std::string_view sql, std::vector<sa::Param> params, Read read) {
    auto& cursor = conn.execute(sql, params);
    REQUIRE(cursor.next());
    auto value = read(cursor);
    cursor.close();
    return value;
}

std::int64_t int_of(sa::DriverConnection& conn, std::string_view sql, std::vector<sa::Param> params = {}) {
    return scalar(conn, sql, std::move(params), [](sa::Cursor& c) { return c.read_int(0); });
}

std::string text_of(sa::DriverConnection& conn, std::string_view sql, std::vector<sa::Param> params = {}) {
    return scalar(conn, sql, std::move(params), [](sa::Cursor& c) { return std::string(c.read_text(0)); });
}

std::vector<std::byte> bytes(std::initializer_list<unsigned char> values) {
    std::vector<std::byte> out;
    for (auto v : values) out.push_back(std::byte{v});
    return out;
}

template <class Expected>
Expected expect_error(sa::DriverConnection& conn, std::string_view sql, std::vector<sa::Param> params = {}) {
    try {
        conn.execute(sql, params);
    } catch (const Expected& e) {
        return e;
    } catch (const std::exception& e) {
        FAIL("expected another exception class, got: " << e.what());
    }
    FAIL("no exception for: " << sql);
    throw std::logic_error("unreachable");
}

constexpr std::int64_t micros_per_day = 86'400'000'000;

}  // namespace

TEST_CASE("the postgresql dialect numbers placeholders and puts the isolation level in BEGIN",
          "[postgresql]") {
    for (const char* name : {"postgresql", "postgres", "postgresql+psycopg2"}) {
        sa::URL url;
        url.drivername = name;
        const auto& dialect = sa::driver_for(url).dialect();
        CHECK(dialect.name() == "postgresql");
    }
    sa::URL url;
    url.drivername = "postgresql";
    const auto& dialect = sa::driver_for(url).dialect();
    std::string sql = "a = ";
    dialect.append_placeholder(sql, 1);
    sql += " AND b = ";
    dialect.append_placeholder(sql, 12);
    CHECK(sql == "a = $1 AND b = $12");
    // The level travels in BEGIN: no session state for a pooler to hand to another client.
    CHECK(dialect.begin_sql(std::nullopt) == "BEGIN");
    CHECK(dialect.begin_sql(sa::IsolationLevel::serializable) == "BEGIN ISOLATION LEVEL SERIALIZABLE");
    CHECK(dialect.begin_sql(sa::IsolationLevel::read_uncommitted) ==
          "BEGIN ISOLATION LEVEL READ UNCOMMITTED");
    CHECK(dialect.connection_isolation_sql(sa::IsolationLevel::serializable).empty());
    CHECK_THROWS_AS(dialect.begin_sql(sa::IsolationLevel::autocommit), sa::ArgumentError);
}

TEST_CASE("a refused postgresql connection raises OperationalError without the password", "[postgresql]") {
    const std::string password = "s3cret-Pa55word";
    // Port 1 (tcpmux) is privileged and unused, so nothing listens there.
    auto url = sa::make_url("postgresql://someone:" + password + "@127.0.0.1:1/db");
    try {
        connect(url, {.args = {{"connect_timeout", "5"}}});
        FAIL("connecting to a closed port succeeded");
    } catch (const sa::OperationalError& e) {
        CHECK(e.sqlstate() == "08001");
        CHECK(e.connection_invalidated());
        CHECK_THAT(e.what(), Contains("127.0.0.1"));
        CHECK_THAT(e.what(), !Contains(password));
        CHECK_THAT(e.message(), !Contains(password));
    }
}

TEST_CASE("a multi-host URL tries its hosts in order, each with its own port", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    const auto server_port = [](const std::string& text) {
        auto engine = sa::create_engine(text);
        auto conn = engine.connect();
        return conn.execute(sa::text("SELECT inet_server_port()").columns<std::int64_t>()).scalar_one();
    };
    // SQLAlchemy's spelling: the first host refuses (port 1), libpq goes on to the second.
    CHECK(server_port(fmt::format("postgresql://{}@/{}?host=127.0.0.1:1&host=127.0.0.1:{}&connect_timeout=5",
                                  url->username, url->database, *url->port)) == *url->port);
    // A host without a port takes the URL's port.
    CHECK(server_port(fmt::format("postgresql://{}@127.0.0.1:{}/{}?host=127.0.0.9:1&host=127.0.0.1",
                                  url->username, *url->port, url->database)) == *url->port);
    CHECK_THROWS_AS(server_port("postgresql://u@/db?host=a:5432&host=b:x"), sa::ArgumentError);
}

TEST_CASE("an unknown postgresql connection option is rejected by name", "[postgresql]") {
    auto url = sa::make_url("postgresql://someone@127.0.0.1:1/db");
    CHECK_THROWS_WITH(connect(url, {.args = {{"sslmod", "require"}}}), Contains("'sslmod'"));
    CHECK_THROWS_AS(connect(url, {.args = {{"sslmod", "require"}}}), sa::ArgumentError);
}

TEST_CASE("every parameter type round-trips through postgresql columns", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    conn->execute_script(
        "DROP TABLE IF EXISTS pgdrv_values;"
        "CREATE TABLE pgdrv_values (id int4 PRIMARY KEY, b bool, i int8, r float8, t text, "
        "blob bytea, ts timestamptz, local_ts timestamp, d date)");
    const std::string insert =
        "INSERT INTO pgdrv_values (id, b, i, r, t, blob, ts, local_ts, d) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    const std::string select = "SELECT b, i, r, t, blob, ts, local_ts, d FROM pgdrv_values WHERE id = $1";

    struct Row {
        bool b;
        std::int64_t i;
        double r;
        std::string t;
        std::vector<std::byte> blob;
        std::int64_t ts;
        std::int64_t d;
    };
    const std::vector<Row> rows = {
        {true, std::numeric_limits<std::int64_t>::max(), 0.1, "plain", bytes({1, 2, 3}), 0, 0},
        {false, std::numeric_limits<std::int64_t>::min(), -1e300, "", bytes({}), -1'000'000'000'000'001,
         -25'000},  // 1938, with µs
        {true, 0, 5e-324, "Grüße, 世界 🌍", bytes({0, 0, 255, 0}), 4'102'444'800'123'456,
         51'000},  // 2100, with µs
        {false, -1, std::numeric_limits<double>::infinity(), "it's \"quoted\"\n", bytes({0}),
         -62'135'596'800'000'000, -719'162},  // 0001-01-01
    };
    for (std::size_t n = 0; n < rows.size(); ++n) {
        const auto& row = rows[n];
        std::vector<sa::Param> params = {sa::Param::of_int(static_cast<std::int64_t>(n)),
                                         sa::Param::of_bool(row.b),
                                         sa::Param::of_int(row.i),
                                         sa::Param::of_real(row.r),
                                         sa::Param::of_text(row.t),
                                         sa::Param::of_blob(row.blob),
                                         sa::Param::of_timestamp(row.ts),
                                         sa::Param::of_timestamp(row.ts),
                                         sa::Param::of_date(row.d)};
        CHECK(conn->execute(insert, params).rows_affected() == 1);
    }
    for (std::size_t n = 0; n < rows.size(); ++n) {
        const auto& row = rows[n];
        auto& c = run(*conn, select, {sa::Param::of_int(static_cast<std::int64_t>(n))});
        REQUIRE(c.next());
        CHECK(c.read_bool(0) == row.b);
        CHECK(c.read_int(1) == row.i);
        CHECK(c.read_real(2) == row.r);
        CHECK(c.read_text(3) == row.t);
        const auto blob = c.read_blob(4);
        CHECK(std::vector<std::byte>(blob.begin(), blob.end()) == row.blob);
        CHECK(c.read_timestamp(5) == row.ts);
        CHECK(c.read_timestamp(6) == row.ts);
        CHECK(c.read_date(7) == row.d);
        CHECK_FALSE(c.next());
        c.close();
    }
}

TEST_CASE("NULL parameters are stored as NULL and read back as NULL", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    conn->execute_script(
        "DROP TABLE IF EXISTS pgdrv_nulls;"
        "CREATE TABLE pgdrv_nulls (id int4 PRIMARY KEY, i int8, t text, blob bytea)");
    run(*conn, "INSERT INTO pgdrv_nulls VALUES ($1, $2, $3, $4)",
        {sa::Param::of_int(1), sa::Param::null(), sa::Param::null(), sa::Param::null()});
    auto& c = run(*conn, "SELECT i, t, blob, $1::int8 FROM pgdrv_nulls", {sa::Param::null()});
    REQUIRE(c.next());
    for (int column = 0; column < 4; ++column) CHECK(c.is_null(column));
    CHECK_THROWS_AS(c.read_int(0), sa::DataError);
    CHECK_THROWS_WITH(c.read_text(1), Contains("\"t\"") && Contains("NULL"));
    c.close();
}

TEST_CASE("an empty blob is not NULL and text parameters fill columns of any type", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    conn->execute_script(
        "DROP TABLE IF EXISTS pgdrv_inferred;"
        "CREATE TABLE pgdrv_inferred (n int4, u uuid, j jsonb, blob bytea)");
    const std::vector<std::byte> empty;
    run(*conn, "INSERT INTO pgdrv_inferred VALUES ($1, $2, $3, $4)",
        {sa::Param::of_text("42"), sa::Param::of_text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
         sa::Param::of_text(R"({"k": [1, 2]})"), sa::Param::of_blob(empty)});
    auto& c = run(*conn, "SELECT n, u, j, blob FROM pgdrv_inferred");
    REQUIRE(c.next());
    CHECK(c.read_int(0) == 42);
    CHECK(c.read_text(1) == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    CHECK(c.read_blob(1).size() == 16);
    CHECK(c.read_text(2) == R"({"k": [1, 2]})");
    CHECK_FALSE(c.is_null(3));
    CHECK(c.read_blob(3).empty());
    c.close();
}

TEST_CASE("a text parameter with a NUL byte is refused rather than cut short", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    using namespace std::string_view_literals;
    auto e = expect_error<sa::DataError>(*conn, "SELECT $1::text", {sa::Param::of_text("ab\0cd"sv)});
    CHECK_THAT(e.what(), Contains("$1"));
    CHECK(int_of(*conn, "SELECT 7") == 7);  // the connection is still usable
}

TEST_CASE("timestamps keep their instant when the server's default time zone is not UTC", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url, {.args = {{"options", "-c TimeZone=Asia/Tokyo"}}});
    const std::int64_t instant = 1'700'000'000'123'456;  // 2023-11-14T22:13:20.123456Z
    CHECK(scalar(*conn, "SELECT $1::timestamp", {sa::Param::of_timestamp(instant)},
                 [](sa::Cursor& c) { return c.read_timestamp(0); }) == instant);
    CHECK(text_of(*conn, "SELECT $1::timestamptz", {sa::Param::of_timestamp(instant)}) ==
          "2023-11-14 22:13:20.123456+00");
}

TEST_CASE("integer, numeric and aggregate columns read as integers and reals", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    auto& c = run(*conn,
                  "SELECT 7::int2, -8::int4, 12345678901234567::numeric, -120000.000::numeric,"
                  " (SELECT sum(x) FROM (VALUES (9223372036854775807::int8), (1)) v(x)),"
                  " (SELECT avg(x) FROM (VALUES (2::int8), (3)) v(x)),"
                  " (SELECT count(*) FROM (VALUES (1), (2), (3)) v(x)),"
                  " (-9223372036854775808)::numeric, 0.000120::numeric, 'NaN'::numeric,"
                  " 26::oid, 2.0::float8, 2.5::float4");
    REQUIRE(c.next());
    CHECK(c.read_int(0) == 7);
    CHECK(c.read_int(1) == -8);
    CHECK(c.read_int(2) == 12'345'678'901'234'567);
    CHECK(c.read_int(3) == -120'000);
    CHECK(c.read_text(3) == "-120000.000");
    // sum(bigint) is numeric and this one overflows int64: readable as real and text only.
    CHECK_THROWS_AS(c.read_int(4), sa::DataError);
    CHECK(c.read_real(4) == 9223372036854775808.0);
    CHECK(c.read_text(4) == "9223372036854775808");
    CHECK(c.read_real(5) == 2.5);
    CHECK(c.read_text(5) == "2.5000000000000000");
    CHECK_THROWS_WITH(c.read_int(5), Contains("2.5000000000000000") && Contains("numeric"));
    CHECK(c.read_int(6) == 3);
    CHECK(c.read_int(7) == std::numeric_limits<std::int64_t>::min());
    CHECK(c.read_text(8) == "0.000120");
    CHECK(c.read_real(8) == 0.00012);
    CHECK(std::isnan(c.read_real(9)));
    CHECK(c.read_text(9) == "NaN");
    CHECK(c.read_int(10) == 26);
    CHECK(c.read_int(11) == 2);
    CHECK(c.read_real(12) == 2.5);
    CHECK_THROWS_AS(c.read_int(12), sa::DataError);
    c.close();
}

TEST_CASE("any column reads as text the way postgresql prints it", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    CHECK(text_of(*conn, "SELECT 1") == "1");
    {
        auto& numbers = run(*conn, "SELECT 1, 0.1::float4, -2::int8");
        REQUIRE(numbers.next());
        // Each rendered view stays valid until next(), not just until the next read.
        const auto first = numbers.read_text(0);
        const auto second = numbers.read_text(1);
        const auto third = numbers.read_text(2);
        CHECK(first == "1");
        CHECK(second == "0.1");
        CHECK(third == "-2");
        numbers.close();
    }
    auto& c = run(*conn,
                  "SELECT true, 1.5::float8, 'Infinity'::float8, '1999-12-31'::date,"
                  " '0044-03-15 BC'::date, '2000-01-01 00:00:00.5'::timestamp,"
                  " '1969-07-20 20:17:40'::timestamptz, '12:00:00.25'::time,"
                  " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{\"a\": 1}'::jsonb,"
                  " 'pad'::char(5), 'infinity'::timestamp");
    REQUIRE(c.next());
    CHECK(c.read_text(0) == "true");
    CHECK(c.read_text(1) == "1.5");
    CHECK(c.read_text(2) == "Infinity");
    CHECK(c.read_text(3) == "1999-12-31");
    CHECK(c.read_text(4) == "0044-03-15 BC");
    CHECK(c.read_text(5) == "2000-01-01 00:00:00.5");
    CHECK(c.read_text(6) == "1969-07-20 20:17:40+00");
    CHECK(c.read_text(7) == "12:00:00.25");
    CHECK(c.read_text(8) == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    CHECK(c.read_text(9) == R"({"a": 1})");
    CHECK(c.read_text(10) == "pad  ");
    CHECK(c.read_text(11) == "infinity");
    c.close();
}

TEST_CASE("the server's first and last timestamps read as text, and as time points they are too far",
          "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    // Found by tests/fuzz/pg_decode_fuzz.cpp: 294276 AD lies within 2^63 microseconds of
    // 2000 but not of 1970, so the text once overflowed on the way.
    auto& c = run(*conn,
                  "SELECT '294276-12-31 23:59:59.999999'::timestamp,"
                  " '294276-12-31 23:59:59.999999+00'::timestamptz, '4714-11-24 00:00:00 BC'::timestamp");
    REQUIRE(c.next());
    CHECK(c.read_text(0) == "294276-12-31 23:59:59.999999");
    CHECK(c.read_text(1) == "294276-12-31 23:59:59.999999+00");
    CHECK(c.read_text(2) == "4714-11-24 00:00:00 BC");
    CHECK_THROWS_AS(c.read_timestamp(0), sa::DataError);
    c.close();
}

TEST_CASE("date and timestamp columns convert into each other", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    auto& c = run(*conn,
                  "SELECT '1969-12-31 23:00'::timestamp, '1970-01-02'::date, "
                  "'infinity'::timestamptz, '-infinity'::date");
    REQUIRE(c.next());
    CHECK(c.read_date(0) == -1);
    CHECK(c.read_timestamp(0) == -3'600'000'000);
    CHECK(c.read_timestamp(1) == micros_per_day);
    CHECK_THROWS_WITH(c.read_timestamp(2), Contains("infinity"));
    CHECK_THROWS_AS(c.read_date(3), sa::DataError);
    c.close();
}

TEST_CASE("reading a column as an unrelated type raises DataError naming the column", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    auto& c = run(*conn, "SELECT '\\x01'::bytea AS payload, 'abc' AS word, now() AS moment");
    REQUIRE(c.next());
    CHECK(c.column_name(0) == "payload");
    CHECK_THROWS_WITH(c.read_int(0), Contains("\"payload\"") && Contains("bytea"));
    CHECK_THROWS_AS(c.read_timestamp(0), sa::DataError);
    CHECK_THROWS_WITH(c.read_int(1), Contains("'abc'"));
    CHECK_THROWS_AS(c.read_real(1), sa::DataError);
    CHECK_THROWS_AS(c.read_blob(2), sa::DataError);
    CHECK_THROWS_AS(c.read_int(3), sa::ArgumentError);
    c.close();
}

TEST_CASE("rows_affected counts changed rows and is zero for queries", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    conn->execute_script(
        "DROP TABLE IF EXISTS pgdrv_counts; CREATE TABLE pgdrv_counts (n int4);"
        "INSERT INTO pgdrv_counts SELECT generate_series(1, 5)");
    CHECK(run(*conn, "UPDATE pgdrv_counts SET n = n + 1 WHERE n > $1", {sa::Param::of_int(2)})
              .rows_affected() == 3);
    CHECK(run(*conn, "DELETE FROM pgdrv_counts WHERE n = 6").rows_affected() == 1);
    auto& returning = run(*conn, "INSERT INTO pgdrv_counts VALUES (10), (11) RETURNING n");
    CHECK(returning.rows_affected() == 2);
    REQUIRE(returning.next());
    CHECK(returning.read_int(0) == 10);
    returning.close();
    auto& query = run(*conn, "SELECT n FROM pgdrv_counts");
    CHECK(query.rows_affected() == 0);
    query.close();
}

TEST_CASE("a repeated statement is prepared once per connection", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    const auto before = conn->cached_statement_count();
    for (int i = 0; i < 5; ++i) CHECK(int_of(*conn, "SELECT $1::int8 + 1", {sa::Param::of_int(i)}) == i + 1);
    CHECK(conn->cached_statement_count() == before + 1);
    // The count query is prepared before it runs, so it sees itself.
    const auto on_server = int_of(*conn, "SELECT count(*) FROM pg_prepared_statements");
    CHECK(on_server == static_cast<std::int64_t>(conn->cached_statement_count()));
    CHECK(on_server == static_cast<std::int64_t>(before + 2));

    SECTION("a NULL in place of a value reuses the statement") {
        CHECK(scalar(*conn, "SELECT $1::int8 + 1", {sa::Param::null()},
                     [](sa::Cursor& c) { return c.is_null(0); }));
        CHECK(conn->cached_statement_count() == before + 2);
        CHECK(int_of(*conn, "SELECT $1::int8 + 1", {sa::Param::of_int(9)}) == 10);
    }
    SECTION("a parameter of another type prepares the statement again") {
        conn->execute_script("DROP TABLE IF EXISTS pgdrv_kinds; CREATE TABLE pgdrv_kinds (v text)");
        const std::string insert = "INSERT INTO pgdrv_kinds VALUES ($1)";
        run(*conn, insert, {sa::Param::null()});
        run(*conn, insert, {sa::Param::of_int(5)});
        run(*conn, insert, {sa::Param::of_text("five")});
        run(*conn, insert, {sa::Param::null()});
        CHECK(text_of(*conn, "SELECT string_agg(coalesce(v, '-'), ',') FROM pgdrv_kinds") == "-,5,five,-");
    }
}

TEST_CASE("integers bind as int4 when they fit, like literals, and int8 otherwise", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    for (bool prepared : {true, false}) {
        auto conn =
            connect(*url, {.args = {}, .prepare_threshold = prepared ? std::optional<int>(0) : std::nullopt});
        // substr and pg_terminate_backend have int4 parameters only, no bigint overloads.
        CHECK(text_of(*conn, "SELECT substr('abcdef', $1, $2)",
                      {sa::Param::of_int(2), sa::Param::of_int(3)}) == "bcd");
        conn->execute_script("DROP TABLE IF EXISTS pgdrv_widths; CREATE TABLE pgdrv_widths (v int8)");
        const std::string insert = "INSERT INTO pgdrv_widths VALUES ($1)";
        const std::vector<std::int64_t> values = {5, 1'000'000'000'000, -7,
                                                  std::numeric_limits<std::int64_t>::min(), 0};
        for (auto v : values) run(*conn, insert, {sa::Param::of_int(v)});
        CHECK(int_of(*conn, "SELECT sum(v / 1000) FROM pgdrv_widths WHERE v > $1",
                     {sa::Param::of_int(-10)}) == 1'000'000'000);
        auto& c = run(*conn, "SELECT $1, $2", {sa::Param::of_int(1), sa::Param::of_int(1LL << 40)});
        REQUIRE(c.next());
        CHECK(c.read_int(0) == 1);
        CHECK(c.read_int(1) == 1LL << 40);
        c.close();
        // The insert was prepared for int4, then again for int8, which serves both.
        if (prepared) CHECK(conn->cached_statement_count() == 4);
    }
}

TEST_CASE("the statement cache is bounded and evicts the least recently used statement", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    const std::string keep = "SELECT 'kept'";
    for (int i = 0; i < 300; ++i) {
        CHECK(int_of(*conn, "SELECT " + std::to_string(i)) == i);
        if (i % 50 == 0) CHECK(text_of(*conn, keep) == "kept");
    }
    CHECK(conn->cached_statement_count() == 256);
    // Evicted statements are deallocated on the server, not only forgotten.
    CHECK(int_of(*conn, "SELECT count(*) FROM pg_prepared_statements") <= 257);
    CHECK(int_of(*conn, "SELECT 0") == 0);
}

TEST_CASE("a statement is prepared on the server only after it ran prepare_threshold times", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url, {.args = {}, .prepare_threshold = 3});
    const std::string prepared = "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%2 * 7%'";
    const std::string query = "SELECT $1::int8 + 2 * 7";
    for (int i = 0; i < 3; ++i) CHECK(int_of(*conn, query, {sa::Param::of_int(i)}) == i + 14);
    CHECK(conn->cached_statement_count() == 0);
    CHECK(int_of(*conn, prepared) == 0);
    CHECK(int_of(*conn, query, {sa::Param::of_int(10)}) == 24);  // the 4th run prepares it
    CHECK(conn->cached_statement_count() == 1);
    CHECK(int_of(*conn, prepared) == 1);

    // A batch counts each of its rows: 5 rows of a new statement pass the threshold of 3,
    // 2 rows of another do not.
    conn->execute_script("DROP TABLE IF EXISTS pgdrv_threshold; CREATE TABLE pgdrv_threshold (v int8)");
    const auto batch = [&](const std::string& sql, int rows) {
        std::vector<sa::Param> params;
        for (int i = 0; i < rows; ++i) params.push_back(sa::Param::of_int(i));
        std::vector<std::int64_t> affected(static_cast<std::size_t>(rows));
        conn->execute_batch(sql, params, 1, affected);
    };
    batch("INSERT INTO pgdrv_threshold VALUES ($1)", 5);
    CHECK(conn->cached_statement_count() == 2);
    batch("INSERT INTO pgdrv_threshold (v) VALUES ($1 + 100)", 2);
    CHECK(conn->cached_statement_count() == 2);
    CHECK(int_of(*conn, "SELECT sum(v) FROM pgdrv_threshold") == 10 + 201);
}

TEST_CASE("prepare_threshold must not be negative", "[postgresql]") {
    CHECK_THROWS_AS(sa::create_engine("postgresql://u@127.0.0.1:1/db", {.prepare_threshold = -1}),
                    sa::ArgumentError);
}

TEST_CASE("without server-side prepared statements nothing is prepared by name", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url, {.args = {}, .prepare_threshold = std::nullopt});
    for (int i = 0; i < 3; ++i) CHECK(int_of(*conn, "SELECT $1::int8 * 2", {sa::Param::of_int(i)}) == 2 * i);
    CHECK(conn->cached_statement_count() == 0);
    CHECK(int_of(*conn, "SELECT count(*) FROM pg_prepared_statements") == 0);
}

TEST_CASE("statement names are unique across connections so a pooler cannot mix them up", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto first = connect(*url);
    auto second = connect(*url);
    const std::string names = "SELECT string_agg(name, ',') FROM pg_prepared_statements";
    const auto of_first = text_of(*first, names);
    const auto of_second = text_of(*second, names);
    // A random prefix per connection: two clients of one server session (behind
    // PgBouncer) never run each other's statements under a shared name.
    const std::regex form("alchemy_[0-9a-f]{16}_1");
    CHECK(std::regex_match(of_first, form));
    CHECK(std::regex_match(of_second, form));
    CHECK(of_first != of_second);
}

TEST_CASE("a connection whose statements vanished from the server goes on with unnamed ones",
          "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    const std::string query = "SELECT $1::int8 + 1";
    CHECK(int_of(*conn, query, {sa::Param::of_int(1)}) == 2);
    REQUIRE(conn->cached_statement_count() == 1);
    // What a pooler in transaction mode amounts to: the server session at hand lacks the
    // statements this connection prepared.
    conn->execute_script("DEALLOCATE ALL");

    SECTION("outside a transaction the statement runs again at once") {
        CHECK(int_of(*conn, query, {sa::Param::of_int(2)}) == 3);
    }
    SECTION("as the first statement of a transaction too") {
        conn->execute_script("BEGIN");
        CHECK(int_of(*conn, query, {sa::Param::of_int(2)}) == 3);
        conn->execute_script("COMMIT");
    }
    SECTION("later in a transaction it fails once with a typed error") {
        conn->execute_script("BEGIN");
        run(*conn, "SELECT 1").close();
        const auto error = expect_error<sa::ProgrammingError>(*conn, query, {sa::Param::of_int(2)});
        CHECK(error.sqlstate() == "26000");
        conn->execute_script("ROLLBACK");
        CHECK(int_of(*conn, query, {sa::Param::of_int(2)}) == 3);
    }
    CHECK(conn->cached_statement_count() == 0);
    CHECK(int_of(*conn, "SELECT $1::int8 * 2", {sa::Param::of_int(4)}) == 8);
    CHECK(conn->cached_statement_count() == 0);
}

TEST_CASE("the same SQL runs again while its first cursor is still open", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    for (bool prepared : {true, false}) {
        auto conn =
            connect(*url, {.args = {}, .prepare_threshold = prepared ? std::optional<int>(0) : std::nullopt});
        const std::string sql = "SELECT n FROM generate_series(1, $1::int8) n";
        auto& outer = run(*conn, sql, {sa::Param::of_int(3)});
        std::int64_t total = 0;
        while (outer.next()) {
            auto& inner = run(*conn, sql, {sa::Param::of_int(outer.read_int(0))});
            CHECK(&inner != &outer);
            while (inner.next()) total += inner.read_int(0) * 10 + outer.read_int(0);
            inner.close();
        }
        outer.close();
        // inner sums 1, 1+2, 1+2+3 (times ten) plus the outer value once per inner row.
        CHECK(total == (1 + 3 + 6) * 10 + (1 + 2 * 2 + 3 * 3));
        CHECK(conn->cached_statement_count() == (prepared ? 1u : 0u));
    }
}

TEST_CASE("a prepared statement whose table changed shape is prepared again", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    conn->execute_script(
        "DROP TABLE IF EXISTS pgdrv_shape; CREATE TABLE pgdrv_shape (a int4);"
        "INSERT INTO pgdrv_shape VALUES (1)");
    const std::string select = "SELECT * FROM pgdrv_shape";
    run(*conn, select).close();

    SECTION("outside a transaction it is retried transparently") {
        conn->execute_script("ALTER TABLE pgdrv_shape ADD COLUMN b int4 DEFAULT 2");
        auto& c = run(*conn, select);
        CHECK(c.column_count() == 2);
        c.close();
    }
    SECTION("as the first statement of a transaction it is retried transparently") {
        // The BEGIN travels with it, so ending that transaction and starting over loses nothing.
        conn->execute_script("ALTER TABLE pgdrv_shape ADD COLUMN b int4 DEFAULT 2");
        conn->execute_script("BEGIN");
        auto& c = run(*conn, select);
        CHECK(c.column_count() == 2);
        c.close();
        conn->execute_script("ROLLBACK");
    }
    SECTION("later inside a transaction the error surfaces once") {
        conn->execute_script("ALTER TABLE pgdrv_shape ADD COLUMN b int4 DEFAULT 2");
        conn->execute_script("BEGIN");
        run(*conn, "SELECT 1").close();
        expect_error<sa::DatabaseError>(*conn, select);
        conn->execute_script("ROLLBACK");
        auto& c = run(*conn, select);
        CHECK(c.column_count() == 2);
        c.close();
    }
}

TEST_CASE("constraint violations and syntax errors raise their classes with SQLSTATE and SQL",
          "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    conn->execute_script(
        "DROP TABLE IF EXISTS pgdrv_child; DROP TABLE IF EXISTS pgdrv_parent;"
        "CREATE TABLE pgdrv_parent (id int4 PRIMARY KEY, name text NOT NULL UNIQUE);"
        "CREATE TABLE pgdrv_child (id int4 PRIMARY KEY, parent_id int4 REFERENCES "
        "pgdrv_parent(id), age int4 CHECK (age >= 0));"
        "INSERT INTO pgdrv_parent VALUES (1, 'ann')");

    const std::string duplicate = "INSERT INTO pgdrv_parent VALUES ($1, $2)";
    auto unique = expect_error<sa::UniqueViolation>(*conn, duplicate,
                                                    {sa::Param::of_int(2), sa::Param::of_text("ann")});
    CHECK(unique.sqlstate() == "23505");
    CHECK(unique.sql() == duplicate);
    CHECK_THAT(unique.message(), Contains("DETAIL: Key (name)=(ann) already exists."));
    CHECK_FALSE(unique.connection_invalidated());

    auto fk = expect_error<sa::ForeignKeyViolation>(*conn,
                                                    "INSERT INTO pgdrv_child (id, parent_id) VALUES (1, 99)");
    CHECK(fk.sqlstate() == "23503");
    auto not_null = expect_error<sa::NotNullViolation>(*conn, "INSERT INTO pgdrv_parent VALUES ($1, $2)",
                                                       {sa::Param::of_int(3), sa::Param::null()});
    CHECK(not_null.sqlstate() == "23502");
    auto check = expect_error<sa::CheckViolation>(*conn, "INSERT INTO pgdrv_child VALUES (1, 1, -1)");
    CHECK(check.sqlstate() == "23514");

    const std::string typo = "SELEC 1";
    auto syntax = expect_error<sa::ProgrammingError>(*conn, typo);
    CHECK(syntax.sqlstate() == "42601");
    CHECK(syntax.sql() == typo);
    CHECK_THAT(syntax.what(), Contains(typo));

    CHECK_FALSE(conn->is_broken());
    CHECK(conn->cached_statement_count() == 3);  // the statements that prepared fine
    CHECK(conn->ping());
}

TEST_CASE("in_transaction follows the server and ping answers inside an aborted transaction",
          "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    CHECK_FALSE(conn->in_transaction());
    conn->execute_script("BEGIN");
    CHECK(conn->in_transaction());
    expect_error<sa::DataError>(*conn, "SELECT 1 / 0");
    CHECK(conn->in_transaction());
    CHECK(conn->ping());
    conn->execute_script("ROLLBACK");
    CHECK_FALSE(conn->in_transaction());
}

TEST_CASE("execute_script runs several statements and reports the one that fails", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto conn = connect(*url);
    conn->execute_script(
        "DROP TABLE IF EXISTS pgdrv_script; CREATE TABLE pgdrv_script (n int4);"
        "INSERT INTO pgdrv_script VALUES (1); INSERT INTO pgdrv_script VALUES (2)");
    CHECK(int_of(*conn, "SELECT sum(n) FROM pgdrv_script") == 3);
    CHECK_THROWS_AS(conn->execute_script("SELECT 1; SELECT * FROM pgdrv_no_such_table"),
                    sa::ProgrammingError);
    CHECK_THROWS_AS(conn->execute_script("COPY pgdrv_script FROM STDIN"), sa::DatabaseError);
    CHECK(int_of(*conn, "SELECT count(*) FROM pgdrv_script") == 2);
}

TEST_CASE("a connection terminated by the server is invalidated and reports itself broken", "[postgresql]") {
    auto url = server_url();
    if (!url) return;
    auto victim = connect(*url);
    auto killer = connect(*url);
    const auto pid = int_of(*victim, "SELECT pg_backend_pid()");
    CHECK(scalar(*killer, "SELECT pg_terminate_backend($1, 5000)", {sa::Param::of_int(pid)},
                 [](sa::Cursor& c) { return c.read_bool(0); }));
    try {
        run(*victim, "SELECT pg_backend_pid()");
        FAIL("a terminated connection still executed a statement");
    } catch (const sa::DatabaseError& e) {
        CHECK(e.connection_invalidated());
        CHECK_THAT(e.sqlstate(), Catch::Matchers::StartsWith("57P01") || Catch::Matchers::StartsWith("08"));
    }
    CHECK(victim->is_broken());
    CHECK_FALSE(victim->ping());
    CHECK_FALSE(victim->in_transaction());
    CHECK_FALSE(killer->is_broken());
}
