// Committed inserts from 8 threads while the PostgreSQL server restarts (pg_ctl restart
// -m fast, or stop / 2 s / start), with and without pool_pre_ping. Every row a commit()
// acknowledged must be in the table afterwards; a row that is there without an
// acknowledgement must belong to a commit() that failed with a lost connection (its
// outcome is unknown: "in doubt"); every failure must be an OperationalError flagged as
// a disconnect; and every thread must commit again once the server is back. The figures
// are printed with the prefix "fault figures:" (docs/reliability.md).
//
// This suite restarts the shared test server, so CTest runs it alone (RUN_SERIAL);
// scripts/run-tests exports ALCHEMY_PG_CTL.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

namespace sa = alchemy;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int thread_count = 8;
constexpr std::int64_t ids_per_thread = 1'000'000;

enum class Outage { restart, stop_start };

/// Runs pg_ctl; false if it failed. (No REQUIRE here: the inserting threads must be
/// joined before the test may end.)
bool pg_ctl(const std::string& action) {
    const std::string command =
        std::string("\"") + std::getenv("ALCHEMY_PG_CTL") + "\" " + action + " >/dev/null";
    return std::system(command.c_str()) == 0;
}

/// What one thread saw.
struct Tally {
    std::vector<std::int64_t> acknowledged;
    std::vector<std::int64_t> in_doubt;   ///< commit() failed with a lost connection
    std::map<std::string, int> failures;  ///< by "class sqlstate at stage"
    std::vector<std::string> wrong;       ///< failures that are not flagged OperationalErrors
    std::optional<Clock::time_point> first_success_after_up;
};

/// The state the main thread shares with the inserting threads.
struct Shared {
    std::atomic<bool> stop{false};
    std::atomic<bool> server_up{false};
    std::atomic<int> recovered{0};  ///< threads that committed since server_up
};

std::string class_name(const sa::DatabaseError& e) {
    if (dynamic_cast<const sa::OperationalError*>(&e)) return "OperationalError";
    if (dynamic_cast<const sa::IntegrityError*>(&e)) return "IntegrityError";
    if (dynamic_cast<const sa::InternalError*>(&e)) return "InternalError";
    if (dynamic_cast<const sa::ProgrammingError*>(&e)) return "ProgrammingError";
    return "DatabaseError";
}

/// Inserts one row per transaction, each with a new id, until `shared.stop`.
void insert_until_stopped(sa::Engine& engine, int thread, Shared& shared, Tally& tally) {
    const std::string insert = "INSERT INTO fault_rows (id) VALUES (:id)";
    for (std::int64_t i = 0; !shared.stop; ++i) {
        const std::int64_t id = thread * ids_per_thread + i;
        // Read before the attempt: a success counts as a recovery only if all of it
        // happened after the server was back.
        const bool after_up = shared.server_up;
        std::string stage = "checkout";
        bool failed = true;
        try {
            auto conn = engine.connect();
            stage = "insert";
            conn.execute(sa::text(insert).bind("id", id));
            stage = "commit";
            conn.commit();
            tally.acknowledged.push_back(id);
            failed = false;
            if (after_up && !tally.first_success_after_up) {
                tally.first_success_after_up = Clock::now();
                ++shared.recovered;
            }
        } catch (const sa::DatabaseError& e) {
            ++tally.failures[class_name(e) + " " + e.sqlstate() + " at " + stage];
            const bool flagged = dynamic_cast<const sa::OperationalError*>(&e) && e.connection_invalidated();
            if (!flagged) tally.wrong.push_back(class_name(e) + " at " + stage + ": " + e.what());
            else if (stage == "commit") tally.in_doubt.push_back(id);
        } catch (const std::exception& e) {
            ++tally.failures[std::string(typeid(e).name()) + " at " + stage];
            tally.wrong.push_back("at " + stage + ": " + e.what());
        }
        // A failed attempt waits a little before the next, as a client's retry would,
        // rather than spinning on a refused connection while the server is down.
        if (failed) std::this_thread::sleep_for(10ms);
    }
}

