// expect: alchemy: a primary-key column whose std::optional field is left to sa::server_default is not
// supported The flush pairs the rows an INSERT returns with its objects by key; a key the database makes up
// in SQL cannot be paired.
#include <alchemy/alchemy.hpp>

namespace app {
struct Token {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    std::optional<std::string> id{};
#else
    std::string id{};
#endif
    std::string owner{};
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Token> =
    alchemy::table("tokens", alchemy::server_default(&app::Token::id, "gen_random_uuid()::text"));

int main() { return static_cast<int>(alchemy::model_info<app::Token>::column_count); }
