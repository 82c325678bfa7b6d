// expect: alchemy: assigning a std::optional to a column whose field is not std::optional
// An empty optional would write NULL into a NOT NULL column: say which value to write.
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> email{};
};
}  // namespace app

int main() {
    const std::optional<std::string> maybe = "x";
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = alchemy::update<app::User>().values(alchemy::col<&app::User::name> = maybe);
#else
    auto q = alchemy::update<app::User>().values(alchemy::col<&app::User::name> = *maybe);
#endif
    (void)q;
}
