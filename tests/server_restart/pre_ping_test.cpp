// Pool behaviour across a PostgreSQL restart. This suite restarts the shared test
// server, so CTest runs it alone (RUN_SERIAL); scripts/run-tests exports ALCHEMY_PG_CTL.
#include "support/backends.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

namespace sa = alchemy;

namespace {

bool restart_server() {
    const char* pg_ctl = std::getenv("ALCHEMY_PG_CTL");
    if (!pg_ctl || !*pg_ctl) return false;
    const std::string command = std::string("\"") + pg_ctl + "\" restart -m fast >/dev/null";
    REQUIRE(std::system(command.c_str()) == 0);
    return true;
}

std::int64_t select_one(sa::Engine& engine) {
    auto conn = engine.connect();
    return conn.execute(sa::text("SELECT 1").columns<std::int64_t>()).scalar_one();
}

}  // namespace

TEST_CASE("after a server restart, pre-ping replaces dead pooled connections unseen") {
    const auto url = sa::test::postgres_url();
    const char* require = std::getenv("ALCHEMY_REQUIRE_POSTGRES");
    if (!url || !std::getenv("ALCHEMY_PG_CTL")) {
        if (require && std::string(require) == "1") FAIL("PostgreSQL or ALCHEMY_PG_CTL not configured");
        WARN("PostgreSQL restart test skipped: no ALCHEMY_TEST_POSTGRES_URL / ALCHEMY_PG_CTL");
        return;
    }
    auto pinged = sa::create_engine(*url, {.pool_pre_ping = true});
    auto unpinged = sa::create_engine(*url);
    REQUIRE(select_one(pinged) == 1);
    REQUIRE(select_one(unpinged) == 1);
    REQUIRE(pinged.pool_status().checked_in == 1);

    REQUIRE(restart_server());

    // With pre-ping the stale connection is noticed at checkout and replaced.
    CHECK(select_one(pinged) == 1);
    CHECK(pinged.pool_status().connects == 2);

    // Without it the first use fails with a disconnect, and the pool recovers.
    try {
        select_one(unpinged);
        FAIL("a statement on a connection to the restarted server succeeded");
    } catch (const sa::DatabaseError& e) {
        CHECK(e.connection_invalidated());
    }
    CHECK(select_one(unpinged) == 1);
    CHECK(unpinged.pool_status().connects == 2);
}
