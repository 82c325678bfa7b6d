// expect: alchemy: delete_orphan is not supported on a ManyToMany
// An object linked through a many-to-many may have many parents, so none orphans it.
#include <alchemy/alchemy.hpp>

namespace app {
struct User;
struct Group;
struct UserGroup {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    alchemy::BelongsTo<User> user;
    std::int64_t group_id = 0;
    alchemy::BelongsTo<Group> group;
};
struct Group {
    std::int64_t id = 0;
};
struct User {
    std::int64_t id = 0;
    alchemy::ManyToMany<Group, UserGroup> groups;
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::User> = alchemy::table(
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    alchemy::relationship(&app::User::groups).cascade(alchemy::all | alchemy::delete_orphan));
#else
    alchemy::relationship(&app::User::groups).cascade(alchemy::all));
#endif

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::User>(1) != nullptr);
}
