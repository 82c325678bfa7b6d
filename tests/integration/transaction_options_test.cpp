// Per-transaction options on both backends: conn.begin({.isolation_level = ...,
// .read_only = true}). A write in a read-only transaction fails with
// ReadOnlySqlTransaction and changes nothing; the options end with the transaction. The
// Session takes the same options in session.begin(...).
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <catch2/catch.hpp>

#include <alchemy/alchemy.hpp>

#include <cstdint>
#include <string>

namespace sa = alchemy;

namespace transaction_options {
struct Note {
    std::int64_t id = 0;
    std::string body{};
};
}  // namespace transaction_options

template <>
inline constexpr auto sa::mapping<transaction_options::Note> = sa::table("notes");
using sa::test::backends;
using sa::test::count_starting_with;
using sa::test::MessageContains;
using transaction_options::Note;

namespace {

void create_notes(sa::Engine& engine) {
    auto conn = engine.connect();
    conn.execute_script("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    conn.execute(sa::text("INSERT INTO notes (id, body) VALUES (1, 'kept')"));
    conn.commit();
}

std::int64_t note_count(sa::Connection& conn) {
    return conn.execute(sa::text("SELECT count(*) FROM notes").columns<std::int64_t>()).scalar_one();
}

}  // namespace

TEST_CASE("a write inside a read-only transaction fails and the database is unchanged") {
    auto backend = GENERATE(from_range(backends()));
    // One connection, so the checks below run on the connection the read-only
    // transaction used.
    auto engine = backend.engine({.pool_size = 1, .max_overflow = 0});
    create_notes(engine);
    auto conn = engine.connect();
    {
        auto tx = conn.begin({.read_only = true});
        CHECK(note_count(conn) == 1);  // reads work
        CHECK_THROWS_AS(conn.execute(sa::text("INSERT INTO notes (id, body) VALUES (2, 'lost')")),
                        sa::ReadOnlySqlTransaction);
        tx.rollback();
    }
    CHECK(note_count(conn) == 1);
    // The next transaction on the same connection writes again.
    conn.execute(sa::text("INSERT INTO notes (id, body) VALUES (2, 'written')"));
    conn.commit();
    CHECK(note_count(conn) == 2);
    conn.commit();

    // A committed read-only transaction leaves nothing behind either.
    {
        auto tx = conn.begin({.read_only = true});
        CHECK(note_count(conn) == 2);
        tx.commit();
    }
    conn.execute(sa::text("INSERT INTO notes (id, body) VALUES (3, 'written')"));
    conn.commit();
    // Nor does one whose connection went back to the pool unfinished.
    {
        auto tx = conn.begin({.read_only = true});
        CHECK(note_count(conn) == 3);
        conn.close();
    }
    auto next = engine.connect();  // the same database connection (pool of one)
    next.execute(sa::text("INSERT INTO notes (id, body) VALUES (4, 'written')"));
    next.commit();
    next.close();
    // engine.begin() takes the options too.
    auto ro = engine.begin({.read_only = true});
    CHECK_THROWS_AS(ro.execute(sa::text("DELETE FROM notes")), sa::ReadOnlySqlTransaction);
    ro.rollback();
    CHECK(note_count(ro) == 4);
}

TEST_CASE("a transaction's isolation level holds for that transaction only") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture echo;
    auto engine = backend.engine({.echo = true, .echo_sink = echo.sink()});
    auto conn = engine.connect();
    if (backend.is_postgresql()) {
        const auto level = [&] {
            return conn.execute(sa::text("SHOW transaction_isolation").columns<std::string>()).scalar_one();
        };
        const auto read_only = [&] {
            return conn.execute(sa::text("SHOW transaction_read_only").columns<std::string>()).scalar_one();
        };
        {
            auto tx = conn.begin({.isolation_level = sa::IsolationLevel::serializable, .read_only = true});
            CHECK(level() == "serializable");
            CHECK(read_only() == "on");
            tx.commit();
        }
        CHECK(count_starting_with(echo.lines, "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY") == 1);
        CHECK(level() == "read committed");  // the server's default again
        CHECK(read_only() == "off");
        conn.commit();
        // Over the connection's own level, the transaction's wins.
        conn.set_isolation_level(sa::IsolationLevel::repeatable_read);
        {
            auto tx = conn.begin({.isolation_level = sa::IsolationLevel::read_committed});
            CHECK(level() == "read committed");
        }
        {
            auto tx = conn.begin({.read_only = true});
            CHECK(level() == "repeatable read");
            CHECK(read_only() == "on");
        }
    } else {
        // SQLite's transactions are serializable; its one other level is connection state.
        auto tx = conn.begin({.isolation_level = sa::IsolationLevel::serializable});
        tx.commit();
        CHECK_THROWS_MATCHES(conn.begin({.isolation_level = sa::IsolationLevel::read_uncommitted}),
                             sa::ArgumentError, MessageContains("per connection, not per transaction"));
        CHECK_FALSE(conn.in_transaction());
        CHECK_THROWS_MATCHES(conn.begin({.isolation_level = sa::IsolationLevel::repeatable_read}),
                             sa::ArgumentError, MessageContains("SQLite does not support isolation_level"));
    }
    CHECK_THROWS_MATCHES(conn.begin({.isolation_level = sa::IsolationLevel::autocommit}), sa::ArgumentError,
                         MessageContains("conn.set_isolation_level(sa::IsolationLevel::autocommit)"));
    CHECK_FALSE(conn.in_transaction());
}

TEST_CASE("session.begin(options) holds for the Session's transaction and ends with it") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    create_notes(engine);
    sa::Session session(engine);

    auto tx = session.begin({.read_only = true});
    CHECK(session.query<Note>().count() == 1);  // reads work
    session.add(Note{.id = 2, .body = "lost"});
    CHECK_THROWS_AS(session.flush(), sa::ReadOnlySqlTransaction);
    session.rollback();
    CHECK_FALSE(tx.is_active());

    // The next transaction autobegins without the options.
    CHECK(session.query<Note>().count() == 1);
    session.add(Note{.id = 3, .body = "written"});
    session.commit();
    CHECK(session.query<Note>().count() == 2);
    session.commit();

    if (backend.is_postgresql()) {
        const auto isolation = sa::text("SHOW transaction_isolation").columns<std::string>();
        session.begin({.isolation_level = sa::IsolationLevel::serializable, .read_only = true});
        CHECK(session.execute(isolation).scalar_one() == "serializable");
        CHECK(session.execute(sa::text("SHOW transaction_read_only").columns<std::string>()).scalar_one() ==
              "on");
        session.commit();
        CHECK(session.execute(isolation).scalar_one() == "read committed");
        session.commit();
    }
    CHECK_THROWS_AS(session.begin({.isolation_level = sa::IsolationLevel::autocommit}), sa::ArgumentError);
}
