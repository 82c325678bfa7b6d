// expect: alchemy: from_select() cannot follow values() or another from_select()
// An INSERT takes its rows from one query or from values(), never both.
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name;
};
struct Archive {
    std::int64_t id = 0;
    std::string name;
};
}  // namespace app

int main() {
    namespace sa = alchemy;
    const auto& dialect = sa::driver_for(sa::make_url("sqlite://")).dialect();
    const auto names = sa::select(sa::col<&app::User::name>);
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto statement = sa::insert<app::Archive>().values(sa::col<&app::Archive::name> = "x").from_select(names);
#else
    auto statement = sa::insert<app::Archive>().from_select(names);
#endif
    (void)statement.sql(dialect);
}
