// A primary and its hot-standby streaming replica (scripts/lib/replica.sh): a multi-host
// URL that picks the primary, the class of a write sent to the replica, a Session that
// reads from the replica until it writes (and refuses writes while a loop streams from
// it), and a pool that survives the replica's restart.
// Some cases stop and start the replica, so CTest runs this suite alone (RUN_SERIAL).
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sa = alchemy;

namespace standby {

struct Reader {
    std::int64_t id = 0;
    std::string name{};
};
/// Bound to another database of the primary's server.
struct Loan {
    std::int64_t id = 0;
    std::int64_t reader_id = 0;
};

}  // namespace standby

template <>
inline constexpr auto sa::mapping<standby::Reader> = sa::table("replica_readers");
template <>
inline constexpr auto sa::mapping<standby::Loan> = sa::table("replica_loans");

using standby::Loan;
using standby::Reader;

namespace {

struct Servers {
    std::string primary;
    std::string replica;
};

std::optional<Servers> servers() {
    auto primary = sa::test::postgres_url();
    auto replica = sa::test::replica_url();
    if (!primary || !replica) return std::nullopt;
    return Servers{*primary, *replica};
}

template <class T>
T scalar(sa::Engine& engine, const std::string& sql) {
    auto conn = engine.connect();
    return conn.execute(sa::text(sql).columns<T>()).scalar_one();
}

/// Waits until the replica has replayed everything the primary wrote so far (replication
/// is asynchronous; on loopback it takes milliseconds).
void wait_for_replay(sa::Engine& primary, sa::Engine& replica) {
    // The insert position: with synchronous_commit = off the last commit may not be
    // written out yet, and pg_current_wal_lsn() would not cover it.
    const auto lsn = scalar<std::string>(primary, "SELECT pg_current_wal_insert_lsn()::text");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!scalar<bool>(replica, "SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn")) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

/// Runs ALCHEMY_REPLICA_CTL with `arguments` (stop -m fast, start).
void replica_ctl(const std::string& arguments) {
    const char* ctl = std::getenv("ALCHEMY_REPLICA_CTL");
    REQUIRE(ctl != nullptr);
    const auto command = fmt::format("\"{}\" {} >/dev/null", ctl, arguments);
    REQUIRE(std::system(command.c_str()) == 0);
}

/// Starts the replica again when a case that stopped it ends, whatever happened.
struct RestartReplicaAtEnd {
    bool stopped = false;
    ~RestartReplicaAtEnd() {
        if (!stopped) return;
        const char* ctl = std::getenv("ALCHEMY_REPLICA_CTL");
        if (ctl) std::system(fmt::format("\"{}\" start >/dev/null", ctl).c_str());
    }
};

void fresh_readers(sa::Engine& primary, sa::Engine& replica) {
    auto conn = primary.connect();
    conn.execute_script("DROP TABLE IF EXISTS replica_readers");
    conn.commit();
    sa::metadata<Reader>().create_all(primary);
    conn.execute(
        sa::insert<Reader>().values(std::vector<Reader>{{.id = 1, .name = "ann"}, {.id = 2, .name = "bob"}}));
    conn.commit();
    wait_for_replay(primary, replica);
}

}  // namespace

TEST_CASE("a multi-host URL with target_session_attrs connects to the primary of two") {
    const auto urls = servers();
    if (!urls) return;
    const auto primary = sa::make_url(urls->primary);
    const auto replica = sa::make_url(urls->replica);
    const auto url = [&](std::string_view attrs) {
        // The replica first: libpq must skip it to find the primary.
        return fmt::format("postgresql://{}@/{}?host=127.0.0.1:{}&host=127.0.0.1:{}&target_session_attrs={}",
                           primary.username, primary.database, *replica.port, *primary.port, attrs);
    };
    auto read_write = sa::create_engine(url("read-write"));
    CHECK_FALSE(scalar<bool>(read_write, "SELECT pg_is_in_recovery()"));
    CHECK(scalar<std::int64_t>(read_write, "SELECT inet_server_port()") == *primary.port);
    auto standby_only = sa::create_engine(url("standby"));
    CHECK(scalar<bool>(standby_only, "SELECT pg_is_in_recovery()"));
}

