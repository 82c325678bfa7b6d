// expect: alchemy: this member holds a mixin, not one column; name one of its columns as
// sa::col<&Model::mixin, &Mixin::field> A mixin member stands for several columns; sa::col names one of them.
#include <alchemy/alchemy.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

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
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto q = sa::select<app::User>().where(sa::col<&app::User::stamps> == app::Stamps{});
#else
    auto q = sa::select<app::User>().where(sa::col<&app::User::stamps, &app::Stamps::created_at> == sa::null);
#endif
    static_cast<void>(q);
}
