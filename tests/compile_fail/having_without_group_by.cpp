// expect: alchemy: having() without group_by()
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name{};
    std::int32_t age = 0;
};
}  // namespace app

int main() {
    namespace sa = alchemy;
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = sa::select(sa::col<&app::User::name>).having(sa::col<&app::User::age> > 3);
#else
    auto q = sa::select(sa::col<&app::User::name>)
                 .group_by(sa::col<&app::User::name>)
                 .having(sa::col<&app::User::age> > 3);
#endif
    (void)q;
}
