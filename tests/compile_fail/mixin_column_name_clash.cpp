// expect: alchemy: two columns of the model have the same name: a field of a mixin the model embeds repeats a
// field of the model or of another mixin Mixin fields become columns named after them, so they must not
// repeat the model's.
#include <alchemy/alchemy.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace sa = alchemy;

namespace app {
struct Stamps {
    std::optional<std::chrono::sys_seconds> created_at{};
};
struct User {
    std::int64_t id = 0;
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    std::optional<std::chrono::sys_seconds> created_at{};
#endif
    Stamps stamps{};
};
}  // namespace app

int main() { return static_cast<int>(sa::model_info<app::User>::column_count); }
