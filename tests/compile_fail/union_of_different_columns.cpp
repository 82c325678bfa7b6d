// expect: alchemy: union_/intersect/except_ need SELECTs with the same column types
// The members of a set operation must select the same column types.
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name;
};
}  // namespace app

int main() {
    namespace sa = alchemy;
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto statement = sa::union_(sa::select(sa::col<&app::User::name>), sa::select(sa::col<&app::User::id>));
#else
    auto statement = sa::union_(sa::select(sa::col<&app::User::name>), sa::select(sa::col<&app::User::name>));
#endif
    (void)statement;
}
