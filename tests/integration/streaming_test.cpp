// Streamed results (ExecuteOptions::stream_results): rows read from the database as the
// Result asks for them, a row at a time; what a connection allows while a stream is
// open; closing one early; a failure and a lost connection in the middle of one.
#include "support/backends.hpp"
#include "support/lost_connections.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace sa = alchemy;
using sa::test::Backend;
using sa::test::backends;
using sa::test::LosableDatabase;
using sa::test::MessageContains;

namespace {

constexpr sa::ExecuteOptions streamed{.stream_results = true};

/// A query of the integers 1 to n in order, as column "i", computed as it is read:
/// generate_series in the select list on PostgreSQL, a recursive CTE on SQLite.
std::string series(const Backend& backend, std::int64_t n) {
    const auto last = std::to_string(n);
    if (backend.is_postgresql()) return "SELECT generate_series(1, " + last + ") AS i";
    return "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < " + last +
           ") SELECT i FROM s";
}

/// Far more rows than a test reads, or than fit in the socket buffers between a
/// PostgreSQL server and its client: the server is still sending when the client stops.
constexpr std::int64_t endless = 100'000'000;

/// An empty notes table (each SECTION runs the test case again on the same database).
void create_notes(sa::Engine& engine) {
    auto conn = engine.connect();
    conn.execute(sa::text("DROP TABLE IF EXISTS notes"));
    conn.execute(sa::text("CREATE TABLE notes (body TEXT NOT NULL)"));
    conn.commit();
}

void insert_note(sa::Connection& conn, const std::string& body) {
    conn.execute(sa::text("INSERT INTO notes (body) VALUES (:body)").bind("body", body));
}

std::int64_t count_notes(sa::Engine& engine) {
    auto conn = engine.connect();
    return conn.execute(sa::text("SELECT count(*) FROM notes").columns<std::int64_t>()).scalar_one();
}

/// Reads `n` rows of `rows`, which must have them.
template <class Result>
void read_rows(Result& rows, int n) {
    auto it = rows.begin();
    for (int i = 1; i < n; ++i) {
        REQUIRE(it != rows.end());
        ++it;
    }
}

}  // namespace

TEST_CASE("a streamed result reads 200 000 rows in order and holds one at a time", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    constexpr std::int64_t n = 200'000;
    const auto sql = "SELECT i, 'row ' || i FROM (" + series(backend, n) + ") AS s";

    std::int64_t expected = 1;
    std::size_t most_held = 0;
    for (const auto& [i, label] : conn.execute_sql(sql, {}, streamed).as<std::int64_t, std::string>()) {
        if (i != expected || label != "row " + std::to_string(expected)) {
            FAIL("row " << expected << " came as (" << i << ", '" << label << "')");
        }
        ++expected;
        most_held = std::max(most_held, conn.driver_connection().held_rows());
    }
    CHECK(expected == n + 1);
    CHECK(most_held <= 1);
    if (backend.is_postgresql()) {
        // What the measure means: an executed result is held whole.
        auto whole = conn.execute_sql(series(backend, 1000));
        CHECK(conn.driver_connection().held_rows() == 1000);
    }
    CHECK(conn.driver_connection().held_rows() == 0);
}

TEST_CASE("streamed and executed statements share the prepared statement", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.prepare_threshold = 0});  // PostgreSQL prepares at the first run
    auto conn = engine.connect();
    const auto sql = series(backend, 3);
    const auto count = [&] { return conn.driver_connection().cached_statement_count(); };
    conn.execute(sa::text("SELECT 1"));  // begins the transaction (SQLite caches its BEGIN)
    const auto before = count();
    CHECK(conn.execute_sql(sql, {}, streamed).as<std::int64_t>().all().size() == 3);
    CHECK(count() == before + 1);
    CHECK(conn.execute_sql(sql).as<std::int64_t>().all().size() == 3);
    CHECK(conn.execute_sql(sql, {}, streamed).as<std::int64_t>().all().size() == 3);
    CHECK(count() == before + 1);
}