TEST_CASE("a write sent to the replica is a ReadOnlySqlTransaction, and the connection stays usable") {
    const auto urls = servers();
    if (!urls) return;
    auto replica = sa::create_engine(urls->replica);
    auto conn = replica.connect();
    try {
        conn.execute(sa::text("CREATE TABLE replica_refused (id integer)"));
        FAIL("the replica took a write");
    } catch (const sa::ReadOnlySqlTransaction& e) {
        CHECK(e.sqlstate() == "25006");
        CHECK_FALSE(e.connection_invalidated());
    }
    conn.rollback();
    CHECK(conn.execute(sa::text("SELECT 1").columns<std::int64_t>()).scalar_one() == 1);
}

TEST_CASE("a Session with a read replica reads there until it writes, then reads its own writes") {
    const auto urls = servers();
    if (!urls) return;
    sa::test::EchoCapture on_primary, on_replica;
    auto primary = sa::create_engine(urls->primary, {.echo = true, .echo_sink = on_primary.sink()});
    auto replica = sa::create_engine(urls->replica, {.echo = true, .echo_sink = on_replica.sink()});
    fresh_readers(primary, replica);
    on_primary.lines.clear();
    on_replica.lines.clear();
    const auto selects = [](const sa::test::EchoCapture& log) {
        return sa::test::count_starting_with(log.lines, "SELECT");
    };

    sa::Session session(primary, {.read_replica = replica});
    auto ann = session.get<Reader>(1);
    REQUIRE(ann);
    CHECK(session.query<Reader>().count() == 2);
    CHECK(session.execute(sa::select(sa::col<&Reader::name>).where(sa::col<&Reader::id> == 2)).scalar_one() ==
          "bob");
    CHECK(selects(on_replica) == 3);
    CHECK(selects(on_primary) == 0);

    // The autoflush writes to the primary; from then on this transaction reads there, and
    // sees its own change at once, which the replica could not show yet.
    ann->name = "ann 2";
    auto renamed = session.query<Reader>().filter_by<&Reader::name>("ann 2").all();
    CHECK(renamed.size() == 1);
    CHECK(sa::test::count_starting_with(on_primary.lines, "UPDATE") == 1);
    CHECK(selects(on_primary) == 1);
    CHECK(session.get<Reader>(2)->name == "bob");  // not held yet: loaded from the primary
    session.add(Reader{.id = 3, .name = "cy"});
    CHECK(session.query<Reader>().count() == 3);
    CHECK(selects(on_primary) == 3);
    CHECK(selects(on_replica) == 3);
    session.commit();

    // A new transaction reads from the replica again.
    wait_for_replay(primary, replica);
    on_primary.lines.clear();
    on_replica.lines.clear();
    CHECK(session.query<Reader>().count() == 3);
    CHECK(selects(on_replica) == 1);
    CHECK(selects(on_primary) == 0);
    session.rollback();
    CHECK(primary.pool_status().checked_out == 0);
    CHECK(replica.pool_status().checked_out == 0);
}

