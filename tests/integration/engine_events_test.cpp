// Engine events on both backends (SQLAlchemy's event.listens_for(engine, ...)): connect
// runs outside any transaction and can change settings a transaction refuses; checkout,
// checkin, begin and before_cursor_execute fire when they should; a listener that throws
// leaves no half-set-up connection in the pool.
#include "support/backends.hpp"
#include "support/matchers.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace sa = alchemy;
using namespace std::chrono_literals;
using sa::test::backends;
using sa::test::MessageContains;

namespace {

std::string show(sa::Connection& conn, const sa::test::Backend& backend, std::string_view setting) {
    const auto sql =
        backend.is_sqlite() ? fmt::format("PRAGMA {}", setting) : fmt::format("SHOW {}", setting);
    return conn.execute(sa::text(sql).columns<std::string>()).scalar_one();
}

}  // namespace

TEST_CASE("a connect listener runs outside any transaction and its settings hold") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.pool_size = 2, .max_overflow = 0});
    std::atomic<int> connects = 0;
    engine.on_connect([&](sa::DriverConnection& dc) {
        CHECK_FALSE(dc.in_transaction());
        // SQLite refuses this pragma inside a transaction; PostgreSQL's SET would end
        // with a transaction rolled back.
        dc.execute_script(backend.is_sqlite() ? "PRAGMA synchronous = NORMAL"
                                              : "SET statement_timeout = '1234ms'");
        ++connects;
    });
    {
        auto a = engine.connect();
        auto b = engine.connect();
        CHECK(show(a, backend, backend.is_sqlite() ? "synchronous" : "statement_timeout") ==
              (backend.is_sqlite() ? "1" : "1234ms"));
        CHECK(show(b, backend, backend.is_sqlite() ? "synchronous" : "statement_timeout") ==
              (backend.is_sqlite() ? "1" : "1234ms"));
        a.commit();
        b.commit();
    }
    CHECK(connects == 2);
    auto again = engine.connect();  // reused: connect does not run again
    again.execute(sa::text("SELECT 1"));
    CHECK(connects == 2);
}

TEST_CASE("a connect listener that throws fails the checkout and keeps nothing in the pool") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.pool_size = 1, .max_overflow = 0, .pool_timeout = 1s});
    int calls = 0;
    engine.on_connect([&](sa::DriverConnection& dc) {
        ++calls;
        dc.execute_script(backend.is_sqlite() ? "PRAGMA synchronous = OFF"
                                              : "SET statement_timeout = '4321ms'");
        if (calls == 1) throw std::runtime_error("connect listener refused");
    });
    REQUIRE_THROWS_MATCHES(engine.connect(), std::runtime_error, MessageContains("connect listener refused"));
    auto status = engine.pool_status();
    CHECK(status.checked_in == 0);
    CHECK(status.checked_out == 0);
    CHECK(status.overflow == -1);  // the slot is free again: nothing is open
    // The next checkout opens a new connection, set up in full.
    auto conn = engine.connect();
    CHECK(calls == 2);
    CHECK(show(conn, backend, backend.is_sqlite() ? "synchronous" : "statement_timeout") ==
          (backend.is_sqlite() ? "0" : "4321ms"));
}

TEST_CASE("checkout and checkin listeners fire once per pool round trip") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.pool_size = 2, .max_overflow = 1});
    std::atomic<int> checkouts = 0, checkins = 0;
    std::atomic<bool> checkin_in_transaction = false;
    engine.on_checkout([&](sa::DriverConnection&) { ++checkouts; });
    engine.on_checkin([&](sa::DriverConnection& dc) {
        if (dc.in_transaction()) checkin_in_transaction = true;
        ++checkins;
    });
    for (int i = 0; i < 3; ++i) {
        auto conn = engine.connect();
        conn.execute(sa::text("SELECT 1"));  // left open: the pool rolls it back first
        CHECK(checkouts == i + 1);
        CHECK(checkins == i);
    }
    {
        auto a = engine.connect();
        auto b = engine.connect();
        auto c = engine.connect();  // overflow: closed on return, after its checkin
    }
    CHECK(checkouts == 6);
    CHECK(checkins == 6);
    CHECK_FALSE(checkin_in_transaction);
}

TEST_CASE("a checkout listener that throws discards the connection") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.pool_size = 1, .max_overflow = 0, .pool_timeout = 1s});
    engine.connect().execute(sa::text("SELECT 1"));  // one idle connection
    bool refuse = true;
    engine.on_checkout([&](sa::DriverConnection&) {
        if (std::exchange(refuse, false)) throw std::runtime_error("checkout refused");
    });
    REQUIRE_THROWS_MATCHES(engine.connect(), std::runtime_error, MessageContains("checkout refused"));
    auto status = engine.pool_status();
    CHECK(status.checked_in == 0);
    CHECK(status.checked_out == 0);
    auto conn = engine.connect();  // a new one: the refused one was closed
    CHECK(engine.pool_status().connects == 2);
}

TEST_CASE("a checkin listener that throws closes the connection") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.pool_size = 1, .max_overflow = 0, .pool_timeout = 1s});
    bool refuse = true;
    engine.on_checkin([&](sa::DriverConnection&) {
        if (std::exchange(refuse, false)) throw std::runtime_error("checkin refused");
    });
    engine.connect().execute(sa::text("SELECT 1"));  // no error reaches the caller
    CHECK(engine.pool_status().checked_in == 0);
    auto conn = engine.connect();
    CHECK(engine.pool_status().connects == 2);
}

