// One const text() clause shared by many threads, as a thread pool shares a prepared
// query: its compiled SQL is memoized inside the clause, so reads from several threads,
// for two dialects at once, must neither race nor hand a thread another dialect's SQL.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace sa = alchemy;

TEST_CASE("a const text() clause is safe to execute from many threads on two dialects") {
    const auto& postgresql = sa::driver_for(sa::make_url("postgresql://h/db")).dialect();
    auto engine = sa::create_engine(sa::test::sqlite_temp_url(), {.pool_size = 4});
    const auto sum = sa::text("SELECT :a + :b").bind("a", 40).bind("b", 2).columns<std::int64_t>();

    std::atomic<int> wrong{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < 8; ++t)
        workers.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                // Alternating dialects makes every thread replace the memo another reads.
                if (sum.sql(postgresql) != "SELECT $1 + $2") ++wrong;
                auto conn = engine.connect();
                if (conn.execute(sum).scalar_one() != 42) ++wrong;
                if (sum.sql(conn.dialect()) != "SELECT ? + ?") ++wrong;
            }
        });
    for (auto& worker : workers) worker.join();
    CHECK(wrong == 0);
}
