// expect: alchemy: the model has no primary key; add a field named id or declare sa::primary_key
// A model needs a primary key: a field named id, or one declared in the mapping.
#include <alchemy/alchemy.hpp>

namespace app {
struct Tag {
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    std::string label;
#else
    std::int64_t id = 0;
#endif
};
}  // namespace app

int main() { return static_cast<int>(alchemy::model_info<app::Tag>::column_count); }
