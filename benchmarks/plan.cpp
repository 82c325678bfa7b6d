#include "plan.hpp"

#include "bulk_insert_work.hpp"
#include "core_work.hpp"
#include "raw_postgres.hpp"
#include "raw_sqlite.hpp"
#include "session_work.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace bench {
namespace {

/// What a work item starts from and how its result is checked.
enum class Seed { nothing, users, users_and_posts };
enum class Verify { returned_check, users_table };
struct Setup {
    Seed seed;
    Verify verify;
    Check expected;
};

struct Work {
    Setup w1_w2, w3, w4, w5, w6;              // W5b starts and ends as W5 does
    std::string l1, l2, l3, l4, l5, l5b, l6;  // labels for the table
};

Work work_items(const Sizes& s) {
    return {
        {Seed::nothing, Verify::users_table, expected_inserted(s.insert_users)},
        {Seed::users, Verify::returned_check, expected_loaded(s.table_users)},
        {Seed::users, Verify::returned_check, expected_lookups(s.lookups, s.table_users)},
        {Seed::users, Verify::users_table, expected_updated(s.updates, s.table_users)},
        {Seed::users_and_posts, Verify::returned_check, expected_groups(s.post_users, s.posts_per_user)},
        fmt::format("W1 insert {} users", s.insert_users),
        fmt::format("W2 bulk insert {}", s.insert_users),
        fmt::format("W3 load {} users", s.table_users),
        fmt::format("W4 {} gets by key", s.lookups),
        fmt::format("W5 update {} users", s.updates),
        fmt::format("W5b get+set {} users", s.updates),
        fmt::format("W6 {} users+{} posts", s.post_users, s.post_users * s.posts_per_user),
    };
}

/// Adds variants to a Plan: each starts from empty tables seeded as its Setup says, runs
/// its work, and reports the Check the Setup asks for. Only the work's own stopwatch
/// calls are timed.
class Builder {
public:
    Builder(Database& db, const Inputs& in) : db_(db), in_(in) {}

    void add(std::string key, const Setup& setup, std::function<Check(Stopwatch&)> work) {
        auto run = [&db = db_, &in = in_, setup, work = std::move(work)](Stopwatch& t) {
            db.reset();
            if (setup.seed == Seed::users) db.seed_users(in.sizes.table_users);
            if (setup.seed == Seed::users_and_posts) {
                db.seed_users(in.sizes.post_users);
                db.seed_posts(in.sizes.post_users, in.sizes.posts_per_user);
            }
            const Check got = work(t);
            return setup.verify == Verify::users_table ? db.users_table() : got;
        };
        plan.variants.push_back({std::move(key), setup.expected, std::move(run)});
    }

    /// Adds a raw variant, wrapped so that a failure leaves its connection idle again:
    /// otherwise the next variant's DROP TABLE could wait forever on the locks of an
    /// abandoned transaction.
    template <class Connection, class F>
    void add_raw(std::string key, const Setup& setup, std::shared_ptr<Connection> raw, F work) {
        add(std::move(key), setup, [raw, work](Stopwatch& t) {
            try {
                return work(*raw, t);
            } catch (...) {
                raw->recover();
                throw;
            }
        });
    }

    /// The alchemy variants, the same on both backends.
    void add_alchemy(const Work& w) {
        Database& db = db_;
        const Inputs& in = in_;
        add("w2.core", w.w1_w2, [&](Stopwatch& t) { return core::insert_users(db, in.users, t); });
        add("w3.core", w.w3, [&](Stopwatch& t) { return core::load_users(db, t); });
        add("w4.core", w.w4, [&](Stopwatch& t) { return core::get_users(db, in.ids, t); });
        add("w5.core", w.w5, [&](Stopwatch& t) { return core::update_users(db, in.sizes.updates, t); });
        add("w6.core", w.w6, [&](Stopwatch& t) { return core::load_user_posts(db, in.sizes.post_users, t); });
        add("w1.session", w.w1_w2, [&](Stopwatch& t) { return session::insert_users(db, in.users, t); });
        add("w2.bulk", w.w1_w2, [&](Stopwatch& t) { return bulk::insert_users(db, in.users, t); });
        add("w3.session", w.w3, [&](Stopwatch& t) { return session::load_users(db, t); });
        add("w4.session", w.w4, [&](Stopwatch& t) { return session::get_users(db, in.ids, t); });
        add("w4.session_one", w.w4,
            [&](Stopwatch& t) { return session::get_users_one_session(db, in.ids, t); });
        add("w5.session", w.w5, [&](Stopwatch& t) { return session::update_users(db, in.sizes.updates, t); });
        add("w5b.session", w.w5,
            [&](Stopwatch& t) { return session::get_update_users(db, in.sizes.updates, t); });
        add("w6.session", w.w6,
            [&](Stopwatch& t) { return session::load_user_posts(db, in.sizes.post_users, t); });
        add("w6.selectin", w.w6,
            [&](Stopwatch& t) { return session::load_user_posts_related(db, in.sizes.post_users, true, t); });
        add("w6.lazy", w.w6, [&](Stopwatch& t) {
            return session::load_user_posts_related(db, in.sizes.post_users, false, t);
        });
    }

