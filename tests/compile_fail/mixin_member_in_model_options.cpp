// expect: alchemy: an option names a member that holds a mixin (several columns); give options to the mixin's
// columns in its own sa::mixin(...) mapping A model's mapping cannot give an option to a mixin member: it
// stands for several columns.
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

#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
template <>
inline constexpr auto sa::mapping<app::User> = sa::table("users", sa::index(&app::User::stamps));
#else
template <>
inline constexpr auto sa::mapping<app::Stamps> = sa::mixin(sa::index(&app::Stamps::created_at));
#endif

int main() { return static_cast<int>(sa::table_of<app::User>().indexes.size()); }
