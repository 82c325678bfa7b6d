// expect: alchemy: ManyToMany<X, A> needs the association model A to have exactly one BelongsTo<T>
// The association model must refer to both sides of a many-to-many.
#include <alchemy/alchemy.hpp>

namespace app {
struct User;
struct Group;
struct UserGroup {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    alchemy::BelongsTo<User> user;
#ifdef ALCHEMY_COMPILE_FAIL_CONTROL
    std::int64_t group_id = 0;
    alchemy::BelongsTo<Group> group;
#endif
};
struct Group {
    std::int64_t id = 0;
};
struct User {
    std::int64_t id = 0;
    alchemy::ManyToMany<Group, UserGroup> groups;
};
}  // namespace app

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::User>(1) != nullptr);
}
