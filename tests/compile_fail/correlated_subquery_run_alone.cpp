// expect: alchemy: the statement uses a column whose table is not in its FROM or JOIN clauses
// A subquery may read the enclosing statement's table, but run on its own it must list
// every table it reads.
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name;
};
struct Post {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
};
}  // namespace app

int main() {
    namespace sa = alchemy;
    const auto& dialect = sa::driver_for(sa::make_url("sqlite://")).dialect();
    auto posts_of_user =
        sa::select(sa::col<&app::Post::id>).where(sa::col<&app::Post::user_id> == sa::col<&app::User::id>);
    // Inside a statement FROM users, the reference to users is fine.
    (void)sa::select(sa::col<&app::User::name>).where(sa::exists(posts_of_user)).sql(dialect);
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    (void)posts_of_user.sql(dialect);
#else
    (void)posts_of_user.join<app::User>(sa::col<&app::Post::user_id> == sa::col<&app::User::id>).sql(dialect);
#endif
}
