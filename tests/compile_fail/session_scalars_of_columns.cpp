// expect: alchemy: session.scalars() loads objects from sa::select<T>() statements
// session.scalars() hands out the session's objects, so it needs a select of a model;
// a select of columns goes through session.execute().
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
    auto users = session.scalars(alchemy::select(alchemy::col<&app::User::name>)).all();
#else
    auto users = session.scalars(alchemy::select<app::User>()).all();
#endif
    return static_cast<int>(users.size());
}
