// expect: alchemy: assigning a value of an incompatible type to a column
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name{};
};
}  // namespace app

int main() {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = alchemy::update<app::User>().values(alchemy::col<&app::User::name> = 42);
#else
    auto q = alchemy::update<app::User>().values(alchemy::col<&app::User::name> = "x");
#endif
    (void)q;
}
