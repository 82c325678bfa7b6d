// expect: alchemy: query<T>() filters or orders by a column of another table than T's
// session.query<User>() selects FROM users alone: a filter on posts' columns has no table to read.
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name{};
};
struct Post {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::string title{};
};
}  // namespace app

int main() {
    namespace sa = alchemy;
    sa::Session session(sa::create_engine("sqlite://"));
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto users = session.query<app::User>().filter(sa::col<&app::Post::title> == "x").all();
#else
    auto users = session.query<app::User>().filter(sa::col<&app::User::name> == "x").all();
#endif
    return static_cast<int>(users.size());
}
