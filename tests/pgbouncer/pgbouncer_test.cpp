// alchemy behind a real PgBouncer in transaction pooling mode, with default engine options
// (scripts/lib/pgbouncer.sh: every client shares two server sessions). Many threads mix
// statements, and every answer is checked against what was asked: no result may belong to
// another statement, no acknowledged write may be missing, and every transaction must run
// at the isolation level its engine or connection asked for.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <cxxabi.h>
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <typeinfo>
#include <vector>

namespace sa = alchemy;

namespace bouncer {

struct Entry {
    std::int64_t id = 0;
    std::int32_t thread = 0;
    std::int32_t seq = 0;
    std::string body{};
};

}  // namespace bouncer

template <>
inline constexpr auto sa::mapping<bouncer::Entry> = sa::table("pgbouncer_entries");

using bouncer::Entry;

namespace {

constexpr int thread_count = 8;

std::string body_of(int thread, int seq) { return fmt::format("thread {} op {}", thread, seq); }
constexpr const char* rolled_back_body = "rolled back with its SAVEPOINT";

/// What the threads saw: typed errors are allowed (and counted), wrong answers are not.
struct Tally {
    std::mutex mutex;
    std::map<std::string, int> errors;  ///< by exception class and SQLSTATE
    std::vector<std::string> wrong;     ///< answers that belong to another question
    std::atomic<int> operations{0};

    void error(const sa::Error& e) {
        int status = 0;
        char* name = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
        std::string key = status == 0 ? name : typeid(e).name();
        std::free(name);
        if (const auto* db = dynamic_cast<const sa::DatabaseError*>(&e)) key += " " + db->sqlstate();
        std::lock_guard lock(mutex);
        ++errors[key];
    }
    void wrong_answer(std::string what) {
        std::lock_guard lock(mutex);
        wrong.push_back(std::move(what));
    }
    int error_count() {
        std::lock_guard lock(mutex);
        int total = 0;
        for (const auto& [key, count] : errors) total += count;
        return total;
    }
    std::string report() {
        std::lock_guard lock(mutex);
        std::string out;
        for (const auto& [key, count] : errors) out += fmt::format("\n  {} x {}", count, key);
        for (const auto& w : wrong) out += "\n  wrong: " + w;
        return out;
    }
};

/// One acknowledged write: the rows it must have left.
struct Acknowledged {
    std::int64_t id;  ///< 0 for a batch, whose rows are found by thread and seq
    int thread;
    int seq;
    int rows;
};

void run_threads(const std::function<void(int)>& body) {
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t) threads.emplace_back(body, t);
    for (auto& thread : threads) thread.join();
}

}  // namespace

