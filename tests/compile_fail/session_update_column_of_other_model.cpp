// expect: alchemy: query<T>().update() assigns a column of another model than T
// A bulk update of query<User>() sets columns of users, not of another table.
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name{};
};
struct Post {
    std::int64_t id = 0;
    std::string title{};
};
}  // namespace app

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite:///:memory:"));
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto n = session.query<app::User>().update(alchemy::col<&app::Post::title> = "x");
#else
    auto n = session.query<app::User>().update(alchemy::col<&app::User::name> = "x");
#endif
    return static_cast<int>(n);
}
