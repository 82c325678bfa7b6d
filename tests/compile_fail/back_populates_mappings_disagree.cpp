// expect: alchemy: the two mappings pair this relationship with different members
// Each side's mapping may name its pair, but both must name the same pair.
#include <alchemy/alchemy.hpp>

namespace app {
struct Car;
struct Owner {
    std::int64_t id = 0;
    alchemy::HasMany<Car> cars;
};
struct Car {
    std::int64_t id = 0;
    std::int64_t owner_id = 0;
    alchemy::BelongsTo<Owner> owner;
    std::int64_t previous_owner_id = 0;
    alchemy::BelongsTo<Owner> previous_owner;
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Owner> =
    alchemy::table(alchemy::relationship(&app::Owner::cars).back_populates(&app::Car::owner));
template <>
inline constexpr auto alchemy::mapping<app::Car> = alchemy::table(
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    alchemy::relationship(&app::Car::previous_owner).back_populates(&app::Owner::cars));
#else
    alchemy::relationship(&app::Car::owner).back_populates(&app::Owner::cars));
#endif

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::Owner>(1) != nullptr);
}
