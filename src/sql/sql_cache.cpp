#include "alchemy/sql/sql_cache.hpp"

namespace alchemy::detail {

const std::string& render_once(std::once_flag& once, std::atomic<bool>& ready, std::string& text,
                               const Dialect& dialect, std::string (*render)(const Dialect&, const void*),
                               const void* context) {
    std::call_once(once, [&] {
        text = render(dialect, context);
        ready.store(true, std::memory_order_release);
    });
    return text;
}

}  // namespace alchemy::detail
