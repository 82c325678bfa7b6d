// Transactions on both backends: commit, rollback, RAII rollback, savepoints, autobegin.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;

namespace {

void create_accounts(sa::Engine& engine) {
    auto conn = engine.connect();
    conn.execute(sa::text("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL)"));
    conn.commit();
}

std::int64_t count_accounts(sa::Engine& engine) {
    auto conn = engine.connect();
    return conn.execute(sa::text("SELECT count(*) FROM accounts").columns<std::int64_t>()).scalar_one();
}

void insert_account(sa::Connection& conn, int id, std::string owner) {
    conn.execute(sa::text("INSERT INTO accounts (id, owner) VALUES (:id, :owner)")
                     .bind("id", id)
                     .bind("owner", owner));
}

/// How a SQLite table makes a failing INSERT end the whole transaction, not only the statement.
enum class RollbackOnFailure { raise_rollback_trigger, on_conflict_rollback_column };

/// A SQLite engine whose accounts hold one owned by "taken", and where inserting another
/// account for "taken" fails and makes SQLite roll back the whole transaction.
sa::Engine engine_rolling_back_on_failure(RollbackOnFailure how, sa::EngineOptions options = {}) {
    auto engine = sa::create_engine(sa::test::sqlite_temp_url(), std::move(options));
    auto conn = engine.connect();
    if (how == RollbackOnFailure::raise_rollback_trigger) {
        create_accounts(engine);
        insert_account(conn, 100, "taken");
        conn.execute_script(
            "CREATE TRIGGER refuse_taken BEFORE INSERT ON accounts WHEN NEW.owner = 'taken' "
            "BEGIN SELECT RAISE(ROLLBACK, 'the owner is taken'); END");
    } else {
        conn.execute_script(
            "CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL UNIQUE ON CONFLICT "
            "ROLLBACK)");
        insert_account(conn, 100, "taken");
    }
    conn.commit();
    return engine;
}

std::vector<std::string> owners(sa::Engine& engine) {
    auto conn = engine.connect();
    return conn.execute(sa::text("SELECT owner FROM accounts ORDER BY owner").columns<std::string>()).all();
}

}  // namespace

TEST_CASE("a committed transaction is visible to other connections") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_accounts(engine);
    {
        auto conn = engine.connect();
        auto tx = conn.begin();
        insert_account(conn, 1, "ann");
        tx.commit();
        CHECK_FALSE(tx.is_active());
    }
    CHECK(count_accounts(engine) == 1);
}

TEST_CASE("a rolled back transaction leaves nothing behind") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_accounts(engine);
    auto conn = engine.connect();
    auto tx = conn.begin();
    insert_account(conn, 1, "ann");
    tx.rollback();
    CHECK(conn.execute(sa::text("SELECT count(*) FROM accounts").columns<std::int64_t>()).scalar_one() == 0);
    CHECK(count_accounts(engine) == 0);
}

TEST_CASE("the transaction destructor rolls back when an exception leaves the scope") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_accounts(engine);
    auto conn = engine.connect();
    try {
        auto tx = conn.begin();
        insert_account(conn, 1, "ann");
        throw std::runtime_error("business rule failed");
    } catch (const std::runtime_error&) {}
    CHECK_FALSE(conn.in_transaction());
    CHECK(count_accounts(engine) == 0);
}

TEST_CASE("rolling back a savepoint keeps the outer transaction's work") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_accounts(engine);
    {
        auto conn = engine.connect();
        auto tx = conn.begin();
        insert_account(conn, 1, "outer");
        {
            auto nested = conn.begin_nested();
            CHECK(conn.in_nested_transaction());
            insert_account(conn, 2, "inner");
            nested.rollback();
            CHECK_FALSE(nested.is_active());
        }
        {
            auto nested = conn.begin_nested();
            insert_account(conn, 3, "kept");
            nested.commit();
        }
        tx.commit();
    }
    auto conn = engine.connect();
    auto owners =
        conn.execute(sa::text("SELECT owner FROM accounts ORDER BY id").columns<std::string>()).all();
    CHECK(owners == std::vector<std::string>{"outer", "kept"});
}

