// expect: alchemy: comparing values of incompatible types
// A number column compared with text is refused at compile time.
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name{};
};
}  // namespace app

int main() {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = alchemy::select<app::User>().where(alchemy::col<&app::User::id> == "seven");
#else
    auto q = alchemy::select<app::User>().where(alchemy::col<&app::User::id> == 7);
#endif
    (void)q;
}
