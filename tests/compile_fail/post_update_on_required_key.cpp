// expect: alchemy: a post_update() BelongsTo is inserted as NULL and set afterwards
// A foreign key that cannot be NULL cannot wait for the UPDATE after the INSERTs.
#include <alchemy/alchemy.hpp>

#include <optional>

namespace app {
struct Owner;
struct Car {
    std::int64_t id = 0;
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    std::int64_t owner_id = 0;
#else
    std::optional<std::int64_t> owner_id{};
#endif
    alchemy::BelongsTo<Owner> owner;
};
struct Owner {
    std::int64_t id = 0;
    alchemy::HasMany<Car> cars;
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Car> =
    alchemy::table(alchemy::relationship(&app::Car::owner).post_update());

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::Car>(1) != nullptr);
}
