// expect: alchemy: get<T>(key...) takes one value per primary key column of T
// session.get<T>() takes exactly one value per primary key column.
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
    auto user = session.get<app::User>(1, 2);
#else
    auto user = session.get<app::User>(1);
#endif
    return user ? 0 : 1;
}
