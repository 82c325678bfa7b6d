// expect: alchemy: a ManyToMany of a model with itself needs the mapping to say which BelongsTo
// Both BelongsTo of the association refer to Account: which one is the owner's side?
#include <alchemy/alchemy.hpp>

namespace app {
struct Follow;
struct Account {
    std::int64_t id = 0;
    alchemy::ManyToMany<Account, Follow> following;
    alchemy::ManyToMany<Account, Follow> followers;
};
struct Follow {
    std::int64_t follower_id = 0;
    std::int64_t followed_id = 0;
    alchemy::BelongsTo<Account> follower;
    alchemy::BelongsTo<Account> followed;
};
}  // namespace app

#ifdef ALCHEMY_COMPILE_FAIL_CONTROL
template <>
inline constexpr auto alchemy::mapping<app::Account> = alchemy::table(
    alchemy::relationship(&app::Account::following).through(&app::Follow::follower, &app::Follow::followed),
    alchemy::relationship(&app::Account::followers).through(&app::Follow::followed, &app::Follow::follower));
#endif
template <>
inline constexpr auto alchemy::mapping<app::Follow> =
    alchemy::table(alchemy::primary_key(&app::Follow::follower_id, &app::Follow::followed_id));

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::Account>(1) != nullptr);
}
