// expect: alchemy: a relationship of T names X, which is not a model struct
// A relationship's target must be a model: a struct alchemy can map to a table.
#include <alchemy/alchemy.hpp>

#include <string>

namespace app {
struct Owner;
struct Plate {
    std::int64_t id = 0;
    std::int64_t owner_id = 0;
    alchemy::BelongsTo<Owner> owner;
};
/// Not a model: it has a constructor and private data.
class Registry {
public:
    explicit Registry(int size) : size_(size) {}
    int size() const { return size_; }

private:
    int size_;
};
struct Owner {
    std::int64_t id = 0;
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    alchemy::HasMany<Registry> registries;
#else
    alchemy::HasMany<Plate> plates;
#endif
};
}  // namespace app

int main() {
    alchemy::Session session(alchemy::create_engine("sqlite://"));
    return static_cast<int>(session.get<app::Owner>(1) != nullptr);
}
