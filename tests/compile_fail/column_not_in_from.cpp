// expect: alchemy: the statement uses a column whose table is not in its FROM or JOIN clauses
// Filtering on posts without joining posts is refused.
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
    const auto& dialect = sa::driver_for(sa::make_url("sqlite://")).dialect();
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = sa::select(sa::col<&app::User::name>).where(sa::col<&app::Post::title> == "x");
#else
    auto q = sa::select(sa::col<&app::User::name>)
                 .join<app::Post>(sa::col<&app::Post::user_id> == sa::col<&app::User::id>)
                 .where(sa::col<&app::Post::title> == "x");
#endif
    return static_cast<int>(q.sql(dialect).size());
}
