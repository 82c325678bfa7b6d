// Work lost with its connection is never reported saved. Each test loses the connections
// of an engine on purpose (support/lost_connections.hpp: pg_terminate_backend on
// PostgreSQL, failing I/O on SQLite) in the middle of a transaction and checks that
// commit() raises PendingRollbackError until rollback() acknowledges the loss, through
// Connection, Transaction guards, SAVEPOINTs, batches and the Session; and that a batch
// under AUTOCOMMIT says how many of its rows stay committed.
// Connections lost while idle in the pool are replaced: unseen with pool_pre_ping, after
// one failed use without it.
#include "support/backends.hpp"
#include "support/lost_connections.hpp"
#include "support/matchers.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;
using sa::test::LosableDatabase;
using sa::test::MessageContains;

namespace lost {

struct Note {
    std::int64_t id = 0;
    std::string body{};
};

/// Rows the connection under test never reads before its connection is lost, so that on
/// SQLite reading them needs I/O (which then fails) rather than the page cache.
struct Ballast {
    std::int64_t id = 0;
    std::int64_t n = 0;
};

}  // namespace lost

template <>
inline constexpr auto sa::mapping<lost::Note> = sa::table("notes");
template <>
inline constexpr auto sa::mapping<lost::Ballast> = sa::table("ballast");

using lost::Ballast;
using lost::Note;

namespace {

constexpr std::size_t ballast_rows = 2000;

/// Empty notes and a full ballast table, written by an engine whose connections live on.
void prepare(const LosableDatabase& db) {
    auto engine = db.observer();
    const auto metadata = sa::metadata<Note, Ballast>();
    metadata.drop_all(engine);
    metadata.create_all(engine);
    auto conn = engine.connect();
    std::vector<sa::Param> params;
    for (std::size_t i = 0; i < ballast_rows; ++i)
        params.push_back(sa::Param::of_int(static_cast<std::int64_t>(i)));
    std::string sql = "INSERT INTO ballast (n) VALUES (";
    conn.dialect().append_placeholder(sql, 1);
    conn.execute_batch(sql + ")", params, 1);
    conn.commit();
}

std::int64_t count_rows(const LosableDatabase& db, const std::string& table) {
    auto engine = db.observer();
    auto conn = engine.connect();
    return conn.execute(sa::text("SELECT count(*) FROM " + table).columns<std::int64_t>()).scalar_one();
}

std::int64_t count_notes(const LosableDatabase& db) { return count_rows(db, "notes"); }

void insert_note(sa::Connection& conn, const std::string& body) {
    conn.execute(sa::text("INSERT INTO notes (body) VALUES (:body)").bind("body", body));
}

/// Runs `operation`, which must fail as a lost connection does; returns its error (none
/// when it succeeded, which the caller's REQUIRE reports).
template <class Operation>
std::optional<sa::OperationalError> lost_connection_error(Operation&& operation) {
    try {
        operation();
    } catch (const sa::OperationalError& e) {
        CHECK(e.connection_invalidated());
        return e;
    }
    return std::nullopt;
}

/// A statement on the lost connection fails as a lost connection does.
void require_statement_fails(sa::Connection& conn) {
    const auto probe = sa::text("SELECT sum(n) FROM ballast").columns<std::int64_t>();
    REQUIRE(lost_connection_error([&] { conn.execute(probe).scalar_one(); }));
}

/// A Session's work after its engine's connections were lost: without pool_pre_ping the
/// first statement fails as a lost connection does and the program rolls back; then the
/// Session reads and writes as before.
void read_and_write_after_loss(sa::Session& session, const LosableDatabase& db, bool pre_ping) {
    if (!pre_ping) {
        REQUIRE(lost_connection_error([&] { session.query<Ballast>().all(); }));
        session.rollback();
    }
    CHECK(session.query<Ballast>().all().size() == ballast_rows);
    session.add(Note{.body = "saved"});
    session.commit();
    CHECK(count_notes(db) == 1);
}

}  // namespace

TEST_CASE("commit() after the connection was lost inside a transaction raises until rollback()") {
    auto backend = GENERATE(from_range(backends()));
    LosableDatabase db(backend);
    prepare(db);
    auto engine = db.engine({.pool_size = 1, .max_overflow = 0});
    auto conn = engine.connect();
    insert_note(conn, "lost");
    db.lose_connections();
    require_statement_fails(conn);

    CHECK(conn.in_transaction());
    REQUIRE_THROWS_MATCHES(conn.commit(), sa::PendingRollbackError, MessageContains("call rollback()"));
    // Nothing else goes either: the program must acknowledge the loss first.
    CHECK_THROWS_AS(conn.commit(), sa::PendingRollbackError);
    CHECK_THROWS_AS(insert_note(conn, "more"), sa::PendingRollbackError);
    CHECK_THROWS_AS(conn.begin(), sa::PendingRollbackError);
    CHECK_THROWS_AS(conn.begin_nested(), sa::PendingRollbackError);
    CHECK(conn.in_transaction());

    conn.rollback();
    CHECK_FALSE(conn.in_transaction());
    CHECK(count_notes(db) == 0);
    // The next statement reconnects through the pool, which dropped the lost connection.
    insert_note(conn, "saved");
    conn.commit();
    CHECK(count_notes(db) == 1);
    CHECK(engine.pool_status().connects == 2);
}

