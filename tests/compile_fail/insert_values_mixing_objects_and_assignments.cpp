// expect: alchemy: insert<T>().values() with column assignments cannot follow values() with objects
// An INSERT's rows are objects or one row of assignments: a second values() adds to the
// first in the same form, and mixing the two is refused rather than dropping either.
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name;
    std::int32_t age = 0;
};
}  // namespace app

int main() {
    namespace sa = alchemy;
    const auto& dialect = sa::driver_for(sa::make_url("sqlite://")).dialect();
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto statement =
        sa::insert<app::User>().values(app::User{.name = "ann"}).values(sa::col<&app::User::age> = 3);
#else
    auto statement = sa::insert<app::User>()
                         .values(sa::col<&app::User::name> = "ann")
                         .values(sa::col<&app::User::age> = 3);
#endif
    (void)statement.sql(dialect);
}