TEST_CASE("a Session's select that may write runs on the primary, and its reads stay there") {
    const auto urls = servers();
    if (!urls) return;
    sa::test::EchoCapture on_primary, on_replica;
    auto primary = sa::create_engine(urls->primary, {.echo = true, .echo_sink = on_primary.sink()});
    auto replica = sa::create_engine(urls->replica, {.echo = true, .echo_sink = on_replica.sink()});
    fresh_readers(primary, replica);
    {
        auto conn = primary.connect();
        conn.execute_script(
            "CREATE OR REPLACE FUNCTION replica_add_reader(who text) RETURNS bigint LANGUAGE sql AS "
            "$$ INSERT INTO replica_readers (id, name) VALUES (3, who) RETURNING id $$");
        conn.commit();
    }
    wait_for_replay(primary, replica);
    on_primary.lines.clear();
    on_replica.lines.clear();

    SECTION("a select without FROM that calls a function which writes") {
        sa::Session session(primary, {.read_replica = replica});
        CHECK(session.query<Reader>().count() == 2);  // the replica, as nothing was written yet
        const auto id =
            session.execute(sa::select(sa::func<std::int64_t>("replica_add_reader", std::string("cy"))))
                .scalar_one();
        // What the function wrote is this transaction's: the reads after it see it.
        const auto cy = session.get<Reader>(id);
        REQUIRE(cy);
        CHECK(cy->name == "cy");
        CHECK(session.query<Reader>().count() == 3);
        CHECK(sa::test::count_starting_with(on_replica.lines, "SELECT") == 1);
        session.commit();
        CHECK(scalar<std::int64_t>(primary, "SELECT count(*) FROM replica_readers") == 3);
    }
    SECTION("a select of a model that takes a lock through sa::func") {
        // Another client holds the lock on the primary; a standby would grant it anyway.
        auto holder = primary.connect();
        holder.set_isolation_level(sa::IsolationLevel::autocommit);
        REQUIRE(holder.execute(sa::text("SELECT pg_try_advisory_lock(1)").columns<bool>()).scalar_one());
        sa::Session session(primary, {.read_replica = replica});
        const auto locked = sa::select(sa::func<bool>("pg_try_advisory_xact_lock", sa::col<&Reader::id>))
                                .where(sa::col<&Reader::id> == 1);
        CHECK_FALSE(session.execute(locked).scalar_one());
        CHECK_FALSE(session.query<Reader>()
                        .filter(sa::col<&Reader::id> == 1 &&
                                sa::func<bool>("pg_try_advisory_xact_lock", sa::col<&Reader::id>))
                        .exists());
        CHECK(sa::test::count_starting_with(on_replica.lines, "SELECT") == 0);
        // alchemy's own functions only read: their selects stay on the replica.
        sa::Session reader(primary, {.read_replica = replica});
        CHECK(reader.execute(sa::select(sa::count(), sa::max(sa::col<&Reader::name>))).one() ==
              std::tuple<std::int64_t, std::optional<std::string>>{2, "bob"});
        CHECK(sa::test::count_starting_with(on_replica.lines, "SELECT") == 1);
        holder.execute(sa::text("SELECT pg_advisory_unlock(1)").columns<bool>());
    }
}

TEST_CASE("a Session with binds and a read replica reads each model from its own place") {
    const auto urls = servers();
    if (!urls) return;
    sa::test::EchoCapture on_primary, on_replica, on_loans;
    auto primary = sa::create_engine(urls->primary, {.echo = true, .echo_sink = on_primary.sink()});
    auto replica = sa::create_engine(urls->replica, {.echo = true, .echo_sink = on_replica.sink()});
    auto loans = sa::create_engine(sa::test::postgres_schema_url(urls->primary),
                                   {.echo = true, .echo_sink = on_loans.sink()});
    fresh_readers(primary, replica);
    sa::metadata<Loan>().create_all(loans);
    const auto selects = [](const sa::test::EchoCapture& log) {
        return sa::test::count_starting_with(log.lines, "SELECT");
    };
    on_primary.lines.clear();
    on_replica.lines.clear();
    on_loans.lines.clear();

    sa::Session session(primary, {.binds = {sa::bind<Loan>(loans)}, .read_replica = replica});
    CHECK(session.query<Reader>().count() == 2);
    CHECK(session.query<Loan>().count() == 0);
    CHECK(selects(on_replica) == 1);
    CHECK(selects(on_loans) == 1);
    CHECK(selects(on_primary) == 0);
    // A write to the bound database alone: the Session's own engine has not written, so
    // its model still reads from the replica.
    session.add(Loan{.reader_id = 1});
    CHECK(session.query<Loan>().count() == 1);
    CHECK(session.query<Reader>().count() == 2);
    CHECK(selects(on_replica) == 2);
    CHECK(selects(on_loans) == 2);
    CHECK(sa::test::count_starting_with(on_loans.lines, "INSERT") == 1);
    session.add(Reader{.id = 3, .name = "di"});
    CHECK(session.query<Reader>().count() == 3);
    CHECK(selects(on_primary) == 1);
    session.commit();
    CHECK(scalar<std::int64_t>(primary, "SELECT count(*) FROM replica_readers") == 3);
    CHECK(scalar<std::int64_t>(loans, "SELECT count(*) FROM replica_loans") == 1);
}