TEST_CASE("a COMMIT that loses the connection raises and so does every commit after it") {
    auto backend = GENERATE(from_range(backends()));
    LosableDatabase db(backend);
    prepare(db);
    auto engine = db.engine();
    auto conn = engine.connect();
    insert_note(conn, "lost");
    db.lose_connections();
    REQUIRE(lost_connection_error([&] { conn.commit(); }));
    CHECK_THROWS_AS(conn.commit(), sa::PendingRollbackError);
    conn.rollback();
    CHECK(count_notes(db) == 0);
}

TEST_CASE("a Transaction guard cannot commit work lost with its connection") {
    auto backend = GENERATE(from_range(backends()));
    LosableDatabase db(backend);
    prepare(db);
    auto engine = db.engine();
    auto conn = engine.connect();

    SECTION("rollback() acknowledges the loss") {
        auto tx = conn.begin();
        insert_note(conn, "lost");
        db.lose_connections();
        require_statement_fails(conn);
        CHECK_THROWS_AS(tx.commit(), sa::PendingRollbackError);
        CHECK(tx.is_active());
        tx.rollback();
        CHECK_FALSE(tx.is_active());
    }
    SECTION("so does the guard's destructor") {
        {
            auto tx = conn.begin();
            insert_note(conn, "lost");
            db.lose_connections();
            require_statement_fails(conn);
            CHECK_THROWS_AS(tx.commit(), sa::PendingRollbackError);
        }
        CHECK_FALSE(conn.in_transaction());
    }
    CHECK(count_notes(db) == 0);
    auto tx = conn.begin();
    insert_note(conn, "saved");
    tx.commit();
    CHECK(count_notes(db) == 1);
}

TEST_CASE("a SAVEPOINT lost with its connection can neither be released nor rolled back to") {
    auto backend = GENERATE(from_range(backends()));
    LosableDatabase db(backend);
    prepare(db);
    auto engine = db.engine();
    auto conn = engine.connect();
    auto tx = conn.begin();
    insert_note(conn, "outer");
    auto savepoint = conn.begin_nested();
    insert_note(conn, "inner");
    db.lose_connections();
    require_statement_fails(conn);

    CHECK_THROWS_AS(savepoint.commit(), sa::PendingRollbackError);
    CHECK_THROWS_AS(savepoint.rollback(), sa::PendingRollbackError);
    CHECK_THROWS_AS(tx.commit(), sa::PendingRollbackError);
    tx.rollback();
    CHECK_FALSE(savepoint.is_active());
    CHECK_FALSE(conn.in_nested_transaction());
    CHECK(count_notes(db) == 0);
}

TEST_CASE("execute_batch and copy_rows on a lost connection leave the transaction to roll back") {
    auto backend = GENERATE(from_range(backends()));
    LosableDatabase db(backend);
    prepare(db);
    auto engine = db.engine();
    auto conn = engine.connect();
    insert_note(conn, "lost");
    db.lose_connections();
    const std::vector<sa::Param> rows{sa::Param::of_int(1), sa::Param::of_int(2)};

    SECTION("execute_batch") {
        std::string sql = "UPDATE ballast SET n = n + 1 WHERE n = ";
        conn.dialect().append_placeholder(sql, 1);
        const auto error = lost_connection_error([&] { conn.execute_batch(sql, rows, 1); });
        REQUIRE(error);
        CHECK_FALSE(error->batch_progress());  // inside a transaction nothing stays committed
    }
    SECTION("copy_rows") {
        const std::vector<std::string_view> columns{"n"};
        REQUIRE(lost_connection_error([&] { conn.copy_rows("ballast", columns, rows); }));
    }
    CHECK_THROWS_AS(conn.commit(), sa::PendingRollbackError);
    conn.rollback();
    CHECK(count_notes(db) == 0);
    CHECK(count_rows(db, "ballast") == static_cast<std::int64_t>(ballast_rows));
}

