// expect: alchemy: select<T, U, ...>() names a model twice
// A second copy of a table in one statement needs a name of its own (an alias).
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name{};
};
struct Post {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
};
}  // namespace app

int main() {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = alchemy::select<app::User, app::Post, app::User>();
#else
    auto q = alchemy::select<app::User, app::Post>();
#endif
    (void)q;
}
