// expect: alchemy: filter_by() compares a field with a value of another type
// filter_by<&T::field>(value) needs a value of the field's type.
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
    auto user = session.query<app::User>().filter_by<&app::User::name>(42).first();
#else
    auto user = session.query<app::User>().filter_by<&app::User::name>("ann").first();
#endif
    return user ? 0 : 1;
}