TEST_CASE("a failed batch under AUTOCOMMIT says how many of its rows stay committed") {
    auto backend = GENERATE(from_range(backends()));
    LosableDatabase db(backend);
    prepare(db);
    auto engine = db.observer({.isolation_level = sa::IsolationLevel::autocommit});
    auto conn = engine.connect();
    constexpr std::size_t rows = 1200;
    constexpr std::size_t duplicate_row = 1100;  // repeats the id of row 5
    std::vector<sa::Param> ids;
    for (std::size_t i = 0; i < rows; ++i)
        ids.push_back(sa::Param::of_int(static_cast<std::int64_t>(i == duplicate_row ? 5 : i)));

    SECTION("execute_batch: the rows before the failure, as far as they were committed") {
        std::string sql = "INSERT INTO notes (id, body) VALUES (";
        conn.dialect().append_placeholder(sql, 1);
        sql += ", 'x')";
        try {
            conn.execute_batch(sql, ids, 1);
            FAIL("a batch with a duplicate key succeeded");
        } catch (const sa::UniqueViolation& e) {
            REQUIRE(e.batch_progress());
            const auto progress = *e.batch_progress();
            CHECK(progress.rows == rows);
            CHECK(progress.in_doubt == 0);
            // SQLite commits row by row; PostgreSQL commits each pipelined chunk of 500
            // rows whole, so the chunk holding the duplicate is rolled back.
            CHECK(progress.committed == (backend.is_sqlite() ? duplicate_row : 1000));
            CHECK(count_notes(db) == static_cast<std::int64_t>(progress.committed));
            CHECK_THAT(e.what(), Catch::Contains(std::to_string(progress.committed) +
                                                 " of 1200 rows "
                                                 "were committed before the failure"));
        }
    }
    SECTION("copy_rows: all or nothing") {
        std::vector<sa::Param> params;
        for (const auto& id : ids) {
            params.push_back(id);
            params.push_back(sa::Param::of_text("x"));
        }
        const std::vector<std::string_view> columns{"id", "body"};
        try {
            conn.copy_rows("notes", columns, params);
            FAIL("a load with a duplicate key succeeded");
        } catch (const sa::UniqueViolation& e) {
            REQUIRE(e.batch_progress());
            CHECK(e.batch_progress()->committed == 0);
            CHECK(count_notes(db) == 0);
        }
    }
}

TEST_CASE("a batch under AUTOCOMMIT on a lost connection commits nothing and says so") {
    auto backend = GENERATE(from_range(backends()));
    LosableDatabase db(backend);
    prepare(db);
    auto engine = db.engine({.isolation_level = sa::IsolationLevel::autocommit});
    auto conn = engine.connect();
    conn.execute(sa::text("SELECT 1"));  // connects
    db.lose_connections();
    std::string sql = "INSERT INTO ballast (n) VALUES (";
    conn.dialect().append_placeholder(sql, 1);
    const std::vector<sa::Param> rows{sa::Param::of_int(1), sa::Param::of_int(2)};
    const auto error = lost_connection_error([&] { conn.execute_batch(sql + ")", rows, 1); });
    REQUIRE(error);
    REQUIRE(error->batch_progress());
    CHECK(error->batch_progress()->committed == 0);
    CHECK(count_rows(db, "ballast") == static_cast<std::int64_t>(ballast_rows));
    // Outside a transaction there is nothing to acknowledge: the next statement reconnects.
    conn.execute_batch(sql + ")", rows, 1);
    CHECK(count_rows(db, "ballast") == static_cast<std::int64_t>(ballast_rows + 2));
}

TEST_CASE("session.commit() after the connection was lost raises until session.rollback()") {
    auto backend = GENERATE(from_range(backends()));
    LosableDatabase db(backend);
    prepare(db);
    auto engine = db.engine();
    sa::Session session(engine);

    SECTION("lost after a flush") {
        session.add(Note{.body = "lost"});
        session.flush();
        db.lose_connections();
        CHECK(lost_connection_error([&] { session.query<Ballast>().all(); }));
        CHECK_THROWS_AS(session.commit(), sa::PendingRollbackError);
    }
    SECTION("lost before the flush that commit() makes") {
        session.add(Note{.body = "flushed"});
        session.flush();
        db.lose_connections();
        session.add(Note{.body = "pending"});
        // PostgreSQL fails the INSERT, SQLite the COMMIT: either way commit() raises.
        CHECK(lost_connection_error([&] { session.commit(); }));
    }
    SECTION("through a SessionTransaction") {
        auto tx = session.begin();
        session.add(Note{.body = "lost"});
        session.flush();
        db.lose_connections();
        CHECK(lost_connection_error([&] { session.query<Ballast>().all(); }));
        CHECK_THROWS_AS(tx.commit(), sa::PendingRollbackError);
        CHECK(tx.is_active());
    }
    SECTION("inside begin_nested()") {
        session.add(Note{.body = "outer"});
        auto nested = session.begin_nested();
        session.add(Note{.body = "inner"});
        session.flush();
        db.lose_connections();
        CHECK(lost_connection_error([&] { session.query<Ballast>().all(); }));
        CHECK_THROWS_AS(nested.commit(), sa::PendingRollbackError);
        CHECK_THROWS_AS(nested.rollback(), sa::PendingRollbackError);
    }
    CHECK_THROWS_AS(session.commit(), sa::PendingRollbackError);
    CHECK_THROWS_AS(session.query<Note>().all(), sa::PendingRollbackError);
    session.rollback();
    CHECK(count_notes(db) == 0);

    auto saved = session.add(Note{.body = "saved"});
    session.commit();
    CHECK(count_notes(db) == 1);
    CHECK(session.get<Note>(saved->id) == saved);
}