TEST_CASE("a savepoint that fails with an integrity error can be rolled back alone") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_accounts(engine);
    auto conn = engine.connect();
    auto tx = conn.begin();
    insert_account(conn, 1, "ann");
    {
        auto nested = conn.begin_nested();
        CHECK_THROWS_AS(insert_account(conn, 1, "duplicate"), sa::UniqueViolation);
        nested.rollback();
    }
    insert_account(conn, 2, "bob");
    tx.commit();
    CHECK(count_accounts(engine) == 2);
}

TEST_CASE(
    "a SQLite failure that rolls back the whole transaction leaves it to rollback(), not to autocommit") {
    const auto how =
        GENERATE(RollbackOnFailure::raise_rollback_trigger, RollbackOnFailure::on_conflict_rollback_column);
    sa::test::EchoCapture capture;
    auto engine = engine_rolling_back_on_failure(how, {.echo = true, .echo_sink = capture.sink()});
    auto conn = engine.connect();
    insert_account(conn, 1, "ann");
    SECTION("in a statement") { CHECK_THROWS_AS(insert_account(conn, 2, "taken"), sa::IntegrityError); }
    SECTION("in a batch") {
        const sa::Param rows[] = {sa::Param::of_int(2), sa::Param::of_text("bea"), sa::Param::of_int(3),
                                  sa::Param::of_text("taken")};
        CHECK_THROWS_AS(conn.execute_batch("INSERT INTO accounts (id, owner) VALUES (?, ?)", rows, 2),
                        sa::IntegrityError);
    }
    CHECK(conn.in_transaction());
    // Each would run in SQLite's autocommit mode and commit on its own.
    CHECK_THROWS_MATCHES(
        insert_account(conn, 4, "bob"), sa::PendingRollbackError,
        sa::test::MessageContains("rolled this transaction back when one of its statements failed") &&
            sa::test::MessageContains("[SQL: INSERT INTO accounts"));
    CHECK_THROWS_AS(conn.execute(sa::text("SELECT count(*) FROM accounts")), sa::PendingRollbackError);
    CHECK_THROWS_AS(conn.begin_nested(), sa::PendingRollbackError);
    CHECK_THROWS_AS(conn.commit(), sa::PendingRollbackError);
    CHECK(conn.in_transaction());

    capture.lines.clear();
    conn.rollback();
    // SQLite has no transaction left to roll back: nothing is sent.
    CHECK(capture.lines ==
          std::vector<std::string>{"ROLLBACK (the database already ended the transaction; nothing to send)"});
    CHECK_FALSE(conn.in_transaction());
    CHECK(owners(engine) == std::vector<std::string>{"taken"});

    insert_account(conn, 5, "cy");  // in a new transaction
    CHECK(conn.driver_connection().in_transaction());
    conn.commit();
    CHECK(owners(engine) == std::vector<std::string>{"cy", "taken"});
}

TEST_CASE(
    "a SQLite failure that rolls back the whole transaction is no SAVEPOINT's, and no guard commits it") {
    const auto how =
        GENERATE(RollbackOnFailure::raise_rollback_trigger, RollbackOnFailure::on_conflict_rollback_column);
    auto engine = engine_rolling_back_on_failure(how);
    auto conn = engine.connect();
    SECTION("the guard's destructor acknowledges it while the error unwinds") {
        try {
            auto tx = conn.begin();
            insert_account(conn, 1, "ann");
            CHECK_THROWS_AS(insert_account(conn, 2, "taken"), sa::IntegrityError);
            insert_account(conn, 3, "bob");
            tx.commit();
            FAIL("bob's account was inserted outside the transaction");
        } catch (const sa::PendingRollbackError&) {}
    }
    SECTION("inside a SAVEPOINT, which ended with the transaction") {
        auto tx = conn.begin();
        insert_account(conn, 1, "ann");
        {
            auto nested = conn.begin_nested();
            CHECK_THROWS_AS(insert_account(conn, 2, "taken"), sa::IntegrityError);
            CHECK_THROWS_AS(nested.rollback(), sa::PendingRollbackError);
            CHECK_THROWS_AS(nested.commit(), sa::PendingRollbackError);
        }
        CHECK_THROWS_AS(insert_account(conn, 3, "bob"), sa::PendingRollbackError);
        CHECK_THROWS_AS(tx.commit(), sa::PendingRollbackError);
        CHECK(tx.is_active());
        tx.rollback();
    }
    CHECK_FALSE(conn.in_transaction());
    CHECK(owners(engine) == std::vector<std::string>{"taken"});
}

