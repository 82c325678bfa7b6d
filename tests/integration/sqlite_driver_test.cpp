// The SQLite driver on its own: binding, reading, statement caching, error mapping and
// locking, exercised through the Driver interface without Engine or Pool.
#include "support/backends.hpp"

#include <alchemy/core/driver.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace sa = alchemy;

namespace {

using Args = std::map<std::string, std::string>;

std::unique_ptr<sa::DriverConnection> connect_to(const std::string& url, const Args& args = {}) {
    const auto parsed = sa::make_url(url);
    sa::ConnectOptions options;
    options.args = parsed.query;
    for (const auto& [key, value] : args) options.args[key] = value;
    return sa::driver_for(parsed).connect(parsed, options);
}

std::string path_of(const std::string& url) { return sa::make_url(url).database; }

// Closes the cursor when the test is done with it, as Result does.
class Rows {
public:
    Rows(sa::DriverConnection& conn, std::string_view sql, std::initializer_list<sa::Param> params = {})
        : cursor_(conn.execute(sql, std::span(params.begin(), params.size()))) {}
    ~Rows() { cursor_.close(); }
    Rows(const Rows&) = delete;
    Rows& operator=(const Rows&) = delete;
    sa::Cursor* operator->() const { return &cursor_; }
    sa::Cursor& operator*() const { return cursor_; }

private:
    sa::Cursor& cursor_;
};

void run(sa::DriverConnection& conn, std::string_view sql, std::initializer_list<sa::Param> params = {}) {
    Rows rows(conn, sql, params);
}

// The single value of a one-row, one-column query, read by `read`.
template <class Read>
auto single(sa::DriverConnection& conn, std::string_view sql, Read read,
            std::initializer_list<sa::Param> params = {}) {
    Rows rows(conn, sql, params);
    REQUIRE(rows->next());
    auto value = read(*rows);
    CHECK_FALSE(rows->next());
    return value;
}

std::int64_t count(sa::DriverConnection& conn, std::string_view sql) {
    return single(conn, sql, [](sa::Cursor& c) { return c.read_int(0); });
}

std::string stored_type(sa::DriverConnection& conn) {
    return single(conn, "SELECT typeof(v) FROM t", [](sa::Cursor& c) { return std::string(c.read_text(0)); });
}

std::vector<std::byte> bytes(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (int v : values) out.push_back(static_cast<std::byte>(v));
    return out;
}

// Runs `body` and returns the DatabaseError it throws; without one the test fails and
// the returned error is blank.
template <class Expected, class Body>
Expected thrown_by(Body&& body) {
    try {
        body();
    } catch (const Expected& e) {
        return e;
    }
    FAIL_CHECK("no exception was thrown");
    return Expected("", "", "");
}

}  // namespace

TEST_CASE("the sqlite driver is chosen by the URL and speaks the sqlite dialect") {
    const auto& driver = sa::driver_for(sa::make_url("sqlite://"));
    const auto& dialect = driver.dialect();
    CHECK(dialect.name() == "sqlite");
    std::string placeholders;
    dialect.append_placeholder(placeholders, 1);
    dialect.append_placeholder(placeholders, 2);
    CHECK(placeholders == "??");
    CHECK(dialect.supports_returning());
    CHECK(dialect.connection_isolation_sql(sa::IsolationLevel::serializable) ==
          "PRAGMA read_uncommitted = 0");
    CHECK(dialect.connection_isolation_sql(sa::IsolationLevel::read_uncommitted) ==
          "PRAGMA read_uncommitted = 1");
    CHECK(dialect.begin_sql(std::nullopt) == "BEGIN");
    CHECK(dialect.begin_sql(sa::IsolationLevel::read_uncommitted) == "BEGIN");
    CHECK_THROWS_WITH(dialect.begin_sql(sa::IsolationLevel::repeatable_read),
                      Catch::Contains("SERIALIZABLE") && Catch::Contains("READ UNCOMMITTED"));
}

