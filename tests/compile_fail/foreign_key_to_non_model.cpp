// expect: alchemy: sa::foreign_key(field, &Other::id) refers to a type that is not a model
// A foreign key must point at a model: here the target has a virtual function, so it is
// not an aggregate and cannot be mapped.
#include <alchemy/alchemy.hpp>

namespace app {
struct Service {
    std::int64_t id = 0;
#ifndef ALCHEMY_COMPILE_FAIL_CONTROL
    virtual ~Service() = default;
#endif
};
struct Job {
    std::int64_t id = 0;
    std::int64_t service_id = 0;
};
}  // namespace app

template <>
inline constexpr auto alchemy::mapping<app::Job> =
    alchemy::table(alchemy::foreign_key(&app::Job::service_id, &app::Service::id));

int main() { return static_cast<int>(alchemy::model_info<app::Job>::column_count); }