/// Runs `read` with SQLite's heap held to a few MB above what it uses now, so that a row
/// needing more makes SQLite fail with "out of memory" while the rows are read.
template <class Read>
void with_little_sqlite_memory(Read&& read) {
    sqlite3_hard_heap_limit64(sqlite3_memory_used() + 4'000'000);
    struct Lift {
        ~Lift() { sqlite3_hard_heap_limit64(0); }
    } lift;
    std::forward<Read>(read)();
}

TEST_CASE("a SQLite failure while rows are read that rolls back the transaction leaves it to rollback()") {
    // Out of memory in a SELECT that reads a table makes SQLite roll back the whole
    // transaction, after execute() returned, so no statement's error handling sees it.
    auto engine = sa::create_engine(sa::test::sqlite_temp_url());
    create_accounts(engine);
    auto conn = engine.connect();
    insert_account(conn, 1, "ann");
    insert_account(conn, 2, "bea");
    conn.commit();
    insert_account(conn, 3, "cy");
    std::vector<std::int64_t> lengths;
    with_little_sqlite_memory([&] {
        auto result = conn.execute(sa::text("SELECT length(randomblob(CASE WHEN id = 1 THEN 10 ELSE 20000000 "
                                            "END)) FROM accounts ORDER BY id")
                                       .columns<std::int64_t>());
        CHECK_THROWS_AS(
            [&] {
                for (auto length : result) lengths.push_back(length);
            }(),
            sa::OperationalError);
    });
    CHECK(lengths == std::vector<std::int64_t>{10});
    // dan's account would be inserted in SQLite's autocommit mode and saved on its own.
    CHECK_THROWS_MATCHES(insert_account(conn, 4, "dan"), sa::PendingRollbackError,
                         sa::test::MessageContains("has no transaction open any more"));
    CHECK_THROWS_AS(conn.commit(), sa::PendingRollbackError);
    conn.rollback();
    CHECK(owners(engine) == std::vector<std::string>{"ann", "bea"});
    insert_account(conn, 4, "dan");
    conn.commit();
    CHECK(owners(engine) == std::vector<std::string>{"ann", "bea", "dan"});
}

TEST_CASE("statements begin a transaction implicitly and uncommitted work is rolled back on return") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_accounts(engine);
    {
        auto conn = engine.connect();
        insert_account(conn, 1, "ann");
        CHECK(conn.in_transaction());
        CHECK(conn.driver_connection().in_transaction());
    }  // returned to the pool without commit
    CHECK(count_accounts(engine) == 0);
    {
        auto conn = engine.connect();
        insert_account(conn, 1, "ann");
        conn.commit();
        CHECK_FALSE(conn.in_transaction());
    }
    CHECK(count_accounts(engine) == 1);
}

TEST_CASE("a connection returned to the pool comes back with no open transaction") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.pool_size = 1, .max_overflow = 0});
    create_accounts(engine);
    const sa::DriverConnection* first = nullptr;
    {
        auto conn = engine.connect();
        first = &conn.driver_connection();
        insert_account(conn, 1, "ann");
    }
    auto conn = engine.connect();
    CHECK(&conn.driver_connection() == first);  // the same connection, reset
    CHECK_FALSE(conn.driver_connection().in_transaction());
    CHECK(conn.execute(sa::text("SELECT count(*) FROM accounts").columns<std::int64_t>()).scalar_one() == 0);
}

