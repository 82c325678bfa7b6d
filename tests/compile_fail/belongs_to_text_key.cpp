// expect: alchemy: BelongsTo<Target> needs a Target whose primary key is an integer
// Relationships hold keys as integers: a parent keyed by text cannot be referred to.
#include <alchemy/alchemy.hpp>

#include <string>

namespace app {
struct Country {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    std::string code{};
#else
    std::int64_t code = 0;
#endif
    std::string name{};
};
struct City {
    std::int64_t id = 0;
    std::int64_t country_id = 0;
    alchemy::BelongsTo<Country> country;
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Country> =
    alchemy::table(alchemy::primary_key(&app::Country::code));

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::City>(1) != nullptr);
}
