// expect-regex: "stamps".*alchemy: a model field cannot be a struct of columns such as a Timestamps mixin
// A struct member is not flattened into columns; the error says what to write instead.
#include <alchemy/alchemy.hpp>

#include <chrono>
#include <optional>

namespace app {
struct Timestamps {
    std::optional<std::chrono::sys_seconds> created_at{};
};
struct User {
    std::int64_t id = 0;
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    Timestamps stamps{};
#else
    std::optional<std::chrono::sys_seconds> created_at{};
#endif
};
}  // namespace app

int main() { return static_cast<int>(alchemy::model_info<app::User>::column_count); }
