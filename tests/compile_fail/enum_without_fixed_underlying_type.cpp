// expect: alchemy: an enum stored as a number needs a fixed underlying type
// An unscoped enum without a fixed underlying type only holds the values of its
// enumerators' range, so reading another number into it would be undefined: refused.
#include <alchemy/alchemy.hpp>

namespace app {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
enum Color { red, green, blue };
#else
enum Color : std::int16_t { red, green, blue };
#endif
struct Pen {
    std::int64_t id = 0;
    Color color = red;
};
}  // namespace app

int main() {
    auto engine = alchemy::create_engine("sqlite://");
    auto conn = engine.connect();
    return static_cast<int>(conn.execute(alchemy::select<app::Pen>()).all().size());
}
