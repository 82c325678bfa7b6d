// expect: alchemy: a sa::foreign_key(...) on the key column of a BelongsTo<Target>
// A BelongsTo<Customer> loads a customer: a schema key to suppliers would check another table.
#include <alchemy/alchemy.hpp>

#include <cstdint>
#include <string>

namespace app {
struct Customer {
    std::int64_t id = 0;
    std::string name{};
};
struct Supplier {
    std::int64_t id = 0;
    std::string name{};
};
struct Shipment {
    std::int64_t id = 0;
    std::int64_t customer_id = 0;
    alchemy::BelongsTo<Customer> customer{};
};
}  // namespace app

#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
template <>
inline constexpr auto alchemy::mapping<app::Shipment> =
    alchemy::table(alchemy::foreign_key(&app::Shipment::customer_id, &app::Supplier::id));
#else
template <>
inline constexpr auto alchemy::mapping<app::Shipment> =
    alchemy::table(alchemy::foreign_key(&app::Shipment::customer_id, &app::Customer::id));
#endif

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::Shipment>(1) != nullptr);
}