TEST_CASE("eight threads of mixed statements behind PgBouncer get only their own answers") {
    const auto url = sa::test::pgbouncer_url();
    if (!url) return;
    auto engine = sa::create_engine(*url);
    {
        auto conn = engine.connect();
        conn.execute_script("DROP TABLE IF EXISTS pgbouncer_entries");
        conn.commit();
        sa::metadata<Entry>().create_all(engine);
    }

    constexpr int operations_per_thread = 300;
    Tally tally;
    std::mutex acknowledged_mutex;
    std::vector<Acknowledged> acknowledged;

    run_threads([&](int t) {
        std::mt19937 random(static_cast<unsigned>(t));
        std::vector<Acknowledged> mine;
        for (int seq = 0; seq < operations_per_thread; ++seq) {
            ++tally.operations;
            const auto kind = random() % 7;
            try {
                if (kind == 0) {  // Core INSERT ... RETURNING in a transaction
                    auto conn = engine.connect();
                    const auto id =
                        conn.execute(sa::insert<Entry>()
                                         .values(Entry{.thread = t, .seq = seq, .body = body_of(t, seq)})
                                         .returning(sa::col<&Entry::id>))
                            .scalar_one();
                    conn.commit();
                    mine.push_back({id, t, seq, 1});
                } else if (kind == 1) {  // the Session's unit of work
                    sa::Session session(engine);
                    auto entry = session.add(Entry{.thread = t, .seq = seq, .body = body_of(t, seq)});
                    session.commit();
                    mine.push_back({entry->id, t, seq, 1});
                } else if (kind == 2) {  // a query whose SQL and answer are this thread's own
                    auto conn = engine.connect();
                    const auto [value, tag] =
                        conn.execute(sa::text(fmt::format("SELECT CAST(:x AS BIGINT) * 1000 + {} AS v, "
                                                          "CAST('thread {}' AS TEXT) AS tag",
                                                          t, t))
                                         .bind("x", seq)
                                         .columns<std::int64_t, std::string>())
                            .one();
                    if (value != seq * 1000 + t || tag != fmt::format("thread {}", t))
                        tally.wrong_answer(fmt::format("thread {} op {} got ({}, {})", t, seq, value, tag));
                } else if (kind == 3 && !mine.empty()) {  // read back one of this thread's rows
                    const auto& ack = mine[random() % mine.size()];
                    if (ack.id == 0) continue;
                    auto conn = engine.connect();
                    const auto row =
                        conn.execute(sa::select<Entry>().where(sa::col<&Entry::id> == ack.id)).one_or_none();
                    if (!row || row->thread != ack.thread || row->seq != ack.seq ||
                        row->body != body_of(ack.thread, ack.seq))
                        tally.wrong_answer(fmt::format("thread {} read back id {}: {}", t, ack.id,
                                                       row ? row->body : "no row"));
                } else if (kind == 5) {  // a SAVEPOINT rolled back inside a committed transaction
                    auto conn = engine.connect();
                    conn.execute(
                        sa::insert<Entry>().values(Entry{.thread = t, .seq = seq, .body = body_of(t, seq)}));
                    {
                        auto nested = conn.begin_nested();
                        conn.execute(sa::insert<Entry>().values(
                            Entry{.thread = t, .seq = -1 - seq, .body = rolled_back_body}));
                        nested.rollback();
                    }
                    conn.commit();
                    mine.push_back({0, t, seq, 1});
                } else if (kind == 6) {  // two rows through bulk_insert (COPY)
                    auto conn = engine.connect();
                    const std::vector<Entry> rows(2, Entry{.thread = t, .seq = seq, .body = body_of(t, seq)});
                    sa::bulk_insert(conn, rows);
                    conn.commit();
                    mine.push_back({0, t, seq, 2});
                } else {  // three rows through execute_batch (pipelined)
                    auto conn = engine.connect();
                    std::string sql = "INSERT INTO pgbouncer_entries (thread, seq, body) VALUES ($1, $2, $3)";
                    const auto body = body_of(t, seq);
                    std::vector<sa::Param> params;
                    for (int row = 0; row < 3; ++row) {
                        params.push_back(sa::Param::of_int(t));
                        params.push_back(sa::Param::of_int(seq));
                        params.push_back(sa::Param::of_text(body));
                    }
                    conn.execute_batch(sql, params, 3);
                    conn.commit();
                    mine.push_back({0, t, seq, 3});
                }
            } catch (const sa::Error& e) {
                tally.error(e);
            }
        }
        std::lock_guard lock(acknowledged_mutex);
        acknowledged.insert(acknowledged.end(), mine.begin(), mine.end());
    });

    // Every acknowledged write is there, with what was written.
    int lost = 0;
    auto conn = sa::create_engine(*url).connect();
    std::map<std::tuple<int, int>, std::vector<Entry>> stored;
    for (auto& entry : conn.execute(sa::select<Entry>())) {
        if (entry.body == rolled_back_body)
            tally.wrong_answer(
                fmt::format("thread {}: a row inserted in a rolled back SAVEPOINT is stored", entry.thread));
        stored[{entry.thread, entry.seq}].push_back(entry);
    }
    for (const auto& ack : acknowledged) {
        const auto& rows = stored[{ack.thread, ack.seq}];
        const bool found =
            static_cast<int>(rows.size()) == ack.rows &&
            std::all_of(rows.begin(), rows.end(), [&](const Entry& e) {
                return (ack.id == 0 || e.id == ack.id) && e.body == body_of(ack.thread, ack.seq);
            });
        if (!found) ++lost;
    }

    const int errors = tally.error_count();
    const auto summary = fmt::format(
        "PgBouncer stress: {} operations, {} acknowledged writes, {} lost, {} wrong answers, "
        "{} typed errors ({:.1f} %){}",
        tally.operations.load(), acknowledged.size(), lost, tally.wrong.size(), errors,
        100.0 * errors / tally.operations.load(), tally.report());
    fmt::print("{}\n", summary);
    INFO(summary);
    CHECK(tally.wrong.empty());
    CHECK(lost == 0);
    CHECK(acknowledged.size() > 0);
}