TEST_CASE("a stream closed early leaves its transaction usable and its earlier work saved", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_notes(engine);
    auto conn = engine.connect();
    insert_note(conn, "before");
    const auto sql = series(backend, endless);

    SECTION("by destroying the Result after 10 rows") {
        auto rows = conn.execute_sql(sql, {}, streamed).as<std::int64_t>();
        read_rows(rows, 10);
    }
    SECTION("by close() after 10 rows") {
        auto rows = conn.execute_sql(sql, {}, streamed).as<std::int64_t>();
        read_rows(rows, 10);
        rows.close();
        CHECK(rows.begin() == rows.end());
    }
    SECTION("by first()") { CHECK(conn.execute_sql(sql, {}, streamed).as<std::int64_t>().first() == 1); }
    SECTION("by first() of a result that arrived whole") {
        CHECK(conn.execute_sql(series(backend, 3), {}, streamed).as<std::int64_t>().first() == 1);
    }
    CHECK(conn.in_transaction());
    insert_note(conn, "after");
    conn.commit();
    CHECK(count_notes(engine) == 2);
}

TEST_CASE("a streamed statement's row count is exact or refused, never a guess", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_notes(engine);
    auto conn = engine.connect();
    for (int i = 0; i < 5; ++i) insert_note(conn, "note " + std::to_string(i));
    const std::string update = "UPDATE notes SET body = body || '!' RETURNING body";
    // SQLite makes a writing statement's changes in its first step and counts them then;
    // PostgreSQL tells the count with the statement's end, after the last row.
    const auto known_at_once = backend.is_sqlite();
    const auto unknown = MessageContains("this streamed result's row count is not known");

    SECTION("read to the end") {
        auto rows = conn.execute_sql(update, {}, streamed).as<std::string>();
        if (known_at_once) CHECK(rows.rowcount() == 5);
        else CHECK_THROWS_MATCHES(rows.rowcount(), sa::InvalidRequestError, unknown);
        int read = 0;
        for (const auto& body : rows) read += body.ends_with('!') ? 1 : 0;
        CHECK(read == 5);
        CHECK(rows.rowcount() == 5);
    }
    SECTION("closed after one row") {
        auto rows = conn.execute_sql(update, {}, streamed).as<std::string>();
        CHECK(rows.first().has_value());  // closes it
        if (known_at_once) CHECK(rows.rowcount() == 5);
        else CHECK_THROWS_MATCHES(rows.rowcount(), sa::InvalidRequestError, unknown);
    }
    SECTION("a query counts no rows, once it has ended") {
        auto rows = conn.execute_sql("SELECT body FROM notes", {}, streamed).as<std::string>();
        CHECK(rows.all().size() == 5);
        CHECK(rows.rowcount() == 0);
    }
    conn.rollback();
}

TEST_CASE("another statement while a stream is open", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    auto isolation =
        GENERATE(std::optional<sa::IsolationLevel>(), std::optional(sa::IsolationLevel::autocommit));
    auto engine = backend.engine({.isolation_level = isolation});
    auto conn = engine.connect();
    auto rows = conn.execute_sql(series(backend, 1000), {}, streamed).as<std::int64_t>();
    auto it = rows.begin();
    REQUIRE(*it == 1);
    const auto other = sa::text("SELECT 41 + 1").columns<std::int64_t>();

    if (backend.is_postgresql()) {
        // One statement at a time on a PostgreSQL connection.
        REQUIRE_THROWS_MATCHES(conn.execute(other), sa::InvalidRequestError,
                               MessageContains("read the streamed result to the end or close "
                                               "it before running another statement"));
        const std::vector<sa::Param> one{sa::Param::of_int(1)};
        CHECK_THROWS_AS(conn.execute_batch("SELECT $1::int8", one, 1), sa::InvalidRequestError);
        const std::vector<std::string_view> columns{"n"};
        CHECK_THROWS_AS(conn.copy_rows("t", columns, one), sa::InvalidRequestError);
        CHECK_THROWS_AS(conn.begin_nested(), sa::InvalidRequestError);
        if (!isolation) {
            CHECK_THROWS_AS(conn.commit(), sa::InvalidRequestError);
        }
        CHECK(conn.in_transaction() == !isolation);
    } else {
        // SQLite steps each statement on its own.
        CHECK(conn.execute(other).scalar_one() == 42);
    }
    // The stream goes on where it was.
    std::int64_t expected = 1;
    for (; it != rows.end(); ++it) REQUIRE(*it == expected++);
    CHECK(expected == 1001);
    CHECK(conn.execute(other).scalar_one() == 42);
    conn.commit();
}