TEST_CASE("while a yield_per() loop streams from the replica, writes to the primary are refused") {
    const auto urls = servers();
    if (!urls) return;
    auto primary = sa::create_engine(urls->primary);
    auto replica = sa::create_engine(urls->replica);
    fresh_readers(primary, replica);
    const auto name = sa::col<&Reader::name>;

    sa::Session session(primary, {.read_replica = replica});
    std::vector<std::string> names;
    for (const auto& reader : session.query<Reader>().order_by(sa::col<&Reader::id>).yield_per(1)) {
        names.push_back(reader->name);
        if (reader->id != 1) continue;
        // The loop would go on showing the replica's rows from before any of these.
        CHECK_THROWS_AS(session.query<Reader>().update(name = "renamed"), sa::InvalidRequestError);
        CHECK_THROWS_AS(session.execute(sa::update<Reader>().values(name = "renamed")),
                        sa::InvalidRequestError);
        CHECK_THROWS_AS(session.execute(sa::text("UPDATE replica_readers SET name = 'renamed'")),
                        sa::InvalidRequestError);
        reader->name = "ann 2";
        session.add(Reader{.id = 3, .name = "cy"});
        CHECK_THROWS_AS(session.flush(), sa::InvalidRequestError);
    }
    // The loop read every row as it was, and the changes wait for the commit.
    CHECK(names == std::vector<std::string>{"ann", "bob"});
    CHECK(scalar<std::int64_t>(primary, "SELECT count(*) FROM replica_readers WHERE name = 'renamed'") == 0);
    CHECK(scalar<std::int64_t>(primary, "SELECT count(*) FROM replica_readers") == 2);
    session.commit();
    CHECK(scalar<std::string>(primary, "SELECT name FROM replica_readers WHERE id = 1") == "ann 2");
    CHECK(scalar<std::int64_t>(primary, "SELECT count(*) FROM replica_readers") == 3);
}

TEST_CASE(
    "a pooled connection to a stopped replica is replaced, and with pool_pre_ping none fails after it is "
    "back") {
    const auto urls = servers();
    if (!urls) return;
    auto pinged = sa::create_engine(urls->replica, {.pool_pre_ping = true});
    auto unpinged = sa::create_engine(urls->replica);
    CHECK(scalar<std::int64_t>(pinged, "SELECT 1") == 1);
    CHECK(scalar<std::int64_t>(unpinged, "SELECT 1") == 1);

    RestartReplicaAtEnd guard;
    replica_ctl("stop -m fast");
    guard.stopped = true;
    // While it is down a request fails as a lost connection (and loses its connection).
    try {
        scalar<std::int64_t>(pinged, "SELECT 1");
        FAIL("a request to a stopped replica succeeded");
    } catch (const sa::OperationalError& e) {
        CHECK(e.connection_invalidated());
    }
    replica_ctl("start");
    guard.stopped = false;

    // With pre-ping no request fails once it is back.
    for (int i = 0; i < 5; ++i) CHECK(scalar<std::int64_t>(pinged, "SELECT 1") == 1);
    // Without it, the stale pooled connection fails its first use, and the pool recovers.
    try {
        scalar<std::int64_t>(unpinged, "SELECT 1");
        FAIL("a statement on a connection to the restarted replica succeeded");
    } catch (const sa::OperationalError& e) {
        CHECK(e.connection_invalidated());
    }
    CHECK(scalar<std::int64_t>(unpinged, "SELECT 1") == 1);
}
