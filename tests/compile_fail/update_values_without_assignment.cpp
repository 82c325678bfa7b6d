// expect: alchemy: update().values() takes column assignments
// update<T>().values(...) takes `sa::col<&T::field> = value` pairs, not bare values.
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name{};
};
}  // namespace app

int main() {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = alchemy::update<app::User>().values(std::string("x")).where(alchemy::col<&app::User::id> == 1);
#else
    auto q = alchemy::update<app::User>()
                 .values(alchemy::col<&app::User::name> = "x")
                 .where(alchemy::col<&app::User::id> == 1);
#endif
    (void)q;
}
