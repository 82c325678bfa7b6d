// expect: alchemy: query<T>().update() assigns the sa::version() column
// A bulk update adds one to the version of the rows it changes; a value of the program's
// own would be overwritten on one backend and refused on the other.
#include <alchemy/alchemy.hpp>

namespace app {
struct Doc {
    std::int64_t id = 0;
    std::string body{};
    std::int32_t version = 0;
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Doc> = alchemy::table(alchemy::version(&app::Doc::version));

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite:///:memory:"));
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    return static_cast<int>(session.query<app::Doc>().update(alchemy::col<&app::Doc::version> = 7));
#else
    return static_cast<int>(session.query<app::Doc>().update(alchemy::col<&app::Doc::body> = "x"));
#endif
}