TEST_CASE("a listener that throws keeps the one connection of a SQLite database in memory, and its data") {
    // Closing that connection would destroy the database with it.
    auto engine = sa::create_engine("sqlite://");
    {
        auto conn = engine.begin();
        conn.execute_script("CREATE TABLE kept (id INTEGER)");
        conn.execute_script("INSERT INTO kept VALUES (1)");
        conn.commit();
    }
    bool refuse_checkin = true;
    bool refuse_checkout = true;
    engine.on_checkin([&](sa::DriverConnection&) {
        if (std::exchange(refuse_checkin, false)) throw std::runtime_error("checkin refused");
    });
    engine.on_checkout([&](sa::DriverConnection&) {
        if (std::exchange(refuse_checkout, false)) throw std::runtime_error("checkout refused");
    });
    REQUIRE_THROWS_MATCHES(engine.connect(), std::runtime_error, MessageContains("checkout refused"));
    {
        auto conn = engine.connect();  // its checkin throws
    }
    auto conn = engine.connect();
    CHECK(conn.execute(sa::text("SELECT count(*) FROM kept").columns<std::int64_t>()).scalar_one() == 1);
    CHECK(engine.pool_status().connects == 1);
}

TEST_CASE("begin fires once per transaction, implicit or explicit, inside it") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    int begins = 0;
    engine.on_begin([&](sa::Connection& conn) {
        ++begins;
        CHECK(conn.in_transaction());
        conn.execute(sa::text("SELECT 1"));  // runs inside the transaction, begins nothing
    });
    auto conn = engine.connect();
    conn.execute(sa::text("SELECT 1"));  // autobegin
    conn.execute(sa::text("SELECT 2"));
    CHECK(begins == 1);
    {
        auto sp = conn.begin_nested();  // a SAVEPOINT is no new transaction
        sp.commit();
    }
    conn.commit();
    CHECK(begins == 1);
    auto tx = conn.begin();
    tx.commit();
    CHECK(begins == 2);
    auto other = engine.begin();
    CHECK(begins == 3);
    other.rollback();
    conn.set_isolation_level(sa::IsolationLevel::autocommit);
    conn.execute(sa::text("SELECT 1"));
    CHECK(begins == 3);
}

TEST_CASE("a begin listener that throws rolls the transaction back") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    engine.on_begin([](sa::Connection&) { throw std::runtime_error("no transactions today"); });
    auto conn = engine.connect();
    REQUIRE_THROWS_MATCHES(conn.execute(sa::text("SELECT 1")), std::runtime_error,
                           MessageContains("no transactions today"));
    CHECK_FALSE(conn.in_transaction());
    CHECK_FALSE(conn.driver_connection().in_transaction());
    CHECK_THROWS_AS(conn.begin(), std::runtime_error);
    CHECK_FALSE(conn.in_transaction());
}

TEST_CASE("before_cursor_execute sees each statement and its parameters") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    struct Seen {
        std::string sql;
        std::size_t params;
        bool many;
    };
    std::vector<Seen> seen;
    engine.on_before_cursor_execute(
        [&](sa::Connection&, std::string_view sql, std::span<const sa::Param> params, bool many) {
            seen.push_back({std::string(sql), params.size(), many});
        });
    auto conn = engine.connect();
    conn.execute_script("CREATE TABLE events_seen (id INTEGER PRIMARY KEY, name TEXT)");
    conn.execute(
        sa::text("INSERT INTO events_seen (id, name) VALUES (:id, :name)").bind("id", 1).bind("name", "ann"));
    const std::vector<sa::Param> rows{sa::Param::of_int(2), sa::Param::of_int(3)};
    conn.execute_batch(backend.is_sqlite() ? "INSERT INTO events_seen (id) VALUES (?)"
                                           : "INSERT INTO events_seen (id) VALUES ($1)",
                       rows, 1);
    conn.commit();
    REQUIRE(seen.size() == 3);  // BEGIN and COMMIT are transaction control, not statements
    CHECK(seen[0].sql == "CREATE TABLE events_seen (id INTEGER PRIMARY KEY, name TEXT)");
    CHECK(seen[1].sql.starts_with("INSERT INTO events_seen (id, name) VALUES ("));
    CHECK(seen[1].params == 2);
    CHECK_FALSE(seen[1].many);
    CHECK(seen[2].params == 2);
    CHECK(seen[2].many);
}

TEST_CASE("listeners can be added while other threads use the pool") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine({.pool_size = 4, .max_overflow = 0, .pool_timeout = 10s});
    std::atomic<int> checkouts = 0;
    std::atomic<bool> stop = false;
    std::vector<std::thread> users;
    for (int t = 0; t < 3; ++t)
        users.emplace_back([&] {
            while (!stop) engine.connect().execute(sa::text("SELECT 1"));
        });
    for (int i = 0; i < 50; ++i) {
        engine.on_checkout([&](sa::DriverConnection&) { ++checkouts; });
        std::this_thread::sleep_for(1ms);
    }
    stop = true;
    for (auto& t : users) t.join();
    const int settled = checkouts;
    engine.connect();
    CHECK(checkouts - settled == 50);  // every listener added is live
}