    /// The plan, its variants grouped by work item ("w3.raw" next to "w3.core"), so that
    /// a raw baseline and the alchemy variants compared with it run close in time.
    Plan take() {
        const auto work = [](const Variant& v) { return v.key.substr(0, v.key.find('.')); };
        std::stable_sort(plan.variants.begin(), plan.variants.end(),
                         [&](const Variant& a, const Variant& b) { return work(a) < work(b); });
        return std::move(plan);
    }

    Plan plan;

private:
    Database& db_;
    const Inputs& in_;
};

/// The journal mode and synchronous setting of a SQLite connection, as one text.
constexpr const char* journal_settings_sql =
    "SELECT 'journal_mode=' || journal_mode || ', synchronous=' || "
    "(SELECT CASE synchronous WHEN 0 THEN 'off' WHEN 1 THEN 'normal' WHEN 2 THEN 'full' ELSE 'extra' END "
    "FROM pragma_synchronous) FROM pragma_journal_mode";

/// The settings the raw connection and alchemy's connections share; throws if they
/// differ. The raw connection opens as alchemy's driver does and neither sets a journal
/// mode or synchronous level, so both run with SQLite's defaults (or, for the journal
/// mode, with what the database file records, as WAL is).
std::string same_journal_settings(Database& db, raw_sqlite::Connection& raw) {
    const auto raw_settings = raw.text_value(journal_settings_sql);
    for (auto* engine : {&db.engine(), &db.autocommit_engine()}) {
        auto conn = engine->connect();
        const auto settings =
            conn.execute(alchemy::text(journal_settings_sql).columns<std::string>()).scalar_one();
        if (settings != raw_settings)
            throw std::runtime_error(
                fmt::format("raw SQLite runs with {}, alchemy with {}", raw_settings, settings));
    }
    return raw_settings;
}

}  // namespace