void run_outage(Outage outage, bool pre_ping) {
    const auto url = sa::test::postgres_schema_url(*sa::test::postgres_url());
    auto engine = sa::create_engine(
        url, {.pool_size = thread_count, .max_overflow = 0, .pool_timeout = 10s, .pool_pre_ping = pre_ping});
    {
        auto conn = engine.connect();
        conn.execute_script("CREATE TABLE fault_rows (id bigint PRIMARY KEY)");
        conn.commit();
    }

    Shared shared;
    std::vector<Tally> tallies(thread_count);
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t)
        threads.emplace_back([&, t] { insert_until_stopped(engine, t, shared, tallies[t]); });

    std::this_thread::sleep_for(1s);  // under load before the outage
    bool pg_ctl_ok = true;
    if (outage == Outage::restart) {
        pg_ctl_ok = pg_ctl("restart -m fast");
    } else {
        pg_ctl_ok = pg_ctl("stop -m fast");
        std::this_thread::sleep_for(2s);
        pg_ctl_ok = pg_ctl("start") && pg_ctl_ok;
    }
    const auto up = Clock::now();  // pg_ctl -w returns once the server accepts connections
    shared.server_up = true;
    // Until every thread committed again (20 s at most: the check below reports those
    // that did not), then a little longer under load.
    const auto give_up = up + 20s;
    while (shared.recovered < thread_count && Clock::now() < give_up) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(500ms);
    shared.stop = true;
    for (auto& th : threads) th.join();
    REQUIRE(pg_ctl_ok);

    std::set<std::int64_t> acknowledged, in_doubt;
    std::map<std::string, int> failures;
    int failure_count = 0;
    std::vector<double> recovery_ms;
    for (const auto& tally : tallies) {
        acknowledged.insert(tally.acknowledged.begin(), tally.acknowledged.end());
        in_doubt.insert(tally.in_doubt.begin(), tally.in_doubt.end());
        for (const auto& [kind, n] : tally.failures) {
            failures[kind] += n;
            failure_count += n;
        }
        for (const auto& message : tally.wrong) UNSCOPED_INFO(message);
        CHECK(tally.wrong.empty());
        if (tally.first_success_after_up)
            recovery_ms.push_back(
                std::chrono::duration<double, std::milli>(*tally.first_success_after_up - up).count());
    }

    auto conn = engine.connect();
    const auto rows = conn.execute(sa::text("SELECT id FROM fault_rows").columns<std::int64_t>()).all();
    const std::set<std::int64_t> present(rows.begin(), rows.end());
    std::size_t lost = 0, unacknowledged = 0, present_in_doubt = 0;
    for (const auto id : acknowledged) lost += present.count(id) ? 0 : 1;
    for (const auto id : present) {
        if (acknowledged.count(id)) continue;
        if (in_doubt.count(id)) ++present_in_doubt;
        else ++unacknowledged;
    }

    std::ostringstream figures;
    figures << "fault figures: " << (outage == Outage::restart ? "restart -m fast" : "stop, 2 s, start")
            << ", pool_pre_ping " << (pre_ping ? "on" : "off") << ": " << thread_count << " threads, "
            << acknowledged.size() << " rows acknowledged, " << lost << " lost, " << unacknowledged
            << " present unacknowledged, " << present_in_doubt << " of " << in_doubt.size()
            << " in doubt committed; " << failure_count << " failures";
    for (const auto& [kind, n] : failures) figures << "\nfault figures:   " << n << " x " << kind;
    std::sort(recovery_ms.begin(), recovery_ms.end());
    figures << "\nfault figures:   recovery from server up to each thread's first commit (ms):";
    for (const auto ms : recovery_ms) figures << ' ' << static_cast<long>(ms);
    if (!recovery_ms.empty()) figures << "; max " << static_cast<long>(recovery_ms.back());
    WARN(figures.str());

    CHECK(lost == 0);
    CHECK(unacknowledged == 0);
    CHECK(present_in_doubt <= in_doubt.size());
    CHECK(failure_count > 0);  // the outage was seen, or the test proved nothing
    CHECK(recovery_ms.size() == static_cast<std::size_t>(thread_count));
    CHECK(engine.pool_status().checked_out == 1);
}

bool configured() {
    const char* require = std::getenv("ALCHEMY_REQUIRE_POSTGRES");
    if (sa::test::postgres_url() && std::getenv("ALCHEMY_PG_CTL")) return true;
    if (require && std::string(require) == "1") FAIL("PostgreSQL or ALCHEMY_PG_CTL not configured");
    WARN("PostgreSQL restart test skipped: no ALCHEMY_TEST_POSTGRES_URL / ALCHEMY_PG_CTL");
    return false;
}

}  // namespace

TEST_CASE("pg_ctl restart -m fast under 8 threads of commits loses no acknowledged row") {
    const bool pre_ping = GENERATE(false, true);
    if (!configured()) return;
    run_outage(Outage::restart, pre_ping);
}

TEST_CASE("a server stopped for 2 s under 8 threads of commits loses no acknowledged row") {
    const bool pre_ping = GENERATE(false, true);
    if (!configured()) return;
    run_outage(Outage::stop_start, pre_ping);
}
