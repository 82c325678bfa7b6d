// expect: alchemy: filter_by<&T::field>(value) names a field of the queried model T
// filter_by() on a query of User takes User's own fields.
#include <alchemy/alchemy.hpp>

#include <cstdint>
#include <string>

namespace sa = alchemy;

namespace app {
struct User {
    std::int64_t id = 0;
    std::string name{};
};
struct Group {
    std::int64_t id = 0;
    std::string name{};
};
}  // namespace app

int main() {
    sa::Session session(sa::create_engine("sqlite://"));
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = session.query<app::User>().filter_by<&app::Group::name>("admins");
#else
    auto q = session.query<app::User>().filter_by<&app::User::name>("ann");
#endif
    static_cast<void>(q);
}
