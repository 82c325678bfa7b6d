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

}  // namespace threads

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

TEST_CASE(
    "objects dropped on another thread while their Session rolls back, hands them out again and closes") {
    using threads::Job;
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<Job>().create_all(engine);
    {
        sa::Session session(engine);
        for (int i = 0; i < 200; ++i) session.add(Job{.name = fmt::format("job {}", i)});
        session.commit();
    }
    // docs/session.md: a model without relationships may be dropped on any thread; the
    // deleter then writes nothing the Session's thread reads, whatever the Session does.
    sa::Session session(engine);
    auto jobs = session.query<Job>().order_by(sa::col<&Job::id>).all();
    const auto first = jobs.front()->id;
    jobs.front()->name = "changed";  // a change the rollback discards, dropped or not
    std::thread dropper([mine = std::move(jobs)]() mutable { mine.clear(); });
    session.rollback();
    std::size_t seen = 0;
    for (std::int64_t id = first; id < first + 200; ++id)
        if (const auto job = session.get<Job>(id)) seen += job->name.starts_with("job ") ? 1 : 0;
    auto again = session.query<Job>().all();
    session.close();
    dropper.join();
    CHECK(seen == 200);
    CHECK(again.size() == 200);
}