TEST_CASE("engine.begin gives a connection whose transaction commits explicitly") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_accounts(engine);
    {
        auto conn = engine.begin();
        CHECK(conn.in_transaction());
        insert_account(conn, 1, "ann");
    }  // not committed: rolled back
    CHECK(count_accounts(engine) == 0);
    {
        auto conn = engine.begin();
        insert_account(conn, 1, "ann");
        conn.commit();
    }
    CHECK(count_accounts(engine) == 1);
}

TEST_CASE("begin while a transaction is open is refused with advice") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    auto conn = engine.connect();
    auto tx = conn.begin();
    REQUIRE_THROWS_MATCHES(conn.begin(), sa::InvalidRequestError, sa::test::MessageContains("already begun"));
    tx.rollback();
    REQUIRE_THROWS_AS(tx.commit(), sa::InvalidRequestError);
}

TEST_CASE("committing the connection ends the transaction guards it handed out") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_accounts(engine);
    auto conn = engine.connect();
    auto tx = conn.begin();
    auto nested = conn.begin_nested();
    insert_account(conn, 1, "ann");
    conn.commit();
    CHECK_FALSE(tx.is_active());
    CHECK_FALSE(nested.is_active());
    CHECK(count_accounts(engine) == 1);
}

TEST_CASE("autocommit isolation commits each statement on its own") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.isolation_level = sa::IsolationLevel::autocommit});
    create_accounts(engine);
    {
        auto conn = engine.connect();
        insert_account(conn, 1, "ann");
        CHECK_FALSE(conn.in_transaction());
    }
    CHECK(count_accounts(engine) == 1);
}

TEST_CASE("begin_nested() under AUTOCOMMIT is refused, and statements still commit on their own") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.isolation_level = sa::IsolationLevel::autocommit});
    create_accounts(engine);
    {
        auto conn = engine.connect();
        // A SAVEPOINT needs a transaction, which an implicit BEGIN would leave open after
        // the RELEASE, with every later statement in it until the pool rolled it back.
        CHECK_THROWS_MATCHES(conn.begin_nested(), sa::InvalidRequestError,
                             sa::test::MessageContains("begin()"));
        CHECK_FALSE(conn.in_transaction());
        insert_account(conn, 1, "ann");
        CHECK_FALSE(conn.in_transaction());
        // With begin() first, the savepoint lives in that transaction and commits with it.
        auto transaction = conn.begin();
        {
            auto savepoint = conn.begin_nested();
            insert_account(conn, 2, "bob");
            savepoint.commit();
        }
        transaction.commit();
        insert_account(conn, 3, "cy");
    }
    CHECK(count_accounts(engine) == 3);
}

TEST_CASE("isolation levels are applied per engine and per connection") {
    auto backend = GENERATE(from_range(backends()));
    if (backend.is_postgresql()) {
        auto engine = backend.engine({.isolation_level = sa::IsolationLevel::repeatable_read});
        auto conn = engine.connect();
        CHECK(conn.execute(sa::text("SHOW transaction_isolation").columns<std::string>()).scalar_one() ==
              "repeatable read");
        conn.rollback();
        conn.set_isolation_level(sa::IsolationLevel::serializable);
        CHECK(conn.execute(sa::text("SHOW transaction_isolation").columns<std::string>()).scalar_one() ==
              "serializable");
    } else {
        auto engine = backend.engine({.isolation_level = sa::IsolationLevel::read_uncommitted});
        auto conn = engine.connect();
        CHECK(conn.execute(sa::text("PRAGMA read_uncommitted").columns<std::int64_t>()).scalar_one() == 1);
        CHECK_THROWS_AS(backend.engine({.isolation_level = sa::IsolationLevel::repeatable_read}),
                        sa::ArgumentError);
    }
    // A level written as text (a config file) is parsed before it reaches the engine.
    CHECK(sa::parse_isolation_level("repeatable read") == sa::IsolationLevel::repeatable_read);
    CHECK(sa::parse_isolation_level("AUTOCOMMIT") == sa::IsolationLevel::autocommit);
    CHECK_THROWS_WITH(sa::parse_isolation_level("SOMETIMES"),
                      Catch::Matchers::Contains("unknown isolation_level 'SOMETIMES'"));
}