TEST_CASE(
    "each transaction behind PgBouncer runs at the isolation level its engine or connection asked for") {
    const auto url = sa::test::pgbouncer_url();
    if (!url) return;
    auto plain = sa::create_engine(*url);
    auto serializable = sa::create_engine(*url, {.isolation_level = sa::IsolationLevel::serializable});
    constexpr int transactions_per_thread = 120;
    const auto show = sa::text("SHOW transaction_isolation").columns<std::string>();
    Tally tally;
    std::atomic<int> checked{0};

    run_threads([&](int t) {
        for (int i = 0; i < transactions_per_thread; ++i) {
            ++tally.operations;
            try {
                std::string expected;
                std::string seen;
                std::string again;
                switch ((t + i) % 4) {
                case 0: {
                    auto conn = plain.connect();
                    expected = "read committed";  // the server's default
                    seen = conn.execute(show).scalar_one();
                    again = conn.execute(show).scalar_one();
                    conn.commit();
                    break;
                }
                case 1: {
                    auto conn = serializable.connect();
                    expected = "serializable";
                    seen = conn.execute(show).scalar_one();
                    again = conn.execute(show).scalar_one();
                    conn.commit();
                    break;
                }
                case 2: {  // a level for one connection must not reach anyone else
                    auto conn = plain.connect();
                    conn.set_isolation_level(sa::IsolationLevel::repeatable_read);
                    expected = "repeatable read";
                    seen = conn.execute(show).scalar_one();
                    again = conn.execute(show).scalar_one();
                    conn.commit();
                    break;
                }
                default: {
                    sa::Session session(serializable);
                    expected = "serializable";
                    seen = session.connection().execute(show).scalar_one();
                    again = session.connection().execute(show).scalar_one();
                    session.commit();
                    break;
                }
                }
                ++checked;
                if (seen != expected || again != expected)
                    tally.wrong_answer(
                        fmt::format("thread {} transaction {}: asked for {}, ran at {} then {}", t, i,
                                    expected, seen, again));
            } catch (const sa::Error& e) {
                tally.error(e);
            }
        }
    });

    const auto summary = fmt::format(
        "PgBouncer isolation: {} transactions checked, {} at the wrong level, "
        "{} typed errors{}",
        checked.load(), tally.wrong.size(), tally.error_count(), tally.report());
    fmt::print("{}\n", summary);
    INFO(summary);
    CHECK(tally.wrong.empty());
    CHECK(tally.error_count() == 0);
    CHECK(checked.load() == thread_count * transactions_per_thread);
}

TEST_CASE(
    "execute_batch behind PgBouncer starts over when its prepared statement is on another server session") {
    const auto url = sa::test::pgbouncer_url();
    if (!url) return;
    const bool autocommit = GENERATE(false, true);
    INFO("autocommit " << autocommit);
    // The default prepare_threshold: a statement run often enough is prepared, on the
    // server session the pooler gave the connection at that moment.
    auto engine = sa::create_engine(
        *url, {.isolation_level = autocommit ? std::optional(sa::IsolationLevel::autocommit) : std::nullopt});
    auto other = sa::create_engine(*url);
    const std::string table = autocommit ? "pgbouncer_batch_autocommit" : "pgbouncer_batch";
    {
        auto conn = engine.connect();
        conn.execute_script("DROP TABLE IF EXISTS " + table);
        conn.execute_script("CREATE TABLE " + table + " (n BIGINT NOT NULL)");
        conn.commit();
    }
    const auto sql = "INSERT INTO " + table + " (n) VALUES ($1)";
    std::vector<sa::Param> params;
    for (int i = 0; i < 10; ++i) params.push_back(sa::Param::of_int(i));
    auto conn = engine.connect();
    conn.execute_batch(sql, params, 1);  // prepared on the server session it ran on
    conn.commit();
    // Another client holds that server session in a transaction, so the next batch runs on
    // the other one, which never saw the statement.
    auto holder = other.connect();
    CHECK(holder.execute(sa::text("SELECT 1").columns<std::int64_t>()).scalar_one() == 1);
    conn.execute_batch(sql, params, 1);
    conn.commit();
    holder.rollback();
    auto check = other.connect();
    CHECK(check.execute(sa::text("SELECT count(*) FROM " + table).columns<std::int64_t>()).scalar_one() ==
          20);
    check.execute_script("DROP TABLE " + table);
    check.commit();
}
