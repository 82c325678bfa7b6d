// The compiled side of include/alchemy/format.hpp: the formatters' format(), here where
// fmt/format.h is, so that users' files need only fmt/core.h.
#include "alchemy/format.hpp"

#include <fmt/format.h>

fmt::format_context::iterator fmt::formatter<alchemy::URL>::format(const alchemy::URL& url,
                                                                   format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(url.to_string(), ctx);
}