TEST_CASE("a prepared transaction survives its connection and is committed or rolled back from another") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_accounts(engine);
    // Unique per run: a server's prepared transactions are shared by all its databases.
    const auto xid = "alchemy_test_" + std::to_string(std::random_device{}()) + "_";
    auto conn = engine.connect();
    if (backend.is_sqlite()) {
        insert_account(conn, 1, "ann");
        CHECK_THROWS_AS(conn.prepare_transaction(xid + "1"), sa::ArgumentError);
        return;
    }
    CHECK_THROWS_AS(conn.prepare_transaction(xid + "1"), sa::InvalidRequestError);  // no transaction
    insert_account(conn, 1, "ann");
    CHECK_THROWS_AS(conn.prepare_transaction("x'; DROP TABLE accounts; --"), sa::ArgumentError);
    CHECK_THROWS_AS(conn.commit_prepared(xid + "1"), sa::InvalidRequestError);  // inside a transaction
    conn.prepare_transaction(xid + "1");
    CHECK_FALSE(conn.in_transaction());
    CHECK(count_accounts(engine) == 0);  // prepared, not committed
    conn.close();

    auto other = engine.connect();
    other.commit_prepared(xid + "1");
    CHECK(count_accounts(engine) == 1);
    insert_account(other, 2, "bob");
    other.prepare_transaction(xid + "2");
    other.rollback_prepared(xid + "2");
    CHECK(count_accounts(engine) == 1);
    // Ending one twice is an error of the server's, typed.
    CHECK_THROWS_AS(other.commit_prepared(xid + "2"), sa::DatabaseError);
}

// PostgreSQL sends a ROLLBACK without awaiting its reply (src/drivers/postgresql/
// pg_transaction_ends.cpp); whatever the pooled connection runs next reads it first. Each
// kind of call that can come next must see the rolled-back state and leave the
// connection fit for more, on the one connection a pool of one holds.
TEST_CASE("after a rollback, each kind of call on the same connection sees it undone") {
    // First, so that each call gets fresh databases.
    const std::string next_call = GENERATE("statement", "script", "batch", "copy", "stream", "prepared",
                                           "pre-ping", "autocommit", "session");
    auto backend = GENERATE(from_range(backends()));
    CAPTURE(next_call);
    sa::EngineOptions options{.pool_size = 1, .max_overflow = 0};
    if (next_call == "prepared") options.prepare_threshold = 0;
    if (next_call == "pre-ping") options.pool_pre_ping = true;
    auto engine = backend.engine(options);
    create_accounts(engine);
    {
        sa::Session session(engine);
        session.execute(sa::text("INSERT INTO accounts (id, owner) VALUES (1, 'ann')"));
    }  // closed: rolled back
    {
        auto conn = engine.connect();
        insert_account(conn, 2, "bob");
        conn.rollback();
        CHECK_FALSE(conn.driver_connection().in_transaction());
    }
    const auto count = sa::text("SELECT count(*) FROM accounts").columns<std::int64_t>();
    if (next_call == "session") {
        sa::Session session(engine);
        CHECK(session.execute(count).scalar_one() == 0);
        session.execute(sa::text("INSERT INTO accounts (id, owner) VALUES (3, 'cy')"));
        session.commit();
    } else {
        auto conn = engine.connect();
        std::vector<sa::Param> row{sa::Param::of_int(3), sa::Param::of_text("cy")};
        std::string insert = "INSERT INTO accounts (id, owner) VALUES (";
        conn.dialect().append_placeholder(insert, 1);
        insert += ", ";
        conn.dialect().append_placeholder(insert, 2);
        insert += ")";
        if (next_call == "script") {
            conn.execute_script("INSERT INTO accounts (id, owner) VALUES (3, 'cy')");
        } else if (next_call == "batch") {
            CHECK(conn.execute_batch(insert, row, 2) == std::vector<std::int64_t>{1});
        } else if (next_call == "copy") {
            const std::vector<std::string_view> columns{"id", "owner"};
            CHECK(conn.copy_rows("accounts", columns, row) == 1);
        } else if (next_call == "stream") {
            const auto sql = "SELECT count(*) FROM accounts";
            CHECK(conn.execute_sql(sql, {}, {.stream_results = true}).as<std::int64_t>().scalar_one() == 0);
            insert_account(conn, 3, "cy");
        } else {
            if (next_call == "autocommit") conn.set_isolation_level(sa::IsolationLevel::autocommit);
            insert_account(conn, 3, "cy");
        }
        CHECK(conn.execute(count).scalar_one() == 1);
        conn.commit();
    }
    auto check = engine.connect();
    CHECK(check.execute(sa::text("SELECT owner FROM accounts").columns<std::string>()).all() ==
          std::vector<std::string>{"cy"});
    CHECK(engine.pool_status().connects == 1);  // never replaced
}

