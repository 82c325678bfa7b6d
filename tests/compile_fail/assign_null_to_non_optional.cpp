// expect: alchemy: assigning sa::null to a column whose field is not std::optional
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> email{};
};
}  // namespace app

int main() {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = alchemy::update<app::User>().values(alchemy::col<&app::User::name> = alchemy::null);
#else
    auto q = alchemy::update<app::User>().values(alchemy::col<&app::User::email> = alchemy::null);
#endif
    (void)q;
}
