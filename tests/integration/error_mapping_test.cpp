// Database errors map to the same classes on both backends and carry SQLSTATE,
// the server's message and the SQL; connection failures never show the password.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <catch2/catch.hpp>

namespace sa = alchemy;
using sa::test::backends;

namespace {

void create_schema(sa::Connection& conn) {
    conn.execute_script(
        "CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
        "CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
        "REFERENCES parents(id), age INTEGER CHECK (age >= 0));"
        "INSERT INTO parents (id, name) VALUES (1, 'ann');");
    conn.commit();
}

template <class Expected>
Expected expect_error(sa::Connection& conn, const std::string& sql) {
    try {
        auto tx = conn.begin();
        conn.execute(sa::text(sql));
    } catch (const Expected& e) {
        return e;
    } catch (const std::exception& e) {
        FAIL("expected another exception class, got: " << e.what());
    }
    FAIL("no exception for: " << sql);
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("constraint violations and syntax errors map to the same classes on both backends") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_schema(conn);

    const std::string dup = "INSERT INTO parents (id, name) VALUES (2, 'ann')";
    auto unique = expect_error<sa::UniqueViolation>(conn, dup);
    CHECK(unique.sqlstate() == "23505");
    CHECK(unique.sql() == dup);
    CHECK_FALSE(unique.message().empty());
    CHECK_THAT(unique.what(), Catch::Matchers::Contains(dup));

    auto fk =
        expect_error<sa::ForeignKeyViolation>(conn, "INSERT INTO children (id, parent_id) VALUES (1, 99)");
    CHECK(fk.sqlstate() == "23503");

    auto not_null =
        expect_error<sa::NotNullViolation>(conn, "INSERT INTO parents (id, name) VALUES (3, NULL)");
    CHECK(not_null.sqlstate() == "23502");

    auto check =
        expect_error<sa::CheckViolation>(conn, "INSERT INTO children (id, parent_id, age) VALUES (1, 1, -1)");
    CHECK(check.sqlstate() == "23514");

    auto syntax = expect_error<sa::ProgrammingError>(conn, "SELEKT 1");
    CHECK(syntax.sqlstate().substr(0, 2) == "42");

    auto missing = expect_error<sa::ProgrammingError>(conn, "SELECT * FROM no_such_table");
    CHECK(missing.sqlstate() == "42P01");
}

TEST_CASE("integrity errors are caught as IntegrityError and DatabaseError too") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_schema(conn);
    auto tx = conn.begin();
    CHECK_THROWS_AS(conn.execute(sa::text("INSERT INTO parents (id, name) VALUES (1, 'x')")),
                    sa::IntegrityError);
}

TEST_CASE("a write to a read-only database is a ReadOnlySqlTransaction, not a lost connection") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    create_schema(conn);
    // SQLite: a connection opened read-only; PostgreSQL: a read-only transaction, what a
    // hot-standby replica gives every transaction.
    auto reader_engine = backend.is_sqlite() ? sa::create_engine(backend.url + "?mode=ro") : backend.engine();
    auto reader = reader_engine.connect();
    if (backend.is_postgresql()) reader.execute(sa::text("SET TRANSACTION READ ONLY"));
    try {
        reader.execute(sa::text("INSERT INTO parents (id, name) VALUES (2, 'bob')"));
        FAIL("a read-only transaction took a write");
    } catch (const sa::ReadOnlySqlTransaction& e) {
        CHECK(e.sqlstate() == "25006");
        CHECK_FALSE(e.connection_invalidated());
        CHECK(dynamic_cast<const sa::InternalError*>(&e) != nullptr);
        CHECK(dynamic_cast<const sa::OperationalError*>(&e) == nullptr);
    }
    reader.rollback();
    // The connection is still good: only the write was refused.
    CHECK(reader.execute(sa::text("SELECT count(*) FROM parents").columns<std::int64_t>()).scalar_one() == 1);
}

TEST_CASE("connection refused is an OperationalError without the password") {
    const auto url = "postgresql://scott:s3cr3t-pw@127.0.0.1:1/db?connect_timeout=2";
    auto engine = sa::create_engine(url);
    try {
        engine.connect();
        FAIL("connected to a closed port");
    } catch (const sa::OperationalError& e) {
        const std::string text = e.what();
        CHECK(text.find("s3cr3t-pw") == std::string::npos);
        CHECK_FALSE(e.message().empty());
    }
    CHECK(fmt::format("{}", engine.url()).find("s3cr3t-pw") == std::string::npos);
    CHECK(engine.pool_status().checked_out == 0);  // the failed checkout gave its slot back
}

TEST_CASE("an unopenable SQLite file is an OperationalError naming the file") {
    auto engine = sa::create_engine("sqlite:////nonexistent-dir/for/alchemy.db");
    REQUIRE_THROWS_MATCHES(engine.connect(), sa::OperationalError,
                           sa::test::MessageContains("nonexistent-dir"));
}

TEST_CASE("echo logs statements and parameters but never the URL's password") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    auto conn = engine.connect();
    conn.execute(sa::text("SELECT :a, :b").bind("a", 7).bind("b", std::string("x")));
    conn.commit();
    REQUIRE(capture.lines.size() == 4);
    CHECK(capture.lines[0] == "BEGIN (implicit)");
    CHECK_THAT(capture.lines[1], Catch::Matchers::StartsWith("SELECT "));
    CHECK(capture.lines[2] == "[parameters: (7, 'x')]");
    CHECK(capture.lines[3] == "COMMIT");
}

TEST_CASE("a URL with a password prints masked") {
    auto engine = sa::create_engine("postgresql://scott:tiger@localhost/test");
    CHECK(fmt::format("{}", engine.url()) == "postgresql://scott:***@localhost/test");
}
