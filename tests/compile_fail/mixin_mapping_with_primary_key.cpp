// expect: alchemy: a mixin's sa::mapping may hold only column options
// Keys, foreign keys and relationships belong to the model's own mapping.
#include <alchemy/alchemy.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace sa = alchemy;

namespace app {
struct Keyed {
    std::int64_t key = 0;
    std::optional<std::chrono::sys_seconds> created_at{};
};
struct User {
    std::int64_t id = 0;
    Keyed keyed{};
};
}  // namespace app

#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
template <>
inline constexpr auto sa::mapping<app::Keyed> = sa::mixin(sa::primary_key(&app::Keyed::key));
#else
template <>
inline constexpr auto sa::mapping<app::Keyed> =
    sa::mixin(sa::server_default(&app::Keyed::created_at, "CURRENT_TIMESTAMP"));
#endif

int main() { return static_cast<int>(sa::model_info<app::User>::column_count); }
