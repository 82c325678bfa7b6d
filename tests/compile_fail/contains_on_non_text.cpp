// expect: alchemy: contains()/startswith()/endswith() apply to text expressions only
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name{};
    std::int32_t age = 0;
};
}  // namespace app

int main() {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = alchemy::select(alchemy::col<&app::User::id>)
                 .where(alchemy::col<&app::User::age>.contains("4", alchemy::autoescape));
#else
    auto q = alchemy::select(alchemy::col<&app::User::id>)
                 .where(alchemy::col<&app::User::name>.contains("4", alchemy::autoescape));
#endif
    (void)q;
}
