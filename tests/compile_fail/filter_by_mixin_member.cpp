// expect: alchemy: filter_by() names a member that holds a mixin; filter on one of its columns with
// filter(sa::col<&T::mixin, &Mixin::field> == value) filter_by() compares one column; a mixin member is
// several.
#include <alchemy/alchemy.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

namespace sa = alchemy;

namespace app {
struct Stamps {
    std::optional<std::chrono::sys_seconds> created_at{};
};
struct User {
    std::int64_t id = 0;
    Stamps stamps{};
};
}  // namespace app

int main() {
    sa::Session session(sa::create_engine("sqlite://"));
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = session.query<app::User>().filter_by<&app::User::stamps>(app::Stamps{});
#else
    auto q =
        session.query<app::User>().filter(sa::col<&app::User::stamps, &app::Stamps::created_at> == sa::null);
#endif
    static_cast<void>(q);
}