// As in SQLAlchemy, a rollback invalidates the cursors open in what it undoes. On PostgreSQL
// the ROLLBACK cannot even be sent while a statement streams: were the stream left open,
// the work would stay in the transaction for the next commit() to save.
TEST_CASE("a rollback ends the streams open in the transaction it undoes", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    const auto nested = GENERATE(false, true);
    const auto how =
        GENERATE(as<std::string>{}, "the guard's end", "Transaction::rollback()", "Connection::rollback()");
    INFO((nested ? "SAVEPOINT, by " : "root transaction, by ") << how);
    auto engine = backend.engine();
    create_notes(engine);
    auto conn = engine.connect();
    if (nested) insert_note(conn, "kept");  // begins the root transaction the SAVEPOINT goes in
    std::optional<sa::Result<>> rows;
    {
        auto tx = nested ? conn.begin_nested() : conn.begin();
        insert_note(conn, "rolled back");
        rows.emplace(conn.execute_sql(series(backend, endless), {}, streamed));
        REQUIRE(rows->next_row());
        if (how == "Transaction::rollback()") tx.rollback();
        else if (how == "Connection::rollback()") conn.rollback();
    }
    CHECK_FALSE(conn.in_nested_transaction());
    CHECK_THROWS_MATCHES(rows->next_row(), sa::InvalidRequestError,
                         MessageContains("closed when its transaction was rolled back"));
    conn.commit();
    const bool kept = nested && how != "Connection::rollback()";
    CHECK(count_notes(engine) == (kept ? 1 : 0));
}