// The ROLLBACK is sent at once, though its reply waits: the transaction's locks go with it.
TEST_CASE("a closed Session's locks are released while its connection waits in the pool") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.pool_size = 1, .max_overflow = 0});
    create_accounts(engine);
    {
        auto conn = engine.connect();
        insert_account(conn, 1, "ann");
        conn.commit();
    }
    {
        sa::Session session(engine);
        session.execute(sa::text("UPDATE accounts SET owner = 'bob' WHERE id = 1"));
    }
    auto other_engine = backend.engine();
    auto other = other_engine.connect();
    // Without the release this waits: 2 s on PostgreSQL, SQLite's busy timeout otherwise.
    if (backend.is_postgresql()) other.execute(sa::text("SET lock_timeout = '2s'"));
    other.execute(sa::text("UPDATE accounts SET owner = 'cy' WHERE id = 1"));
    other.commit();
    sa::Session session(engine);
    CHECK(session.execute(sa::text("SELECT owner FROM accounts").columns<std::string>()).scalar_one() ==
          "cy");
}

// PostgreSQL sends a transaction's BEGIN with its first statement. A first statement to be
// prepared (at its first run under prepare_threshold 0, or at the run that crosses the
// default threshold) sends it ahead of its Parse: failing there must abort the
// transaction as a failure in any other place does, or what follows would commit.
TEST_CASE("a statement that fails to prepare aborts its transaction wherever it comes in it") {
    // First, so that each case gets a fresh database.
    const bool at_first_run = GENERATE(true, false);
    const bool streamed = GENERATE(false, true);
    const int position = GENERATE(1, 2);
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;  // SQLite goes on after a failed statement
    CAPTURE(at_first_run, streamed, position);
    sa::EngineOptions options;
    if (at_first_run) options.prepare_threshold = 0;
    auto engine = backend.engine(options);
    create_accounts(engine);
    auto conn = engine.connect();
    const std::string missing = "INSERT INTO no_such_table VALUES (1)";
    if (!at_first_run) {
        // The unnamed runs up to the threshold, each in a transaction of its own.
        for (int run = 0; run < *sa::EngineOptions{}.prepare_threshold; ++run) {
            CHECK_THROWS_AS(conn.execute_sql(missing), sa::ProgrammingError);
            conn.rollback();
        }
    }
    if (position == 2) insert_account(conn, 1, "ann");
    CHECK_THROWS_AS(conn.execute_sql(missing, {}, {.stream_results = streamed}), sa::ProgrammingError);
    CHECK_THROWS_AS(insert_account(conn, 2, "bob"), sa::InternalError);  // 25P02
    CHECK_THROWS_AS(conn.commit(), sa::InternalError);                   // COMMIT rolled back
    CHECK(count_accounts(engine) == 0);
}

