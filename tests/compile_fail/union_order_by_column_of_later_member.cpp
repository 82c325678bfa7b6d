// expect: alchemy: order_by() of a union/intersect/except names a column its first SELECT does not select
// A union's columns are the first SELECT's (as the SQL standard names them): a column of a
// later member is refused even at the same position, since its name need not be the output
// column's.
#include <alchemy/alchemy.hpp>

namespace app {
struct Person {
    std::int64_t id = 0;
    std::string name;
};
struct Pet {
    std::int64_t id = 0;
    std::string name;
};
}  // namespace app

int main() {
    namespace sa = alchemy;
    const auto people = sa::select(sa::col<&app::Person::name>);
    const auto pets = sa::select(sa::col<&app::Pet::name>);
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto statement = sa::union_(people, pets).order_by(sa::col<&app::Pet::name>);
#else
    auto statement = sa::union_(people, pets).order_by(sa::col<&app::Person::name>);
#endif
    (void)statement;
}
