// make_url: any text parses into a URL or throws ArgumentError (include/alchemy/core/url.hpp).
// A parsed URL prints, with its password masked, and renders for a driver without throwing.
#include "contract.hpp"

#include <alchemy/core/url.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    alchemy::fuzz::succeeds_or_throws<alchemy::ArgumentError>([&] {
        const auto url = alchemy::make_url(text);
        (void)url.backend();
        (void)url.driver();
        (void)url.to_string();
        (void)url.render_with_password();
    });
    return 0;
}