TEST_CASE("a COMMIT written in any spelling, in a PostgreSQL transaction a failure aborted, raises") {
    // The server answers it with ROLLBACK and no error; only the exact "COMMIT" the
    // Connection sends itself was checked.
    const std::string spelling = GENERATE("COMMIT", "commit", "COMMIT;", "End", "/* done */ COMMIT WORK",
                                          "commit transaction;  ;", "-- done\rCOMMIT");
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;
    CAPTURE(spelling);
    auto engine = backend.engine();
    create_accounts(engine);
    auto conn = engine.connect();
    conn.set_isolation_level(sa::IsolationLevel::autocommit);
    conn.execute_script("BEGIN");
    insert_account(conn, 1, "ann");
    CHECK_THROWS_AS(insert_account(conn, 1, "ann"), sa::IntegrityError);  // aborts the transaction
    CHECK_THROWS_MATCHES(conn.execute_script(spelling), sa::InternalError,
                         sa::test::MessageContains("none of its work was saved"));
    CHECK(count_accounts(engine) == 0);
    conn.execute_script("BEGIN");
    CHECK_NOTHROW(conn.execute_script("rollback"));  // asked for: no error
}

// A COPY with the client needs a data stream that only copy_rows() provides, so it is
// refused wherever it comes: also first in its transaction, pipelined behind the BEGIN,
// and in a batch's pipeline, where libpq answers in the COPY's state until it ends (this
// looped forever). FROM STDIN fails on the server, aborting the transaction; TO STDOUT
// runs and its rows go unread.
TEST_CASE("a COPY from or to the client is refused in any place and the connection goes on") {
    // First, so that each case gets a fresh database.
    const std::string direction = GENERATE("FROM STDIN", "TO STDOUT");
    const std::string call = GENERATE("executed", "streamed", "batch", "batch of two");
    const std::string position = GENERATE("first", "second", "autocommit");
    auto backend = GENERATE(from_range(backends()));
    if (!backend.is_postgresql()) return;  // SQLite has no COPY
    CAPTURE(direction, call, position);
    auto engine = backend.engine({.pool_size = 1, .max_overflow = 0});
    create_accounts(engine);
    auto conn = engine.connect();
    if (position == "autocommit") conn.set_isolation_level(sa::IsolationLevel::autocommit);
    if (position == "second") insert_account(conn, 1, "ann");
    const bool from_client = direction == "FROM STDIN";
    const bool in_transaction = position != "autocommit";
    // A batch's rows carry a value the COPY has no placeholder for: refused before anything
    // is sent (42P02), as SQLite refuses it.
    const bool refused_here = call.starts_with("batch");
    // The server takes what is pipelined behind a COPY FROM STDIN for its data and falls
    // out of step: a stream's RELEASE SAVEPOINT in a transaction.
    const bool invalidated = from_client && call == "streamed" && in_transaction;

    const std::string copy = "COPY accounts " + direction;
    const std::vector<sa::Param> rows{sa::Param::of_int(1), sa::Param::of_int(2)};  // of one value
    try {
        if (call.starts_with("batch"))
            conn.execute_batch(copy, std::span(rows).first(call == "batch" ? 1 : 2), 1);
        else conn.execute_sql(copy, {}, {.stream_results = call == "streamed"});
        FAIL("the COPY was not refused");
    } catch (const sa::ProgrammingError& error) {
        CHECK(error.sqlstate() == (refused_here ? "42P02" : "0A000"));
        CHECK(error.connection_invalidated() == invalidated);
    }
    if (in_transaction && !invalidated) {
        if (from_client && !refused_here)
            CHECK_THROWS_AS(insert_account(conn, 9, "aborted"), sa::InternalError);  // 25P02
        else CHECK_NOTHROW(insert_account(conn, 9, "rolled back"));
    }
    conn.rollback();
    insert_account(conn, 2, "bob");
    conn.commit();
    CHECK(conn.execute(sa::text("SELECT owner FROM accounts").columns<std::string>()).all() ==
          std::vector<std::string>{"bob"});
    CHECK(engine.pool_status().connects == (invalidated ? 2 : 1));
}