TEST_CASE("every parameter type survives a round trip through SQLite") {
    auto conn = connect_to(sa::test::sqlite_temp_url());
    conn->execute_script("CREATE TABLE t (v)");
    const auto store = [&](sa::Param p) {
        run(*conn, "DELETE FROM t");
        run(*conn, "INSERT INTO t (v) VALUES (?)", {p});
    };
    const auto load = [&](auto read) { return single(*conn, "SELECT v FROM t", read); };

    SECTION("64-bit integers, including the extremes") {
        for (std::int64_t v : {std::numeric_limits<std::int64_t>::min(), std::int64_t{-1}, std::int64_t{0},
                               std::numeric_limits<std::int64_t>::max()}) {
            store(sa::Param::of_int(v));
            CHECK(load([](sa::Cursor& c) { return c.read_int(0); }) == v);
        }
    }
    SECTION("reals") {
        for (double v : {0.0, -1.5, 3.141592653589793, 1e300, -2.5e-300}) {
            store(sa::Param::of_real(v));
            CHECK(load([](sa::Cursor& c) { return c.read_real(0); }) == v);
        }
    }
    SECTION("booleans, stored as 0 and 1") {
        for (bool v : {true, false}) {
            store(sa::Param::of_bool(v));
            CHECK(load([](sa::Cursor& c) { return c.read_bool(0); }) == v);
            CHECK(load([](sa::Cursor& c) { return c.read_int(0); }) == (v ? 1 : 0));
        }
    }
    SECTION("empty, unicode and long strings") {
        for (const std::string& v :
             {std::string(), std::string("héllo wörld ✓ 日本語 🎉"), std::string("quote ' and \" and \\"),
              std::string("nul\0inside", 10), std::string(100'000, 'x')}) {
            store(sa::Param::of_text(v));
            CHECK(stored_type(*conn) == "text");
            CHECK(load([](sa::Cursor& c) { return std::string(c.read_text(0)); }) == v);
        }
    }
    SECTION("a blob with zero bytes inside") {
        const auto v = bytes({0, 1, 0, 255, 0});
        store(sa::Param::of_blob(v));
        CHECK(stored_type(*conn) == "blob");
        const auto back = load([](sa::Cursor& c) {
            const auto span = c.read_blob(0);
            return std::vector<std::byte>(span.begin(), span.end());
        });
        CHECK(back == v);
    }
    SECTION("an empty blob, which stays a blob and not NULL") {
        store(sa::Param::of_blob({}));
        CHECK(stored_type(*conn) == "blob");
        CHECK_FALSE(load([](sa::Cursor& c) { return c.is_null(0); }));
        CHECK(load([](sa::Cursor& c) { return c.read_blob(0).size(); }) == 0);
    }
    SECTION("NULL") {
        store(sa::Param::null());
        CHECK(stored_type(*conn) == "null");
        CHECK(load([](sa::Cursor& c) { return c.is_null(0); }));
    }
    SECTION("timestamps before 1970 and after 2038, to the microsecond, as SQLAlchemy's text") {
        const std::pair<std::int64_t, std::string_view> cases[] = {
            {-14'182'939'876'544, "1969-07-20 20:17:40.123456"},
            {-2'203'845'903'210'988, "1900-03-01 12:34:56.789012"},
            {-1, "1969-12-31 23:59:59.999999"},
            {0, "1970-01-01 00:00:00.000000"},
            {2'147'483'648'000'001, "2038-01-19 03:14:08.000001"},
            {4'107'542'399'999'999, "2100-02-28 23:59:59.999999"},
            {-62'135'596'800'000'000, "0001-01-01 00:00:00.000000"},
            {253'402'300'799'999'999, "9999-12-31 23:59:59.999999"},
        };
        for (const auto& [micros, text] : cases) {
            store(sa::Param::of_timestamp(micros));
            CHECK(load([](sa::Cursor& c) { return std::string(c.read_text(0)); }) == text);
            CHECK(load([](sa::Cursor& c) { return c.read_timestamp(0); }) == micros);
        }
    }
    SECTION("dates, as YYYY-MM-DD text") {
        const std::pair<std::int64_t, std::string_view> cases[] = {
            {-1, "1969-12-31"}, {-135'081, "1600-02-29"}, {11'016, "2000-02-29"}, {157'419, "2400-12-31"}};
        for (const auto& [days, text] : cases) {
            store(sa::Param::of_date(days));
            CHECK(load([](sa::Cursor& c) { return std::string(c.read_text(0)); }) == text);
            CHECK(load([](sa::Cursor& c) { return c.read_date(0); }) == days);
        }
    }
    SECTION("a timestamp beyond year 9999 is refused with DataError") {
        const auto error = thrown_by<sa::DataError>(
            [&] { store(sa::Param::of_timestamp(std::numeric_limits<std::int64_t>::max())); });
        CHECK(error.sqlstate() == "22008");
    }
}

TEST_CASE("bound text stays valid after the caller's storage changes") {
    auto conn = connect_to("sqlite://");
    conn->execute_script("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('a'), ('b'), ('a')");
    std::string needle = "a";
    Rows rows(*conn, "SELECT count(*) FROM t WHERE v = ? UNION ALL SELECT count(*) FROM t WHERE v = ?",
              {sa::Param::of_text(needle), sa::Param::of_text(needle)});
    needle = "overwritten with something much longer than before";
    REQUIRE(rows->next());
    CHECK(rows->read_int(0) == 2);
    REQUIRE(rows->next());
    CHECK(rows->read_int(0) == 2);
}

TEST_CASE("the sqlite driver tells statements that only read from those that write") {
    auto conn = connect_to("sqlite://");
    conn->execute_script("CREATE TABLE t (v TEXT)");
    CHECK(conn->only_reads("SELECT count(*) FROM t WHERE v = ?"));
    CHECK(conn->only_reads("WITH x AS (SELECT v FROM t) SELECT * FROM x"));
    CHECK_FALSE(conn->only_reads("INSERT INTO t VALUES (?)"));
    CHECK_FALSE(conn->only_reads("WITH x AS (SELECT 'a' AS v) INSERT INTO t SELECT v FROM x"));
    CHECK_FALSE(conn->only_reads("DELETE FROM t"));
    CHECK_FALSE(conn->only_reads("CREATE TABLE u (v TEXT)"));
    // SQLite calls these read-only; they end or change the transaction, or the schema.
    for (const auto* sql : {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT s", "RELEASE s", "ROLLBACK TO s",
                            "ATTACH ':memory:' AS other", "PRAGMA foreign_keys = OFF"}) {
        INFO(sql);
        CHECK_FALSE(conn->only_reads(sql));
    }
    CHECK(conn->only_reads("PRAGMA table_info(t)"));
    // The statement asked about is the one cached for running it.
    const auto cached = conn->cached_statement_count();
    conn->execute("INSERT INTO t VALUES (?)", std::vector{sa::Param::of_text("a")}).close();
    CHECK(conn->cached_statement_count() == cached);
}

TEST_CASE("asking which tables change a table leaves no statement in use") {
    // A Session asks at every yield_per() loop: a statement left in use could be neither
    // reused nor evicted, and the cache would grow with every loop.
    auto conn = connect_to("sqlite://");
    conn->execute_script("CREATE TABLE parents (id INTEGER PRIMARY KEY)");
    conn->execute_script(
        "CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parents (id) ON DELETE "
        "CASCADE)");
    conn->execute_script("CREATE TABLE log (what TEXT)");
    conn->execute_script("CREATE TRIGGER logged AFTER INSERT ON log BEGIN DELETE FROM children; END");
    const auto first = conn->tables_changing("children");
    CHECK(first == std::vector<std::string>{"parents", "log"});
    const auto cached = conn->cached_statement_count();
    for (int i = 0; i < 50; ++i) CHECK(conn->tables_changing("children") == first);
    CHECK(conn->cached_statement_count() == cached);
}

TEST_CASE("a double-quoted name that names no column is an error, not a string") {
    auto conn = connect_to("sqlite://");
    conn->execute_script("CREATE TABLE notes (id INTEGER PRIMARY KEY, name TEXT)");
    conn->execute_script("INSERT INTO notes (name) VALUES ('ann')");
    // SQLite's legacy reading took "note" for the text 'note' and copied it into rows.
    CHECK_THROWS_AS(conn->execute_script("CREATE TABLE copy AS SELECT id, \"note\" FROM notes"),
                    sa::ProgrammingError);
    CHECK_THROWS_AS(conn->execute("SELECT \"note\" FROM notes", {}), sa::ProgrammingError);
    CHECK_THROWS_AS(conn->execute_script("CREATE INDEX ix_note ON notes (\"note\")"), sa::ProgrammingError);
    CHECK(count(*conn, "SELECT count(*) FROM notes WHERE \"name\" = 'ann'") == 1);
}

TEST_CASE("INSERT ... RETURNING gives its rows after the caller's values are gone") {
    // A statement that writes runs completely in its first step, so SQLite reads the
    // values in place; the returned rows must not read them again (ASan would see it).
    auto conn = connect_to("sqlite://");
    conn->execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    auto first = std::make_unique<std::string>("a value longer than the short-string buffer");
    auto second = std::make_unique<std::string>("and another one, also long enough to be on the heap");
    Rows rows(*conn, "INSERT INTO t (v) VALUES (?), (?) RETURNING v",
              {sa::Param::of_text(*first), sa::Param::of_text(*second)});
    // Overwritten, then freed: a value read again would show in any build, not only ASan's.
    std::fill(first->begin(), first->end(), 'x');
    std::fill(second->begin(), second->end(), 'x');
    first.reset();
    second.reset();
    REQUIRE(rows->next());
    CHECK(rows->read_text(0) == "a value longer than the short-string buffer");
    REQUIRE(rows->next());
    CHECK(rows->read_text(0) == "and another one, also long enough to be on the heap");
    CHECK_FALSE(rows->next());
}

TEST_CASE("a closed cursor reads no column, even one read before it closed") {
    auto conn = connect_to("sqlite://");
    conn->execute_script("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept only until the reset')");
    auto& cursor = conn->execute("SELECT v FROM t", {});
    REQUIRE(cursor.next());
    CHECK(cursor.read_text(0) == "kept only until the reset");
    cursor.close();
    CHECK_THROWS_AS(cursor.read_text(0), sa::InvalidRequestError);
}

TEST_CASE("SQL text put where another statement's text was runs as itself") {
    // The connection remembers statements by the address of their text; the same address
    // holding another text must not find the first statement.
    auto conn = connect_to("sqlite://");
    conn->execute_script("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2), (3)");
    std::string sql = "SELECT count(*) FROM t WHERE v >= 1";
    const auto* address = sql.data();
    CHECK(count(*conn, sql) == 3);
    sql.replace(sql.size() - 1, 1, "3");
    REQUIRE(sql.data() == address);
    CHECK(count(*conn, sql) == 1);
    CHECK(conn->cached_statement_count() == 2);
    sql.replace(sql.size() - 1, 1, "1");
    CHECK(count(*conn, sql) == 3);
    CHECK(conn->cached_statement_count() == 2);
}

TEST_CASE("timestamps and dates are read in the forms SQLite and other tools write") {
    auto conn = connect_to("sqlite://");
    const auto timestamp_of = [&](std::string_view text) {
        return single(*conn, "SELECT ?", [](sa::Cursor& c) { return c.read_timestamp(0); },
                      {sa::Param::of_text(text)});
    };
    constexpr std::int64_t moon = -14'182'939'876'544;  // 1969-07-20 20:17:40.123456
    constexpr std::int64_t moon_second = moon - 123'456;
    CHECK(timestamp_of("1969-07-20 20:17:40.123456") == moon);
    CHECK(timestamp_of("1969-07-20T20:17:40.123456") == moon);
    CHECK(timestamp_of("1969-07-20 20:17:40.123456789") == moon);
    CHECK(timestamp_of("1969-07-20 20:17:40.5") == moon_second + 500'000);
    CHECK(timestamp_of("1969-07-20 20:17:40") == moon_second);
    CHECK(timestamp_of("1969-07-20 20:17") == moon_second - 40'000'000);
    CHECK(timestamp_of("1969-07-20") == moon_second - (20 * 3600 + 17 * 60 + 40) * 1'000'000LL);
    CHECK(timestamp_of("1969-07-20T20:17:40.123456Z") == moon);
    CHECK(timestamp_of("1969-07-20T22:17:40.123456+02:00") == moon);
    CHECK(timestamp_of("1969-07-20T15:17:40.123456-05:00") == moon);
    CHECK(single(*conn, "SELECT unixepoch('2038-01-19 03:14:08')",
                 [](sa::Cursor& c) { return c.read_timestamp(0); }) == 2'147'483'648'000'000);
    CHECK(single(*conn, "SELECT CURRENT_TIMESTAMP", [](sa::Cursor& c) { return c.read_timestamp(0); }) >
          1'600'000'000'000'000);
    CHECK(single(*conn, "SELECT date('2000-03-01', '-1 day')",
                 [](sa::Cursor& c) { return c.read_date(0); }) == 11'016);

    for (std::string_view bad : {"1969-07-20 25:00:00", "1969-02-30", "1969-07-20 20:17:40.", "1969-7-20",
                                 "20:17:40", "1969-07-20 20:17:40 junk"}) {
        INFO(bad);
        const auto error = thrown_by<sa::DataError>([&] { timestamp_of(bad); });
        CHECK(error.sqlstate() == "22007");
    }
}

TEST_CASE("columns convert where the value allows it") {
    auto conn = connect_to("sqlite://");
    Rows rows(*conn, "SELECT 42, 2.0, '17', 'TRUE', '0', 1.5, '2.5', x'414243'");
    REQUIRE(rows->next());
    CHECK(rows->column_count() == 8);
    CHECK(rows->read_real(0) == 42.0);
    CHECK(rows->read_text(0) == "42");
    CHECK(rows->read_int(1) == 2);
    CHECK(rows->read_int(2) == 17);
    CHECK(rows->read_bool(3));
    CHECK_FALSE(rows->read_bool(4));
    CHECK(rows->read_text(5) == "1.5");
    CHECK(rows->read_real(6) == 2.5);
    CHECK(rows->read_text(7) == "ABC");
    CHECK(rows->read_blob(7).size() == 3);
}

TEST_CASE("reading a column as the wrong kind throws DataError naming the column") {
    auto conn = connect_to("sqlite://");
    Rows rows(*conn,
              "SELECT 'abc' AS word, NULL AS empty, 1.5 AS half, 7 AS seven, "
              "'99999999999999999999' AS huge, x'00' AS raw");
    REQUIRE(rows->next());

    auto error = thrown_by<sa::DataError>([&] { rows->read_int(0); });
    CHECK(error.sqlstate() == "22018");
    CHECK_THAT(error.message(), Catch::Contains("'word'") && Catch::Contains("'abc'"));
    CHECK_THAT(error.sql(), Catch::Contains("SELECT 'abc'"));

    error = thrown_by<sa::DataError>([&] { rows->read_text(1); });
    CHECK(error.sqlstate() == "22004");
    CHECK_THAT(error.message(), Catch::Contains("'empty'") && Catch::Contains("NULL"));

    CHECK(thrown_by<sa::DataError>([&] { rows->read_int(2); }).sqlstate() == "22003");
    CHECK(thrown_by<sa::DataError>([&] { rows->read_bool(3); }).sqlstate() == "22018");
    CHECK(thrown_by<sa::DataError>([&] { rows->read_int(4); }).sqlstate() == "22003");
    CHECK(thrown_by<sa::DataError>([&] { rows->read_real(5); }).sqlstate() == "22018");
    CHECK(thrown_by<sa::DataError>([&] { rows->read_date(3); }).sqlstate() == "22018");
    CHECK(thrown_by<sa::DataError>([&] { rows->read_blob(3); }).sqlstate() == "22018");
    CHECK(rows->column_name(4) == "huge");
    CHECK_THROWS_AS(rows->read_int(6), sa::ArgumentError);
    CHECK_THROWS_AS(rows->column_name(-1), sa::ArgumentError);
}

TEST_CASE("integer arithmetic that overflows is refused, not read as the nearest 64-bit integer") {
    // SQLite gives an overflowing integer result as a REAL, and every result a little below
    // -2^63 rounds to exactly -2^63 as a double: no REAL is read as INT64_MIN.
    auto conn = connect_to("sqlite://");
    Rows rows(*conn, "SELECT -9223372036854775807 - 2, 9223372036854775807 + 1, -9223372036854775807 - 1");
    REQUIRE(rows->next());
    CHECK(thrown_by<sa::DataError>([&] { rows->read_int(0); }).sqlstate() == "22003");
    CHECK(thrown_by<sa::DataError>([&] { rows->read_int(1); }).sqlstate() == "22003");
    CHECK(rows->read_int(2) == std::numeric_limits<std::int64_t>::min());
}

TEST_CASE("execute runs the statement before any row is read") {
    auto conn = connect_to("sqlite://");
    conn->execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");

    SECTION("writes happen even if the cursor is never stepped") {
        auto& cursor = conn->execute("INSERT INTO t (v) VALUES ('a'), ('b')", {});
        CHECK(cursor.rows_affected() == 2);
        CHECK_FALSE(cursor.next());
        cursor.close();
        CHECK(count(*conn, "SELECT count(*) FROM t") == 2);
    }
    SECTION("the first row is still returned by next()") {
        conn->execute_script("INSERT INTO t (v) VALUES ('a'), ('b')");
        Rows rows(*conn, "SELECT v FROM t ORDER BY id");
        REQUIRE(rows->next());
        CHECK(rows->read_text(0) == "a");
        REQUIRE(rows->next());
        CHECK(rows->read_text(0) == "b");
        CHECK_FALSE(rows->next());
        CHECK_FALSE(rows->next());
    }
    SECTION("RETURNING gives the inserted rows") {
        Rows rows(*conn, "INSERT INTO t (v) VALUES (?), (?) RETURNING id",
                  {sa::Param::of_text("x"), sa::Param::of_text("y")});
        std::vector<std::int64_t> ids;
        while (rows->next()) ids.push_back(rows->read_int(0));
        CHECK(ids == std::vector<std::int64_t>{1, 2});
        CHECK(rows->rows_affected() == 2);
    }
    SECTION("reading before a row is current is refused") {
        auto& cursor = conn->execute("SELECT v FROM t", {});
        CHECK_FALSE(cursor.next());
        CHECK_THROWS_AS(cursor.read_text(0), sa::InvalidRequestError);
        cursor.close();
        cursor.close();
    }
}

TEST_CASE("rows_affected counts the rows a write changed and is 0 otherwise") {
    auto conn = connect_to("sqlite://");
    const auto affected = [&](std::string_view sql) {
        auto& cursor = conn->execute(sql, {});
        while (cursor.next()) {}
        const auto n = cursor.rows_affected();
        cursor.close();
        return n;
    };
    CHECK(affected("CREATE TABLE t (v INTEGER)") == 0);
    CHECK(affected("INSERT INTO t VALUES (1), (2), (3)") == 3);
    CHECK(affected("UPDATE t SET v = v + 10 WHERE v >= 2") == 2);
    CHECK(affected("SELECT * FROM t") == 0);
    CHECK(affected("UPDATE t SET v = 0 WHERE v > 100") == 0);
    CHECK(affected("CREATE INDEX t_v ON t (v)") == 0);
    CHECK(affected("DELETE FROM t") == 3);
}

TEST_CASE("cached statements are reused when the same SQL repeats") {
    auto conn = connect_to("sqlite://");
    conn->execute_script("CREATE TABLE t (v INTEGER)");
    CHECK(conn->cached_statement_count() == 0);
    for (int i = 0; i < 10; ++i) run(*conn, "INSERT INTO t VALUES (?)", {sa::Param::of_int(i)});
    CHECK(conn->cached_statement_count() == 1);
    for (int i = 0; i < 10; ++i) CHECK(count(*conn, "SELECT count(*) FROM t") == 10);
    CHECK(conn->cached_statement_count() == 2);
}

TEST_CASE("the same SQL runs again while a cursor over it is still open") {
    auto conn = connect_to("sqlite://");
    conn->execute_script("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2), (3)");
    const std::string_view sql = "SELECT v FROM t WHERE v >= ? ORDER BY v";

    std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
    {
        Rows outer(*conn, sql, {sa::Param::of_int(2)});
        while (outer->next()) {
            const auto v = outer->read_int(0);
            Rows inner(*conn, sql, {sa::Param::of_int(v)});
            while (inner->next()) pairs.emplace_back(v, inner->read_int(0));
        }
    }
    CHECK(pairs == std::vector<std::pair<std::int64_t, std::int64_t>>{{2, 2}, {2, 3}, {3, 3}});
    CHECK(conn->cached_statement_count() == 2);

    // Both statements stay cached, so nesting again prepares nothing new.
    {
        Rows outer(*conn, sql, {sa::Param::of_int(1)});
        REQUIRE(outer->next());
        Rows inner(*conn, sql, {sa::Param::of_int(3)});
        REQUIRE(inner->next());
        CHECK(inner->read_int(0) == 3);
        CHECK(outer->read_int(0) == 1);
    }
    CHECK(conn->cached_statement_count() == 2);
}

TEST_CASE("the statement cache drops the least recently used idle statements") {
    auto conn = connect_to("sqlite://", {{"cached_statements", "2"}});
    const auto one = [&](std::string_view sql) { return count(*conn, sql); };
    one("SELECT 1");
    one("SELECT 2");
    one("SELECT 1");
    one("SELECT 3");  // evicts "SELECT 2", the least recently used
    CHECK(conn->cached_statement_count() == 2);

    // Statements held by open cursors are never evicted.
    Rows a(*conn, "SELECT 4");
    Rows b(*conn, "SELECT 5");
    Rows c(*conn, "SELECT 6");
    CHECK(conn->cached_statement_count() == 3);
    REQUIRE(a->next());
    CHECK(a->read_int(0) == 4);
}

TEST_CASE("constraint violations throw the matching IntegrityError with SQLSTATE and SQL") {
    auto conn = connect_to(sa::test::sqlite_temp_url());
    conn->execute_script(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
        "                     age INTEGER CHECK (age >= 0));"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));"
        "INSERT INTO parent (id, name, age) VALUES (1, 'ann', 30);");

    SECTION("a duplicate unique value") {
        const std::string sql = "INSERT INTO parent (name) VALUES (?)";
        const auto e = thrown_by<sa::UniqueViolation>([&] { run(*conn, sql, {sa::Param::of_text("ann")}); });
        CHECK(e.sqlstate() == "23505");
        CHECK(e.sql() == sql);
        CHECK_THAT(e.message(), Catch::Contains("UNIQUE"));
    }
    SECTION("a duplicate primary key") {
        const auto e = thrown_by<sa::UniqueViolation>(
            [&] { run(*conn, "INSERT INTO parent (id, name) VALUES (1, 'bob')"); });
        CHECK(e.sqlstate() == "23505");
    }
    SECTION("a missing parent row") {
        const auto e = thrown_by<sa::ForeignKeyViolation>(
            [&] { run(*conn, "INSERT INTO child (parent_id) VALUES (99)"); });
        CHECK(e.sqlstate() == "23503");
        CHECK(e.sql() == "INSERT INTO child (parent_id) VALUES (99)");
    }
    SECTION("a NULL in a NOT NULL column") {
        const auto e = thrown_by<sa::NotNullViolation>(
            [&] { run(*conn, "INSERT INTO parent (name) VALUES (?)", {sa::Param::null()}); });
        CHECK(e.sqlstate() == "23502");
    }
    SECTION("a failed CHECK") {
        const auto e = thrown_by<sa::CheckViolation>(
            [&] { run(*conn, "INSERT INTO parent (name, age) VALUES ('cy', -1)"); });
        CHECK(e.sqlstate() == "23514");
    }
    // The failed statement was reset: the connection and its cached statement still work.
    run(*conn, "INSERT INTO parent (name) VALUES (?)", {sa::Param::of_text("dee")});
    CHECK(count(*conn, "SELECT count(*) FROM parent") == 2);
    CHECK_FALSE(conn->in_transaction());
    CHECK_FALSE(conn->is_broken());
}

TEST_CASE("foreign keys are enforced on every new connection") {
    auto conn = connect_to(sa::test::sqlite_temp_url());
    CHECK(count(*conn, "PRAGMA foreign_keys") == 1);
    conn->execute_script(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE);"
        "INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1);");
    run(*conn, "DELETE FROM parent");
    CHECK(count(*conn, "SELECT count(*) FROM child") == 0);
}

TEST_CASE("bad SQL throws ProgrammingError carrying the SQL text") {
    auto conn = connect_to("sqlite://");
    conn->execute_script("CREATE TABLE t (v INTEGER)");

    auto e = thrown_by<sa::ProgrammingError>([&] { run(*conn, "SELEC 1"); });
    CHECK(e.sqlstate() == "42601");
    CHECK(e.sql() == "SELEC 1");
    CHECK_THAT(e.what(), Catch::Contains("syntax error") && Catch::Contains("SELEC 1"));

    e = thrown_by<sa::ProgrammingError>([&] { run(*conn, "SELECT * FROM missing"); });
    CHECK(e.sqlstate() == "42P01");
    e = thrown_by<sa::ProgrammingError>([&] { run(*conn, "SELECT nope FROM t"); });
    CHECK(e.sqlstate() == "42703");
    e = thrown_by<sa::ProgrammingError>([&] { run(*conn, "CREATE TABLE t (v INTEGER)"); });
    CHECK(e.sqlstate() == "42P07");
    e = thrown_by<sa::ProgrammingError>([&] { run(*conn, "SELECT 1; SELECT 2"); });
    CHECK_THAT(e.message(), Catch::Contains("execute_script"));
    CHECK(conn->cached_statement_count() == 0);

    // Trailing semicolons and comments are still one statement.
    CHECK(count(*conn, "SELECT 7; -- the answer\n /* done */") == 7);
}

TEST_CASE("a wrong number of parameters throws ProgrammingError naming both counts") {
    auto conn = connect_to("sqlite://");
    const auto e =
        thrown_by<sa::ProgrammingError>([&] { run(*conn, "SELECT ?, ?", {sa::Param::of_int(1)}); });
    CHECK_THAT(e.message(), Catch::Contains("expects 2") && Catch::Contains("given 1"));
    CHECK(e.sql() == "SELECT ?, ?");
    CHECK_THROWS_AS(run(*conn, "SELECT 1", {sa::Param::of_int(1)}), sa::ProgrammingError);
    // The statement is idle again and takes the right count.
    CHECK(single(*conn, "SELECT ?, ?", [](sa::Cursor& c) { return c.read_int(1); },
                 {sa::Param::of_int(1), sa::Param::of_int(2)}) == 2);
    CHECK(conn->cached_statement_count() == 2);
}

TEST_CASE("execute_script runs each statement and names the one that fails") {
    auto conn = connect_to("sqlite://");
    conn->execute_script(
        "-- schema\nCREATE TABLE t (v INTEGER);\n"
        "INSERT INTO t VALUES (1);   INSERT INTO t VALUES (2);\n/* trailing comment */");
    CHECK(count(*conn, "SELECT count(*) FROM t") == 2);

    const auto e = thrown_by<sa::ProgrammingError>(
        [&] { conn->execute_script("INSERT INTO t VALUES (3); INSERT INTO missing VALUES (4)"); });
    CHECK(e.sqlstate() == "42P01");
    CHECK(e.sql() == "INSERT INTO missing VALUES (4)");
    CHECK(count(*conn, "SELECT count(*) FROM t") == 3);
    conn->execute_script("");
}

TEST_CASE("in_transaction follows BEGIN and COMMIT, and ping proves the connection works") {
    auto conn = connect_to(sa::test::sqlite_temp_url());
    CHECK_FALSE(conn->in_transaction());
    conn->execute_script("BEGIN");
    CHECK(conn->in_transaction());
    conn->execute_script("CREATE TABLE t (v)");
    run(*conn, "COMMIT");
    CHECK_FALSE(conn->in_transaction());
    CHECK(conn->ping());
    CHECK_FALSE(conn->is_broken());
}

TEST_CASE("a writer waits for another connection's write transaction to commit") {
    const auto url = sa::test::sqlite_temp_url();
    auto first = connect_to(url);
    auto second = connect_to(url, {{"timeout", "10"}});
    first->execute_script("CREATE TABLE t (v INTEGER)");

    first->execute_script("BEGIN IMMEDIATE; INSERT INTO t VALUES (1)");
    const auto started = std::chrono::steady_clock::now();
    auto writer = std::async(std::launch::async, [&] {
        run(*second, "INSERT INTO t VALUES (2)");
        return std::chrono::steady_clock::now() - started;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(writer.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
    first->execute_script("COMMIT");

    REQUIRE(writer.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    const auto waited = writer.get();
    CHECK(waited >= std::chrono::milliseconds(250));
    CHECK(waited < std::chrono::seconds(10));
    CHECK(count(*first, "SELECT count(*) FROM t") == 2);
}

TEST_CASE("a writer gives up with OperationalError once the busy timeout passes") {
    const auto url = sa::test::sqlite_temp_url();
    auto first = connect_to(url);
    auto second = connect_to(url, {{"timeout", "0.2"}});
    first->execute_script("CREATE TABLE t (v INTEGER); BEGIN IMMEDIATE; INSERT INTO t VALUES (1)");

    const auto started = std::chrono::steady_clock::now();
    const auto e = thrown_by<sa::OperationalError>([&] { run(*second, "INSERT INTO t VALUES (2)"); });
    const auto waited = std::chrono::steady_clock::now() - started;
    CHECK(e.sqlstate() == "55P03");
    CHECK_FALSE(e.connection_invalidated());
    CHECK(waited >= std::chrono::milliseconds(150));
    CHECK(waited < std::chrono::seconds(5));

    first->execute_script("COMMIT");
    run(*second, "INSERT INTO t VALUES (2)");
    CHECK(count(*second, "SELECT count(*) FROM t") == 2);
}

TEST_CASE("a bad timeout option is refused with ArgumentError") {
    CHECK_THROWS_AS(connect_to("sqlite://", {{"timeout", "soon"}}), sa::ArgumentError);
    CHECK_THROWS_AS(connect_to("sqlite://", {{"timeout", "-1"}}), sa::ArgumentError);
    CHECK_NOTHROW(connect_to("sqlite://", {{"timeout", "2.5"}, {"unknown_option", "x"}}));
}

TEST_CASE("a database that cannot be opened throws OperationalError naming the file") {
    const auto e = thrown_by<sa::OperationalError>(
        [] { connect_to("sqlite:////nonexistent-dir/for/alchemy-driver.db"); });
    CHECK(e.sqlstate() == "08001");
    CHECK_THAT(e.message(), Catch::Contains("/nonexistent-dir/for/alchemy-driver.db"));
}

TEST_CASE("a read-only connection can read but not write") {
    const auto url = sa::test::sqlite_temp_url();
    connect_to(url)->execute_script("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)");

    auto reader = connect_to(url + "?mode=ro");
    CHECK(count(*reader, "SELECT count(*) FROM t") == 1);
    const auto e = thrown_by<sa::DatabaseError>([&] { run(*reader, "INSERT INTO t VALUES (2)"); });
    CHECK(e.sqlstate() == "25006");

    auto uri_reader = connect_to("sqlite:///file:" + path_of(url) + "?mode=ro&uri=true");
    CHECK(count(*uri_reader, "SELECT count(*) FROM t") == 1);
    CHECK_THROWS_AS(run(*uri_reader, "INSERT INTO t VALUES (2)"), sa::DatabaseError);

    CHECK_THROWS_AS(connect_to(url + "?mode=sideways"), sa::ArgumentError);
}

TEST_CASE("a database that cannot be opened is named without the URL's secrets") {
    // With uri=true the URL's query goes to SQLite in the file: URI; a password item among
    // it stays out of the message, as it stays out of the printed URL.
    for (const std::string query : {"?uri=true&password=S3cretPw", "?sslpassword=S3cretPw&uri=true", ""}) {
        INFO(query);
        const auto e = thrown_by<sa::OperationalError>(
            [&] { connect_to("sqlite:////no_such_dir_alchemy/x.db" + query); });
        CHECK(e.sqlstate() == "08001");
        CHECK_THAT(e.message(), Catch::Contains("/no_such_dir_alchemy/x.db") && !Catch::Contains("S3cret"));
    }
}

TEST_CASE("a file that is not a database breaks the connection") {
    const auto url = sa::test::sqlite_temp_url();
    std::ofstream(path_of(url)) << std::string(4096, 'x');

    auto conn = connect_to(url);
    const auto e = thrown_by<sa::OperationalError>([&] { run(*conn, "SELECT * FROM t"); });
    CHECK(e.sqlstate() == "58030");
    CHECK(e.connection_invalidated());
    CHECK(conn->is_broken());
    CHECK_FALSE(conn->ping());
}
