// The tutorial's Relations section through the Session, with the tutorial's own models
// (support/tutorial_models.hpp): one-to-one with uselist=False (User <-> UserProfile) and
// many-to-many through user_group (User <-> Group): create, load, walk both ways,
// change, unlink. Statement counts come from the echo sink.
#include "support/backends.hpp"
#include "support/tutorial_models.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;
using sa::test::count_starting_with;

namespace {

template <class Collection>
std::vector<std::string> names(const Collection& objects) {
    std::vector<std::string> out;
    for (const auto& o : objects) out.push_back(o.name);
    std::sort(out.begin(), out.end());
    return out;
}

/// The (user, group) pairs of user_group, by name.
std::vector<std::pair<std::string, std::string>> memberships(sa::Engine& engine) {
    auto conn = engine.connect();
    std::vector<std::pair<std::string, std::string>> out;
    for (auto [user, group] : conn.execute(
             sa::select(sa::col<&tutorial::User::name>, sa::col<&tutorial::Group::name>)
                 .select_from<tutorial::UserGroup>()
                 .join<tutorial::User>(sa::col<&tutorial::User::id> == sa::col<&tutorial::UserGroup::user_id>)
                 .join<tutorial::Group>(sa::col<&tutorial::Group::id> ==
                                        sa::col<&tutorial::UserGroup::group_id>)))
        out.emplace_back(user, group);
    std::sort(out.begin(), out.end());
    return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_CASE("the tutorial's many-to-many: users and groups through user_group") {
    auto backend = GENERATE(from_range(backends()));
    sa::test::EchoCapture capture;
    auto engine = backend.engine({.echo = true, .echo_sink = capture.sink()});
    sa::metadata<tutorial::User, tutorial::UserProfile, tutorial::Group, tutorial::UserGroup>().create_all(
        engine);
    {
        sa::Session session(engine);
        auto ann = session.add(tutorial::User{.name = "ann"});
        auto admins = session.add(tutorial::Group{.name = "admins"});
        ann->groups.add(admins);
        CHECK(admins->users.contains(ann));  // the other side at once
        auto staff = ann->groups.add(tutorial::Group{.name = "staff"});
        CHECK(sa::inspect(staff).pending());  // save-update
        auto bob = std::make_shared<tutorial::User>(tutorial::User{.name = "bob"});
        staff->users.add(bob);
        CHECK(sa::inspect(bob).pending());
        CHECK(names(bob->groups) == std::vector<std::string>{"staff"});
        session.commit();  // users and groups first, then the user_group rows with both keys
    }
    CHECK(memberships(engine) == Pairs{{"ann", "admins"}, {"ann", "staff"}, {"bob", "staff"}});

    {
        // joinedload: users LEFT OUTER JOIN user_group LEFT OUTER JOIN groups, one statement.
        sa::Session session(engine);
        capture.lines.clear();
        auto users = session.query<tutorial::User>()
                         .order_by(sa::col<&tutorial::User::id>)
                         .options(sa::joinedload<&tutorial::User::groups>())
                         .all();
        REQUIRE(users.size() == 2);
        CHECK(names(users[0]->groups) == std::vector<std::string>{"admins", "staff"});
        CHECK(names(users[1]->groups) == std::vector<std::string>{"staff"});
        CHECK(count_starting_with(capture.lines, "SELECT") == 1);
        CHECK(users[0]->groups.contains(users[1]->groups[0]));  // one object per row
    }

    {
        sa::Session session(engine);
        capture.lines.clear();
        auto users = session.query<tutorial::User>().order_by(sa::col<&tutorial::User::id>).all();
        CHECK(names(users[0]->groups) == std::vector<std::string>{"admins", "staff"});
        CHECK(names(users[1]->groups) == std::vector<std::string>{"staff"});
        // users, then user_group for both users, then the groups: not 1 + N
        CHECK(count_starting_with(capture.lines, "SELECT") == 3);
        auto staff = users[1]->groups[0];
        CHECK(users[0]->groups.contains(staff));  // one object per row
        CHECK(names(staff->users) == std::vector<std::string>{"ann", "bob"});

        // Change: bob leaves staff, ann leaves admins and joins a new group.
        CHECK(staff->users.remove(users[1]));
        CHECK(users[1]->groups.empty());
        auto admins = users[0]->groups[0]->name == "admins" ? users[0]->groups[0] : users[0]->groups[1];
        CHECK(users[0]->groups.remove(admins));
        CHECK(admins->users.empty());
        users[0]->groups.add(tutorial::Group{.name = "ops"});
        session.commit();
    }
    CHECK(memberships(engine) == Pairs{{"ann", "ops"}, {"ann", "staff"}});
}

TEST_CASE("the tutorial's one-to-one: a user's profile, uselist=False") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<tutorial::User, tutorial::UserProfile, tutorial::Group, tutorial::UserGroup>().create_all(
        engine);
    {
        sa::Session session(engine);
        auto ann = session.add(tutorial::User{.name = "ann"});
        ann->profile = std::make_shared<tutorial::UserProfile>(tutorial::UserProfile{.bio = "hello"});
        CHECK(ann->profile->user.get() == ann);
        session.commit();
    }
    sa::Session session(engine);
    auto ann = session.query<tutorial::User>().one();
    REQUIRE(ann->profile);
    CHECK(ann->profile->bio == "hello");
    CHECK(ann->profile->user.get() == ann);
    auto profile = session.query<tutorial::UserProfile>().one();
    CHECK(profile == ann->profile.get());
    // A second profile replaces the first, whose user_id is then NULL... which this
    // schema's NOT NULL user_id refuses: the flush fails and leaves the rows as they were.
    ann->profile = std::make_shared<tutorial::UserProfile>(tutorial::UserProfile{.bio = "second"});
    CHECK_FALSE(profile->user);
    CHECK_THROWS_AS(session.commit(), sa::FlushError);
    session.rollback();
    CHECK(session.query<tutorial::UserProfile>().count() == 1);
}

TEST_CASE("users and groups that link to each other both ways are freed when the program drops them") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<tutorial::User, tutorial::UserProfile, tutorial::Group, tutorial::UserGroup>().create_all(
        engine);
    {
        sa::Session session(engine);
        std::vector<std::shared_ptr<tutorial::Group>> groups;
        for (int g = 0; g < 10; ++g)
            groups.push_back(session.add(tutorial::Group{.name = "g" + std::to_string(g)}));
        for (int u = 0; u < 100; ++u) {
            auto user = session.add(tutorial::User{.name = "u" + std::to_string(u)});
            for (int g = 0; g < 10; g += 1 + u % 3) user->groups.add(groups[static_cast<std::size_t>(g)]);
        }
        session.commit();
    }
    std::weak_ptr<tutorial::User> some_user;
    std::weak_ptr<tutorial::Group> some_group;
    {
        sa::Session session(engine);
        auto users = session.query<tutorial::User>().all();
        auto groups = session.query<tutorial::Group>().all();
        std::size_t links = 0;
        for (const auto& u : users) links += u->groups.size();
        for (const auto& g : groups)
            for (const auto& u : g->users)
                CHECK(std::find_if(u.groups.begin(), u.groups.end(), [&](const tutorial::Group& x) {
                          return &x == g.get();
                      }) != u.groups.end());
        CHECK(links > 100);
        some_user = users.front();
        some_group = groups.front();
        session.close();
        // Both sides still readable after close.
        CHECK_FALSE(users.front()->groups.empty());
    }
    CHECK(some_user.expired());
    CHECK(some_group.expired());
}

