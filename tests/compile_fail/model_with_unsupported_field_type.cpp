// expect-regex: "lookup".; F = std::map<int, int>.*alchemy: this model field has a type alchemy cannot store
// A field whose type alchemy cannot store is refused, and the error names the field.
#include <alchemy/alchemy.hpp>

#include <map>

namespace app {
struct Inventory {
    std::int64_t id = 0;
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    std::map<int, int> lookup;
#else
    std::string lookup;
#endif
};
}  // namespace app

int main() { return static_cast<int>(alchemy::model_info<app::Inventory>::column_count); }
