// The migration tool of an application, as Alembic users know it: one small program over
// the application's models, with init, revision --autogenerate, upgrade, downgrade,
// current, history, heads, stamp and check (walkthrough.sh runs the tutorial's commands).
//
//   ./example_migrations init migrations
//   ./example_migrations revision --autogenerate -m "Add User Table"
//   ./example_migrations upgrade head
//
// The models are the tutorial's: users, their one-to-one profiles, and groups joined to
// users many-to-many through user_group.
#include <alchemy/alchemy.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace sa = alchemy;

namespace app {

struct UserProfile;
struct Group;
struct UserGroup;

struct User {
    std::int64_t id = 0;
    std::string name{};
    sa::HasOne<UserProfile> profile{};
    sa::ManyToMany<Group, UserGroup> groups{};
};

struct UserProfile {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::optional<std::string> bio{};
    sa::BelongsTo<User> user{};
};

struct Group {
    std::int64_t id = 0;
    std::string name{};
    sa::ManyToMany<User, UserGroup> users{};
};

struct UserGroup {
    std::int64_t user_id = 0;
    std::int64_t group_id = 0;
    sa::BelongsTo<User> user{};
    sa::BelongsTo<Group> group{};
};

}  // namespace app

template <>
inline constexpr auto sa::mapping<app::User> = sa::table("users");
template <>
inline constexpr auto sa::mapping<app::UserProfile> =
    sa::table("profiles", sa::unique(&app::UserProfile::user_id));
template <>
inline constexpr auto sa::mapping<app::Group> = sa::table("groups");
template <>
inline constexpr auto sa::mapping<app::UserGroup> =
    sa::table("user_group", sa::primary_key(&app::UserGroup::user_id, &app::UserGroup::group_id));

// Alembic's env.py `target_metadata = Base.metadata` is this one argument.
int main(int argc, char** argv) {
    return sa::migrate::main(argc, argv,
                             sa::metadata<app::User, app::UserProfile, app::Group, app::UserGroup>());
}
