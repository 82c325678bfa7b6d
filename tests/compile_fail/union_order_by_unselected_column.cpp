// expect: alchemy: order_by() of a union/intersect/except names a column its first SELECT does not select
// A union sorts by its output columns: ordering by a column no member selects would sort
// by whichever output column shares that column's name.
#include <alchemy/alchemy.hpp>

namespace app {
struct Person {
    std::int64_t id = 0;
    std::string name;
};
struct Pet {
    std::int64_t id = 0;
    std::int64_t owner = 0;
    std::string name;
};
}  // namespace app

int main() {
    namespace sa = alchemy;
    const auto people = sa::select(sa::col<&app::Person::name>, sa::col<&app::Person::id>);
    const auto pets = sa::select(sa::col<&app::Pet::name>, sa::col<&app::Pet::owner>);
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    auto statement = sa::union_all(people, pets).order_by(sa::col<&app::Pet::id>.desc());
#else
    auto statement = sa::union_all(people, pets).order_by(sa::col<&app::Person::id>.desc());
#endif
    (void)statement;
}