Plan sqlite_plan(Database& db, const Inputs& in) {
    namespace raw = raw_sqlite;
    using C = raw::Connection;
    const auto w = work_items(in.sizes);
    const auto& s = in.sizes;
    // One raw connection for the whole run, as the engine keeps its pooled one.
    const auto conn = std::make_shared<C>(db.url().database);
    Builder b(db, in);
    // W1 and W2 share a raw baseline: a prepared single-row INSERT loop in one transaction;
    // W2's own is the multi-row INSERT.
    b.add_raw("w1.raw", w.w1_w2, conn, [&](C& c, Stopwatch& t) { return raw::insert_users(c, in.users, t); });
    b.add_raw("w2.raw_multirow", w.w1_w2, conn,
              [&](C& c, Stopwatch& t) { return raw::insert_users_multirow(c, in.users, t); });
    b.add_raw("w3.raw", w.w3, conn, [](C& c, Stopwatch& t) { return raw::load_users(c, t); });
    b.add_raw("w3.floor", w.w3, conn, [](C& c, Stopwatch& t) { return raw::load_users_as_objects(c, t); });
    b.add_raw("w4.raw", w.w4, conn, [&](C& c, Stopwatch& t) { return raw::get_users(c, in.ids, t); });
    b.add_raw("w4.raw_transaction", w.w4, conn,
              [&](C& c, Stopwatch& t) { return raw::get_users_in_transaction(c, in.ids, t); });
    b.add_raw("w4.floor_transaction", w.w4, conn,
              [&](C& c, Stopwatch& t) { return raw::get_users_in_transaction_as_objects(c, in.ids, t); });
    b.add_raw("w5.raw", w.w5, conn, [&](C& c, Stopwatch& t) { return raw::update_users(c, s.updates, t); });
    b.add_raw("w5b.raw", w.w5, conn,
              [&](C& c, Stopwatch& t) { return raw::get_update_users(c, s.updates, t); });
    b.add_raw("w6.raw", w.w6, conn,
              [&](C& c, Stopwatch& t) { return raw::load_user_posts(c, s.post_users, t); });
    b.add_raw("w6.raw_two", w.w6, conn,
              [&](C& c, Stopwatch& t) { return raw::load_user_posts_two_queries(c, s.post_users, t); });
    b.add_raw("w6.floor", w.w6, conn,
              [&](C& c, Stopwatch& t) { return raw::load_user_posts_as_objects(c, s.post_users, t); });
    b.add_alchemy(w);

    b.plan.rows = {
        {w.l1, "Session, one commit", "w1.raw", "w1.session", 1.25},
        {w.l2, "Core multi-row insert vs raw multi-row", "w2.raw_multirow", "w2.core", 1.10},
        {w.l2, "bulk_insert vs raw multi-row", "w2.raw_multirow", "w2.bulk", 1.10},
        {w.l2, "Core multi-row insert vs single-row loop", "w1.raw", "w2.core", std::nullopt},
        {w.l2, "bulk_insert vs single-row loop", "w1.raw", "w2.bulk", std::nullopt},
        {w.l3, "Core select<User>()", "w3.raw", "w3.core", 1.10},
        {w.l3, "Session query<User>()", "w3.raw", "w3.session", 1.25},
        {w.l3, "floor: raw into session-kept objects", "w3.raw", "w3.floor", std::nullopt},
        {w.l3, "Session query<User>() vs the floor", "w3.floor", "w3.session", std::nullopt},
        {w.l4, "Core select, autocommit", "w4.raw", "w4.core", 1.10},
        {w.l4, "Session get<User>(), fresh Session each", "w4.raw", "w4.session", 1.25},
        {w.l4, "Session get<User>(), one Session vs one transaction", "w4.raw_transaction", "w4.session_one",
         1.25},
        {w.l4, "Session get<User>(), one Session vs autocommit", "w4.raw", "w4.session_one", std::nullopt},
        {w.l4, "floor: one transaction into session-kept objects", "w4.raw_transaction",
         "w4.floor_transaction", std::nullopt},
        {w.l4, "Session get<User>(), one Session vs the floor", "w4.floor_transaction", "w4.session_one",
         std::nullopt},
        {w.l5, "Core select + update per row", "w5.raw", "w5.core", 1.10},
        {w.l5, "Session, one commit", "w5.raw", "w5.session", 1.25},
        {w.l5b, "Session vs raw select + update per row", "w5b.raw", "w5b.session", 1.25},
        {w.l5b, "Session vs raw W5 (one select, update per row)", "w5.raw", "w5b.session", std::nullopt},
        {w.l6, "Core join", "w6.raw", "w6.core", 1.10},
        {w.l6, "Session, two queries", "w6.raw", "w6.session", std::nullopt},
        {w.l6, "selectinload vs raw two queries", "w6.raw_two", "w6.selectin", 1.25},
        {w.l6, "Lazy load, batched, vs raw two queries", "w6.raw_two", "w6.lazy", 1.25},
        {w.l6, "floor: raw two queries into objects", "w6.raw_two", "w6.floor", std::nullopt},
        {w.l6, "selectinload vs the floor", "w6.floor", "w6.selectin", std::nullopt},
    };
    b.plan.settings = same_journal_settings(db, *conn);
    return b.take();
}

