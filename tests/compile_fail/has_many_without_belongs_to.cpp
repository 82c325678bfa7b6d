// expect: alchemy: HasMany<X>/HasOne<X> in T finds no BelongsTo<T> in X
// A HasMany needs the BelongsTo on the other side that holds its foreign key.
#include <alchemy/alchemy.hpp>

namespace app {
struct Car;
struct Owner {
    std::int64_t id = 0;
    alchemy::HasMany<Car> cars;
};
struct Car {
    std::int64_t id = 0;
#ifdef ALCHEMY_COMPILE_FAIL_CONTROL
    std::int64_t owner_id = 0;
    alchemy::BelongsTo<Owner> owner;
#endif
};
}  // namespace app

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::Owner>(1) != nullptr);
}
