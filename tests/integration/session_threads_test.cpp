// docs/session.md "Threads": one Engine and one sessionmaker shared by every thread, a
// Session per task, on both backends.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <atomic>
#include <memory>
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

struct Player;
struct Skill;
struct PlayerSkill;
struct Team {
    std::int64_t id = 0;
    std::string name{};
    sa::HasMany<Player> players{};
};
struct Player {
    std::int64_t id = 0;
    std::int64_t team_id = 0;
    std::string name{};
    sa::BelongsTo<Team> team{};
    sa::ManyToMany<Skill, PlayerSkill> skills{};
};
struct Skill {
    std::int64_t id = 0;
    std::string name{};
    sa::ManyToMany<Player, PlayerSkill> players{};
};
struct PlayerSkill {
    std::int64_t player_id = 0;
    std::int64_t skill_id = 0;
    sa::BelongsTo<Player> player{};
    sa::BelongsTo<Skill> skill{};
};

}  // namespace threads

template <>
inline constexpr auto sa::mapping<threads::Team> = sa::table("teams");
template <>
inline constexpr auto sa::mapping<threads::Player> = sa::table("players");
template <>
inline constexpr auto sa::mapping<threads::Skill> = sa::table("skills");
template <>
inline constexpr auto sa::mapping<threads::PlayerSkill> = sa::table(
    "player_skills", sa::primary_key(&threads::PlayerSkill::player_id, &threads::PlayerSkill::skill_id));

namespace {

/// Drops the objects it is given on a thread of its own when now() is called, and returns
/// once they are dropped. It signals with relaxed atomics only, so ThreadSanitizer sees no
/// order between the drop and what the Session does next, as when a program hands its
/// last pointers to a worker; any write the two threads share is reported.
class DropElsewhere {
public:
    explicit DropElsewhere(std::vector<std::shared_ptr<void>> objects)
        : thread_([this, held = std::move(objects)]() mutable {
              while (!go_.load(std::memory_order_relaxed)) std::this_thread::yield();
              held.clear();
              done_.store(true, std::memory_order_relaxed);
          }) {}
    DropElsewhere(const DropElsewhere&) = delete;
    DropElsewhere& operator=(const DropElsewhere&) = delete;
    ~DropElsewhere() {
        go_.store(true, std::memory_order_relaxed);
        thread_.join();
    }
    void now() {
        go_.store(true, std::memory_order_relaxed);
        while (!done_.load(std::memory_order_relaxed)) std::this_thread::yield();
    }

private:
    std::atomic<bool> go_{false};
    std::atomic<bool> done_{false};
    std::thread thread_;  // last: it starts once the flags exist
};

constexpr int team_count = 50;
constexpr int players_per_team = 4;
constexpr int skills_per_player = 2;  // of three skills

template <class T>
void hand_over(std::vector<std::shared_ptr<void>>& to, const std::vector<std::shared_ptr<T>>& objects) {
    to.insert(to.end(), objects.begin(), objects.end());
}

/// Every team's players, each naming its team, read through the relationships; counts them.
std::size_t players_of_teams(sa::Session& session) {
    std::size_t seen = 0;
    for (const auto& team : session.query<threads::Team>().all())
        for (const auto& player : team->players) seen += player.team.get() == team ? 1 : 0;
    return seen;
}

/// Every link between a skill and a player, read from the skills' side, each matched on
/// the player's side; counts them.
std::size_t skill_links(sa::Session& session) {
    std::size_t seen = 0;
    for (const auto& skill : session.query<threads::Skill>().all())
        for (const auto& player : skill->players) seen += player.skills.contains(skill) ? 1 : 0;
    return seen;
}

}  // namespace

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
    // Both start at once, so that the drops overlap the rollback rather than end before it.
    std::atomic<bool> go{false};
    std::thread dropper([mine = std::move(jobs), &go]() mutable {
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        mine.clear();
    });
    go.store(true, std::memory_order_release);
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

TEST_CASE("objects with relationships dropped on another thread while their Session uses them") {
    using threads::Player;
    using threads::Team;
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    using threads::PlayerSkill;
    using threads::Skill;
    sa::metadata<Team, Player, Skill, PlayerSkill>().create_all(engine);
    if (sa::Session session(engine); session.query<Team>().count() == 0) {  // once per backend
        std::vector<std::shared_ptr<Skill>> skills;
        for (const auto* name : {"passing", "tackling", "shooting"})
            skills.push_back(session.add(Skill{.name = name}));
        for (int t = 0; t < team_count; ++t) {
            auto team = session.add(Team{.name = fmt::format("team {}", t)});
            for (int p = 0; p < players_per_team; ++p) {
                auto player = team->players.add(Player{.name = fmt::format("player {}.{}", t, p)});
                for (int k = 0; k < skills_per_player; ++k)
                    player->skills.add(skills[(t + p + k) % skills.size()]);
            }
        }
        session.commit();
    }
    constexpr auto links = std::size_t{team_count * players_per_team * skills_per_player};
    // docs/session.md: while a Session holds the object, its deleter only marks the drop;
    // the Session lets go of what its relationships hold on its own thread.
    std::vector<std::shared_ptr<void>> held;
    SECTION("dropped before a rollback expires them") {
        sa::Session session(engine);
        hand_over(held, session.query<Team>().options(sa::selectinload<&Team::players>()).all());
        hand_over(held, session.query<Player>().options(sa::selectinload<&Player::skills>()).all());
        hand_over(held, session.query<Skill>().options(sa::selectinload<&Skill::players>()).all());
        DropElsewhere drop(std::move(held));
        drop.now();
        session.rollback();
        CHECK(players_of_teams(session) == team_count * players_per_team);
        CHECK(skill_links(session) == links);
    }
    SECTION("dropped, then handed out again by get()") {
        sa::Session session(engine, {.expire_on_commit = false});
        auto teams = session.query<Team>().options(sa::selectinload<&Team::players>()).all();
        std::vector<std::int64_t> ids;
        for (const auto& team : teams) ids.push_back(team->id);
        hand_over(held, teams);
        teams.clear();
        session.commit();  // nothing dropped yet: its sweep keeps every team
        DropElsewhere drop(std::move(held));
        drop.now();
        std::size_t seen = 0;
        for (const auto id : ids) {
            const auto team = session.get<Team>(id);  // the dropped team revived
            for (const auto& player : team->players) seen += player.team.get() == team ? 1 : 0;
        }
        CHECK(seen == team_count * players_per_team);
    }
    SECTION("children holding their parents, dropped before close()") {
        sa::Session session(engine);
        auto players = session.query<Player>().all();
        for (const auto& player : players) {
            CHECK(player->team->players.size() == players_per_team);
            CHECK(player->skills.size() == skills_per_player);
        }
        hand_over(held, players);
        players.clear();
        DropElsewhere drop(std::move(held));
        drop.now();
        session.close();
        sa::Session after(engine);
        CHECK(players_of_teams(after) == team_count * players_per_team);
        CHECK(skill_links(after) == links);
    }
}
