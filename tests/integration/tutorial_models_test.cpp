// The tutorial's models declare and create on both backends, and their keys hold.
#include "support/tutorial_models.hpp"
#include "support/backends.hpp"

#include <catch2/catch.hpp>

namespace sa = alchemy;

TEST_CASE("the tutorial's models create on both backends with working keys") {
    auto backend = GENERATE(from_range(sa::test::backends()));
    auto engine = backend.engine();
    auto md = sa::metadata<tutorial::User, tutorial::UserProfile, tutorial::Group, tutorial::UserGroup>();
    md.create_all(engine);
    md.create_all(engine);  // checkfirst: a second run changes nothing

    auto conn = engine.connect();
    const auto ann = conn.execute(sa::insert<tutorial::User>()
                                      .values(tutorial::User{.name = "ann"})
                                      .returning(sa::col<&tutorial::User::id>))
                         .scalar_one();
    const auto admins = conn.execute(sa::insert<tutorial::Group>()
                                         .values(tutorial::Group{.name = "admins"})
                                         .returning(sa::col<&tutorial::Group::id>))
                            .scalar_one();
    conn.execute(
        sa::insert<tutorial::UserProfile>().values(tutorial::UserProfile{.user_id = ann, .bio = "hi"}));
    conn.execute(
        sa::insert<tutorial::UserGroup>().values(tutorial::UserGroup{.user_id = ann, .group_id = admins}));
    conn.commit();

    {  // one profile per user
        auto tx = conn.begin();
        CHECK_THROWS_AS(
            conn.execute(sa::insert<tutorial::UserProfile>().values(tutorial::UserProfile{.user_id = ann})),
            sa::UniqueViolation);
    }
    {  // membership needs a real user and group
        auto tx = conn.begin();
        CHECK_THROWS_AS(conn.execute(sa::insert<tutorial::UserGroup>().values(
                            tutorial::UserGroup{.user_id = ann + 100, .group_id = admins})),
                        sa::ForeignKeyViolation);
    }
    {  // a membership is unique
        auto tx = conn.begin();
        CHECK_THROWS_AS(conn.execute(sa::insert<tutorial::UserGroup>().values(
                            tutorial::UserGroup{.user_id = ann, .group_id = admins})),
                        sa::UniqueViolation);
    }
    auto links = conn.execute(sa::select<tutorial::UserGroup>()).all();
    REQUIRE(links.size() == 1);
    CHECK(links[0].user_id == ann);
    conn.close();
    md.drop_all(engine);
}
