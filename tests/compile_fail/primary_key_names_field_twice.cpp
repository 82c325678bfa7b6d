// expect: alchemy: sa::primary_key(...) names a field more than once
// Each field holds one place in the key.
#include <alchemy/alchemy.hpp>

#include <cstdint>
#include <string>

namespace app {
struct Membership {
    std::int64_t team_id = 0;
    std::int64_t user_id = 0;
    std::string role{};
};
}  // namespace app

#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
template <>
inline constexpr auto alchemy::mapping<app::Membership> =
    alchemy::table(alchemy::primary_key(&app::Membership::team_id, &app::Membership::team_id));
#else
template <>
inline constexpr auto alchemy::mapping<app::Membership> =
    alchemy::table(alchemy::primary_key(&app::Membership::team_id, &app::Membership::user_id));
#endif

int main() { return static_cast<int>(alchemy::model_info<app::Membership>::primary_key[0]); }
