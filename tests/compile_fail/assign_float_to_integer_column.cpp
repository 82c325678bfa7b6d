// expect: alchemy: assigning a floating-point value to an integer column would drop its fraction
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::int32_t age = 0;
};
}  // namespace app

int main() {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = alchemy::update<app::User>().values(alchemy::col<&app::User::age> = 99.9);
#else
    auto q = alchemy::update<app::User>().values(alchemy::col<&app::User::age> = 99);
#endif
    (void)q;
}
