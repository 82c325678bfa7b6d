// expect: alchemy: sa::autoincrement() applies to integer fields
#include <alchemy/alchemy.hpp>

namespace app {
enum class Color : std::int32_t { red = 1, green = 2 };
struct Paint {
    Color color{};
    std::string label{};
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Paint> =
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    alchemy::table("paints", alchemy::primary_key(&app::Paint::color),
                   alchemy::autoincrement(&app::Paint::color));
#else
    alchemy::table("paints", alchemy::primary_key(&app::Paint::color));
#endif

int main() {
    // The Session is where a generated key is asked for.
    auto add_red = [](alchemy::Session& session) {
        session.add(app::Paint{.color = app::Color::red, .label = "red"});
    };
    (void)add_red;
}