Plan postgres_plan(Database& db, const Inputs& in) {
    namespace raw = raw_postgres;
    using C = raw::Connection;
    const auto w = work_items(in.sizes);
    const auto& s = in.sizes;
    // One raw connection for the whole run, as the engine keeps its pooled one.
    const auto conn = std::make_shared<C>(db.url());
    Builder b(db, in);
    b.add_raw("w1.raw", w.w1_w2, conn, [&](C& c, Stopwatch& t) { return raw::insert_users(c, in.users, t); });
    b.add_raw("w1.raw_pipeline", w.w1_w2, conn,
              [&](C& c, Stopwatch& t) { return raw::insert_users_pipelined(c, in.users, t); });
    b.add_raw("w2.raw_copy", w.w1_w2, conn,
              [&](C& c, Stopwatch& t) { return raw::copy_users(c, in.users, t); });
    b.add_raw("w3.raw", w.w3, conn, [](C& c, Stopwatch& t) { return raw::load_users(c, t); });
    b.add_raw("w3.floor", w.w3, conn, [](C& c, Stopwatch& t) { return raw::load_users_as_objects(c, t); });
    b.add_raw("w4.raw", w.w4, conn, [&](C& c, Stopwatch& t) { return raw::get_users(c, in.ids, t); });
    b.add_raw("w5.raw", w.w5, conn, [&](C& c, Stopwatch& t) { return raw::update_users(c, s.updates, t); });
    b.add_raw("w5.raw_pipeline", w.w5, conn,
              [&](C& c, Stopwatch& t) { return raw::update_users_pipelined(c, s.updates, t); });
    b.add_raw("w5b.raw", w.w5, conn,
              [&](C& c, Stopwatch& t) { return raw::get_update_users(c, s.updates, t); });
    b.add_raw("w6.raw", w.w6, conn,
              [&](C& c, Stopwatch& t) { return raw::load_user_posts(c, s.post_users, t); });
    b.add_raw("w6.raw_two", w.w6, conn,
              [&](C& c, Stopwatch& t) { return raw::load_user_posts_two_queries(c, s.post_users, t); });
    b.add_raw("w6.floor", w.w6, conn,
              [&](C& c, Stopwatch& t) { return raw::load_user_posts_as_objects(c, s.post_users, t); });
    b.add_alchemy(w);

    b.plan.rows = {
        {w.l1, "Session vs one per round trip", "w1.raw", "w1.session", 0.10},
        {w.l1, "Session vs pipeline", "w1.raw_pipeline", "w1.session", std::nullopt},
        {w.l1, "Session vs COPY (W2's raw)", "w2.raw_copy", "w1.session", 1.50},
        {w.l2, "Core multi-row insert vs COPY", "w2.raw_copy", "w2.core", std::nullopt},
        {w.l2, "bulk_insert vs COPY", "w2.raw_copy", "w2.bulk", 1.20},
        {w.l3, "Core select<User>() vs prepared", "w3.raw", "w3.core", 1.10},
        {w.l3, "Session query<User>() vs prepared", "w3.raw", "w3.session", 1.25},
        {w.l3, "floor: raw into session-kept objects", "w3.raw", "w3.floor", std::nullopt},
        {w.l3, "Session query<User>() vs the floor", "w3.floor", "w3.session", std::nullopt},
        {w.l4, "Core select, autocommit vs prepared", "w4.raw", "w4.core", 1.10},
        {w.l4, "Session get<User>() vs prepared", "w4.raw", "w4.session", 1.25},
        {w.l4, "Session get<User>(), one Session vs prepared", "w4.raw", "w4.session_one", 1.25},
        {w.l5, "Core update per row vs one per trip", "w5.raw", "w5.core", std::nullopt},
        {w.l5, "Session vs one per round trip", "w5.raw", "w5.session", 0.10},
        {w.l5, "Session vs pipeline", "w5.raw_pipeline", "w5.session", std::nullopt},
        {w.l5b, "Session vs raw select + update per row", "w5b.raw", "w5b.session", std::nullopt},
        {w.l5b, "Session vs raw W5 one per round trip", "w5.raw", "w5b.session", std::nullopt},
        {w.l5b, "Session vs raw W5 pipeline", "w5.raw_pipeline", "w5b.session", std::nullopt},
        {w.l6, "Core join vs prepared join", "w6.raw", "w6.core", std::nullopt},
        {w.l6, "Session two queries vs prepared join", "w6.raw", "w6.session", std::nullopt},
        {w.l6, "selectinload vs prepared two queries", "w6.raw_two", "w6.selectin", 1.20},
        {w.l6, "Lazy load, batched, vs prepared two queries", "w6.raw_two", "w6.lazy", 1.20},
        {w.l6, "floor: raw two queries into objects", "w6.raw_two", "w6.floor", std::nullopt},
        {w.l6, "selectinload vs the floor", "w6.floor", "w6.selectin", std::nullopt},
    };
    return b.take();
}

}  // namespace bench
