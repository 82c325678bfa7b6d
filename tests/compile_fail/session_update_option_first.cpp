// expect: alchemy: query<T>().update() takes column assignments, then optionally a sa::synchronize_session
// last As in SQLAlchemy, synchronize_session follows the values.
#include <alchemy/alchemy.hpp>

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name{};
};
}  // namespace app

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite:///:memory:"));
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto n = session.query<app::User>().update(alchemy::synchronize_session::none,
                                               alchemy::col<&app::User::name> = "x");
#else
    auto n = session.query<app::User>().update(alchemy::col<&app::User::name> = "x",
                                               alchemy::synchronize_session::none);
#endif
    return static_cast<int>(n);
}
