// expect: alchemy: post_update() applies to a BelongsTo
// The key written after the INSERTs is the BelongsTo's column: the option belongs there.
#include <alchemy/alchemy.hpp>

#include <optional>

namespace app {
struct Owner;
struct Car {
    std::int64_t id = 0;
    std::optional<std::int64_t> owner_id{};
    alchemy::BelongsTo<Owner> owner;
};
struct Owner {
    std::int64_t id = 0;
    alchemy::HasMany<Car> cars;
};
}  // namespace app

#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
template <>
inline constexpr auto alchemy::mapping<app::Owner> =
    alchemy::table(alchemy::relationship(&app::Owner::cars).post_update());
#else
template <>
inline constexpr auto alchemy::mapping<app::Car> =
    alchemy::table(alchemy::relationship(&app::Car::owner).post_update());
#endif

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::Owner>(1) != nullptr);
}