TEST_CASE("commit() after a failed statement is never reported as saving lost work") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Note>().create_all(engine);
    auto conn = engine.connect();
    conn.execute(sa::text("INSERT INTO notes (id, body) VALUES (1, 'first')"));
    CHECK_THROWS_AS(conn.execute(sa::text("INSERT INTO notes (id, body) VALUES (1, 'again')")),
                    sa::UniqueViolation);
    // PostgreSQL aborts the transaction at the failed statement and answers COMMIT with
    // ROLLBACK; SQLite undoes only the failed statement. Either way commit() must not
    // return normally unless the first row is saved.
    bool committed = true;
    try {
        conn.commit();
    } catch (const sa::DatabaseError& e) {
        committed = false;
        CHECK_THAT(e.what(), Catch::Contains("rolled the transaction back"));
    }
    CHECK(committed == backend.is_sqlite());
    CHECK_FALSE(conn.in_transaction());
    auto check = engine.connect();
    CHECK(check.execute(sa::text("SELECT count(*) FROM notes").columns<std::int64_t>()).scalar_one() ==
          (committed ? 1 : 0));
}

TEST_CASE("pooled connections killed while idle are replaced, unseen with pool_pre_ping") {
    auto backend = GENERATE(from_range(backends()));
    // SQLite: a ping needs no I/O, so the lost file goes unnoticed until a real statement.
    if (!backend.is_postgresql()) return;
    const bool pre_ping = GENERATE(false, true);
    LosableDatabase db(backend);
    prepare(db);
    constexpr int pool_size = 3;
    auto engine = db.engine({.pool_size = pool_size, .max_overflow = 0, .pool_pre_ping = pre_ping});
    const auto select_one = sa::text("SELECT 1").columns<std::int64_t>();
    /// Checks out every connection of the pool at once and runs a statement on each.
    const auto use_whole_pool = [&] {
        std::vector<sa::Connection> held;
        for (int i = 0; i < pool_size; ++i) {
            held.push_back(engine.connect());
            CHECK(held.back().execute(select_one).scalar_one() == 1);
        }
    };
    use_whole_pool();
    REQUIRE(engine.pool_status().checked_in == pool_size);
    db.lose_connections();

    SECTION("through Connection") {
        if (!pre_ping) {
            auto conn = engine.connect();
            REQUIRE(lost_connection_error([&] { conn.execute(select_one).scalar_one(); }));
        }
        // The failure (or the ping) condemned every connection opened before it.
        use_whole_pool();
    }
    SECTION("through Session") {
        sa::Session session(engine);
        read_and_write_after_loss(session, db, pre_ping);
        use_whole_pool();
    }
    const auto status = engine.pool_status();
    CHECK(status.connects == 2 * pool_size);
    CHECK(status.checked_out == 0);
    CHECK(status.checked_in == pool_size);
}

// PostgreSQL sends a Session's closing ROLLBACK without awaiting its reply
// (src/drivers/postgresql/pg_transaction_ends.cpp), so a connection lost before the close
// goes back to the pool unnoticed: it must then be replaced as one lost while idle is.
TEST_CASE("a connection lost before its Session closed is replaced like one lost while idle") {
    auto backend = GENERATE(from_range(backends()));
    // SQLite: a ROLLBACK needs no I/O, so the lost file goes unnoticed until a real statement.
    if (!backend.is_postgresql()) return;
    const bool pre_ping = GENERATE(false, true);
    LosableDatabase db(backend);
    prepare(db);
    auto engine = db.engine({.pool_size = 1, .max_overflow = 0, .pool_pre_ping = pre_ping});
    {
        sa::Session session(engine);
        CHECK(session.query<Ballast>().all().size() == ballast_rows);
        db.lose_connections();
    }
    sa::Session session(engine);
    read_and_write_after_loss(session, db, pre_ping);
    CHECK(engine.pool_status().connects == 2);
}
