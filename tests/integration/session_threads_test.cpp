// docs/session.md "Threads": one Engine and one sessionmaker shared by every thread, a
// Session per task, on both backends.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <string>
#include <thread>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;

namespace threads {

struct Job {
    std::int64_t id = 0;
    std::string name{};
};

struct Step;
struct Plan {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Step> steps{};
};
struct Step {
    std::int64_t id = 0;
    std::int64_t plan_id = 0;
    std::string name{};
    sa::BelongsTo<Plan> plan{};
};

}  // namespace threads

template <>
inline constexpr auto sa::mapping<threads::Plan> = sa::table("plans");
template <>
inline constexpr auto sa::mapping<threads::Step> = sa::table("steps");

TEST_CASE("a Session per task from a shared Engine and sessionmaker") {
    using threads::Job;
    auto backend = GENERATE(from_range(backends()));
    const auto url = backend.url;
    {
        auto setup = backend.engine();
        sa::metadata<Job>().create_all(setup);
    }

    // The code of docs/session.md, as it stands there.
    auto engine = sa::create_engine(url, {.pool_size = 8});  // one Engine for the program
    auto Session = sa::sessionmaker(engine);                 // shared, like the Engine

    std::vector<std::thread> workers;  // or your thread pool's tasks
    for (int i = 0; i < 8; ++i)
        workers.emplace_back([&Session, i] {
            auto session = Session();  // this task's own Session
            session.add(Job{.name = fmt::format("job {}", i)});
            session.commit();
        });  // closed when the task ends
    for (auto& worker : workers) worker.join();

    auto session = Session();
    CHECK(session.query<Job>().count() == 8);
    CHECK(session.query<Job>().filter_by<&Job::name>("job 7").one()->name == "job 7");
}

TEST_CASE("objects with relationships dropped on another thread while their Session closes") {
    using threads::Plan;
    using threads::Step;
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Plan, Step>().create_all(engine);
    {
        sa::Session session(engine);
        auto plan = session.add(Plan{.name = "p"});
        for (int i = 0; i < 200; ++i) plan->steps.add(Step{.name = fmt::format("s{}", i)});
        session.commit();
    }
    std::shared_ptr<Plan> plan;
    {
        sa::Session session(engine);
        // Loaded from the steps' side: the steps hold their plan, and its collection holds
        // them weakly. Their drops are counted for that collection while the Session lets
        // every object go: neither thread may touch what the other writes.
        auto steps =
            session.query<Step>().options(sa::selectinload<&Step::plan>().selectinload<&Plan::steps>()).all();
        plan = steps.front()->plan.get();
        REQUIRE(plan->steps.size() == 200);
        std::thread dropper([mine = std::move(steps)]() mutable { mine.clear(); });
        session.close();
        dropper.join();
    }
    // Detached, with its weakly held steps gone: never read as complete.
    CHECK_THROWS_AS(plan->steps.size(), sa::DetachedInstanceError);
}