TEST_CASE("a link to a new group that this flush does not insert is refused, not written to key 0") {
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<tutorial::User, tutorial::UserProfile, tutorial::Group, tutorial::UserGroup>().create_all(
        engine);
    {
        auto conn = engine.connect();  // a row whose key is 0, which a new object's key also reads as
        conn.execute(sa::text("INSERT INTO groups (id, name) VALUES (0, 'zero')"));
        conn.commit();
    }
    sa::Session session(engine);
    auto ann = session.add(tutorial::User{.name = "ann"});
    session.commit();
    auto fresh = ann->groups.add(tutorial::Group{.name = "fresh"});
    session.expunge(fresh);  // the link stays, its group leaves the session
    CHECK_THROWS_AS(session.commit(), sa::FlushError);
    session.rollback();
    CHECK(memberships(engine).empty());
}

TEST_CASE("expire() of a user deleted but not yet flushed keeps the deletion of its memberships") {
    const bool all = GENERATE(false, true);  // expire_all() instead
    auto backend = GENERATE(from_range(backends()));
    auto engine = backend.engine();
    sa::metadata<tutorial::User, tutorial::UserProfile, tutorial::Group, tutorial::UserGroup>().create_all(
        engine);
    {
        sa::Session session(engine);
        auto ann = session.add(tutorial::User{.name = "ann"});
        ann->groups.add(tutorial::Group{.name = "admins"});
        session.add(tutorial::User{.name = "bob"})->groups.add(tutorial::Group{.name = "staff"});
        session.commit();
    }
    sa::Session session(engine);
    auto ann = session.query<tutorial::User>().filter(sa::col<&tutorial::User::name> == "ann").one();
    CHECK(ann->groups.size() == 1);
    session.delete_(ann);
    if (all) session.expire_all();
    else session.expire(ann);
    session.commit();
    CHECK(memberships(engine) == Pairs{{"bob", "staff"}});
    CHECK(sa::Session(engine).query<tutorial::User>().count() == 1);
}