TEST_CASE("a failure in the middle of a stream is raised by next() as a DatabaseError", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_notes(engine);
    auto conn = engine.connect();
    insert_note(conn, "earlier");
    // Row 50 000 fails: the absolute value of the smallest bigint overflows on both backends.
    const auto sql =
        "SELECT CASE WHEN i = 50000 THEN abs(i - 50000 - 9223372036854775807 - 1) "
        "ELSE i END FROM (" +
        series(backend, 200'000) + ") AS s";
    auto rows = conn.execute_sql(sql, {}, streamed).as<std::int64_t>();
    std::int64_t read = 0;
    try {
        for (const auto i : rows) REQUIRE(i == ++read);
        FAIL("the stream ended without its failure");
    } catch (const sa::DatabaseError& e) {
        CHECK_FALSE(e.connection_invalidated());
    }
    CHECK(read == 49'999);
    CHECK(rows.begin() == rows.end());
    // A query changes no rows, which SQLite knows from the start; PostgreSQL's count would
    // have come with the statement's end, which the failure took.
    if (backend.is_sqlite()) CHECK(rows.rowcount() == 0);
    else CHECK_THROWS_AS(rows.rowcount(), sa::InvalidRequestError);

    SECTION("rollback() ends the transaction as after a failed executed statement") {
        conn.rollback();
        CHECK(count_notes(engine) == 0);
    }
    SECTION("commit() does what it does after a failed executed statement") {
        if (backend.is_postgresql()) {
            // The failure aborted the transaction: COMMIT rolls it back and says so.
            CHECK_THROWS_AS(conn.commit(), sa::DatabaseError);
            CHECK(count_notes(engine) == 0);
        } else {
            // SQLite undid the failed statement alone.
            conn.commit();
            CHECK(count_notes(engine) == 1);
        }
    }
    CHECK_FALSE(conn.in_transaction());
    CHECK(conn.execute(sa::text("SELECT 7").columns<std::int64_t>()).scalar_one() == 7);
}

TEST_CASE("a stream that is the first statement of a transaction runs inside it", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_notes(engine);
    auto conn = engine.connect();
    auto tx = conn.begin();  // on PostgreSQL the BEGIN waits for the first statement
    const auto inserted =
        conn.execute_sql("INSERT INTO notes (body) VALUES ('a'), ('b'), ('c') RETURNING body", {}, streamed)
            .as<std::string>()
            .all();
    CHECK(inserted == std::vector<std::string>{"a", "b", "c"});
    CHECK(conn.driver_connection().in_transaction());
    tx.rollback();
    CHECK(count_notes(engine) == 0);
}

TEST_CASE("streams under AUTOCOMMIT", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.isolation_level = sa::IsolationLevel::autocommit});
    create_notes(engine);
    auto conn = engine.connect();

    SECTION("read to the end") {
        std::int64_t expected = 1;
        for (const auto i : conn.execute_sql(series(backend, 10'000), {}, streamed).as<std::int64_t>())
            REQUIRE(i == expected++);
        CHECK(expected == 10'001);
    }
    SECTION("closed early") {
        auto rows = conn.execute_sql(series(backend, endless), {}, streamed).as<std::int64_t>();
        read_rows(rows, 10);
    }
    SECTION("a data-modifying statement commits by itself") {
        CHECK(conn.execute_sql("INSERT INTO notes (body) VALUES ('a') RETURNING body", {}, streamed)
                  .as<std::string>()
                  .all() == std::vector<std::string>{"a"});
        CHECK(count_notes(engine) == 1);
    }
    CHECK_FALSE(conn.in_transaction());
    const auto before = count_notes(engine);
    insert_note(conn, "next");
    CHECK(count_notes(engine) == before + 1);
}

TEST_CASE("a stream survives a statement cache the server invalidated", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_notes(engine);
    auto conn = engine.connect();
    const auto sql = "SELECT * FROM notes";
    insert_note(conn, "kept");
    CHECK(conn.execute_sql(sql, {}, streamed).as<std::string>().all().size() == 1);
    // The cached plan's columns change under it (PostgreSQL: "cached plan must not change
    // result type"); the stream undoes its failed statement alone and runs it again.
    conn.execute(sa::text("ALTER TABLE notes ADD COLUMN extra INTEGER"));
    const auto rows =
        conn.execute_sql(sql, {}, streamed).as<std::string, std::optional<std::int64_t>>().all();
    CHECK(rows.size() == 1);
    conn.commit();
    CHECK(count_notes(engine) == 1);
}

TEST_CASE("a connection lost in the middle of a stream invalidates the Connection", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    LosableDatabase db(backend);
    std::string sql;
    {
        auto observer = db.observer();
        auto setup = observer.connect();
        setup.execute(sa::text("DROP TABLE IF EXISTS notes"));
        setup.execute(sa::text("DROP TABLE IF EXISTS ballast"));
        setup.execute(sa::text("CREATE TABLE notes (body TEXT NOT NULL)"));
        // SQLite: rows spread over many pages, so reading on after the first rows needs
        // the disk, whose I/O fails once the connection is lost. PostgreSQL: a series
        // the server is still sending when its connection is terminated.
        setup.execute(sa::text("CREATE TABLE ballast (n BIGINT NOT NULL)"));
        setup.execute_sql("INSERT INTO ballast (n) " + series(backend, 20'000));
        setup.commit();
        sql = backend.is_sqlite() ? "SELECT n FROM ballast" : series(backend, endless);
    }
    auto engine = db.engine();
    auto conn = engine.connect();
    insert_note(conn, "lost");
    auto rows = conn.execute_sql(sql, {}, streamed).as<std::int64_t>();
    read_rows(rows, 10);
    db.lose_connections();
    try {
        for (auto it = rows.begin(); it != rows.end(); ++it) {}
        FAIL("a stream on a lost connection read to its end");
    } catch (const sa::OperationalError& e) {
        CHECK(e.connection_invalidated());
    }
    CHECK_THROWS_AS(conn.commit(), sa::PendingRollbackError);
    CHECK(conn.in_transaction());
    conn.rollback();
    auto observer = db.observer();
    CHECK(count_notes(observer) == 0);
    // The next statement reconnects.
    insert_note(conn, "saved");
    conn.commit();
    CHECK(count_notes(observer) == 1);
}

// A driver decodes each row's columns once, when the cursor moves there (Cursor's cells):
// the decoded values must go with the row, whichever way it ends.
TEST_CASE("a cursor reads no column once its last row went, executed or streamed", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    const bool stream = GENERATE(false, true);
    auto engine = backend.engine();
    auto conn = engine.connect();
    auto& driver = conn.driver_connection();
    const auto sql = "SELECT i, 'row ' || i, i * 0.5, NULL FROM (" + series(backend, 2) + ") AS s";
    auto& cursor = stream ? driver.stream(sql, {}) : driver.execute(sql, {});
    for (std::int64_t i = 1; i <= 2; ++i) {
        REQUIRE(cursor.next());
        CHECK(cursor.read_int(0) == i);
        CHECK(cursor.read_text(0) == std::to_string(i));  // another kind: converted by the driver
        CHECK(cursor.read_text(1) == "row " + std::to_string(i));
        CHECK(cursor.read_real(2) == static_cast<double>(i) * 0.5);
        CHECK(cursor.is_null(3));
        CHECK_FALSE(cursor.is_null(0));
        CHECK_THROWS_AS(cursor.read_int(4), sa::ArgumentError);
    }
    CHECK_FALSE(cursor.next());
    CHECK_THROWS_AS(cursor.is_null(0), sa::InvalidRequestError);
    CHECK_THROWS_AS(cursor.read_int(0), sa::InvalidRequestError);
    CHECK_THROWS_AS(cursor.read_text(1), sa::InvalidRequestError);
    cursor.close();
    CHECK_THROWS_AS(cursor.read_real(2), sa::InvalidRequestError);
}

namespace {

/// Inserts a row of counters as create_counters() does.
void insert_counter(sa::Connection& conn, std::int64_t id) {
    conn.execute(sa::text("INSERT INTO counters (id, n, label) VALUES (:id, :id, :label)")
                     .bind("id", id)
                     .bind("label", "row " + std::to_string(id)));
}

/// counters(id, n, label) holding the ids 1 to 10, each with n = id and label "row <id>".
void create_counters(sa::Engine& engine) {
    auto conn = engine.connect();
    conn.execute(sa::text("DROP TABLE IF EXISTS counters"));
    conn.execute(sa::text("CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, label TEXT)"));
    for (std::int64_t id = 1; id <= 10; ++id) insert_counter(conn, id);
    conn.commit();
}

std::int64_t count_counters(sa::Connection& conn) {
    return conn.execute(sa::text("SELECT count(*) FROM counters").columns<std::int64_t>()).scalar_one();
}

/// The ids an executed query of counters returns while write(id) runs at each of its rows
/// (at most 101: SQLite would otherwise read the rows an INSERT adds, without end). Checks
/// that the row the loop is on still reads as the query saw it after each write.
template <class Write>
std::vector<std::int64_t> ids_read_while(sa::Connection& conn, Write write) {
    std::vector<std::int64_t> seen;
    auto rows = conn.execute_sql("SELECT id, n, label FROM counters ORDER BY id");
    while (seen.size() <= 100 && rows.next_row()) {
        const auto& row = rows.current_row();
        const auto id = row.read_int(0);
        write(id);
        CHECK(row.read_int(0) == id);
        CHECK(row.read_int(1) == id);
        CHECK(row.read_text(2) == "row " + std::to_string(id));
        seen.push_back(id);
    }
    return seen;
}

}  // namespace

TEST_CASE("an executed query returns its statement's rows while its loop changes the table", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_counters(engine);
    auto conn = engine.connect();
    const std::vector<std::int64_t> ten{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

    SECTION("an INSERT at each row") {
        CHECK(ids_read_while(conn, [&](std::int64_t id) { insert_counter(conn, id + 1000); }) == ten);
        CHECK(count_counters(conn) == 20);
    }
    SECTION("an INSERT at each row under AUTOCOMMIT") {
        conn.set_isolation_level(sa::IsolationLevel::autocommit);
        CHECK(ids_read_while(conn, [&](std::int64_t id) { insert_counter(conn, id + 1000); }) == ten);
        auto other = engine.connect();
        CHECK(count_counters(other) == 20);
    }
    SECTION("a DELETE of the current row and those not read yet") {
        CHECK(ids_read_while(conn, [&](std::int64_t id) {
                  if (id == 3) conn.execute(sa::text("DELETE FROM counters WHERE id >= 3"));
              }) == ten);
        CHECK(count_counters(conn) == 2);
    }
    SECTION("an UPDATE of every row at each row") {
        // ids_read_while checks that each row keeps n = id.
        CHECK(ids_read_while(conn, [&](std::int64_t) {
                  conn.execute(sa::text("UPDATE counters SET n = n + 1"));
              }) == ten);
        CHECK(conn.execute(sa::text("SELECT min(n) FROM counters").columns<std::int64_t>()).scalar_one() ==
              11);
    }
    SECTION("a ROLLBACK TO SAVEPOINT of rows inserted before the query") {
        auto savepoint = conn.begin_nested();
        conn.execute(sa::text("DELETE FROM counters WHERE id > 5"));
        CHECK(ids_read_while(conn, [&](std::int64_t id) {
                  if (id == 1) savepoint.rollback();
              }) == std::vector<std::int64_t>{1, 2, 3, 4, 5});
        CHECK(count_counters(conn) == 10);
    }
    SECTION("copy_rows") {
        const std::vector<std::string_view> columns{"id", "n"};
        CHECK(ids_read_while(conn, [&](std::int64_t id) {
                  const std::vector<sa::Param> row{sa::Param::of_int(id + 1000), sa::Param::of_int(0)};
                  conn.copy_rows("counters", columns, row);
              }) == ten);
        CHECK(count_counters(conn) == 20);
    }
    SECTION("execute_batch") {
        const auto sql = backend.is_postgresql() ? "INSERT INTO counters (id, n) VALUES ($1, 0)"
                                                 : "INSERT INTO counters (id, n) VALUES (?, 0)";
        CHECK(ids_read_while(conn, [&](std::int64_t id) {
                  const std::vector<sa::Param> row{sa::Param::of_int(id + 1000)};
                  conn.execute_batch(sql, row, 1);
              }) == ten);
        CHECK(count_counters(conn) == 20);
    }
    SECTION("execute_script") {
        CHECK(ids_read_while(conn, [&](std::int64_t id) {
                  if (id == 1) conn.execute_script("DELETE FROM counters WHERE id > 1");
              }) == ten);
        CHECK(count_counters(conn) == 1);
    }
    SECTION("the same query inside the loop, writing in its own loop") {
        // The cache serves the inner query a second statement of the same SQL: both are
        // open at the write.
        CHECK(ids_read_while(conn, [&](std::int64_t outer) {
                  CHECK(ids_read_while(conn, [&](std::int64_t inner) {
                            if (inner == 1) insert_counter(conn, outer + 1000);
                        }).size() == static_cast<std::size_t>(9 + outer));
              }) == ten);
        CHECK(count_counters(conn) == 20);
    }
    conn.commit();
}

TEST_CASE("a write reads an executed query's rows ahead, not a streamed one's", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_counters(engine);
    create_notes(engine);
    auto conn = engine.connect();
    const auto sql = "SELECT id FROM counters ORDER BY id";

    {
        auto rows = conn.execute_sql(sql).as<std::int64_t>();
        auto it = rows.begin();
        REQUIRE(*it == 1);
        insert_note(conn, "a write to another table");
        // PostgreSQL held the rows all along; SQLite read them ahead for the write.
        CHECK(conn.driver_connection().held_rows() == 10);
        std::int64_t expected = 1;
        for (; it != rows.end(); ++it) CHECK(*it == expected++);
        CHECK(expected == 11);
    }
    CHECK(conn.driver_connection().held_rows() == 0);
    // PostgreSQL runs no other statement while a stream is open.
    if (!backend.is_sqlite()) return;
    std::int64_t expected = 1;
    for (const auto id : conn.execute_sql(sql, {}, streamed).as<std::int64_t>()) {
        CHECK(id == expected++);
        insert_note(conn, "a write to another table");
        CHECK(conn.driver_connection().held_rows() == 0);
    }
    CHECK(expected == 11);
    CHECK(count_notes(engine) == 0);  // not committed yet
    conn.commit();
    CHECK(count_notes(engine) == 11);
}

TEST_CASE("on SQLite, a query failing while read ahead raises at its next row", "[stream]") {
    auto backend = GENERATE(from_range(backends()));
    // PostgreSQL computes an executed result whole: the query itself fails.
    if (!backend.is_sqlite()) return;
    auto engine = backend.engine();
    create_notes(engine);
    auto conn = engine.connect();
    // abs() of the least 64-bit integer overflows, at the third row.
    auto rows = conn.execute_sql(
                        "SELECT abs(v) FROM (SELECT 1 AS v UNION ALL SELECT 2 UNION ALL "
                        "SELECT -9223372036854775807 - 1)")
                    .as<std::int64_t>();
    auto it = rows.begin();
    REQUIRE(*it == 1);
    insert_note(conn, "runs regardless");
    CHECK_THROWS_MATCHES(++it, sa::DatabaseError, MessageContains("integer overflow"));
    conn.commit();
    CHECK(count_notes(engine) == 1);
}
