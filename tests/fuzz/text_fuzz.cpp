// text(): any SQL compiles for both dialects or throws ArgumentError (src/core/text.cpp),
// and binding a value to each name it found orders the parameters without an error.
#include "contract.hpp"

#include <alchemy/core/driver.hpp>
#include <alchemy/core/text.hpp>
#include <alchemy/core/url.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

const alchemy::Dialect& dialect_of(std::string_view url) {
    return alchemy::driver_for(alchemy::make_url(url)).dialect();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const alchemy::Dialect* const dialects[] = {&dialect_of("sqlite://"),
                                                       &dialect_of("postgresql://localhost/db")};
    const std::string_view sql(reinterpret_cast<const char*>(data), size);
    for (const auto* dialect : dialects) {
        alchemy::detail::CompiledText compiled;
        if (!alchemy::fuzz::succeeds_or_throws<alchemy::ArgumentError>(
                [&] { compiled = alchemy::detail::compile_text(sql, *dialect); }))
            continue;
        std::vector<std::pair<std::string, alchemy::Value>> binds;
        for (const auto& name : compiled.names) {
            bool bound = false;
            for (const auto& [n, v] : binds) bound = bound || n == name;
            if (!bound) binds.emplace_back(name, alchemy::Value(alchemy::Param::of_int(1)));
        }
        // Every name has its value and every value its name: this must not fail.
        const auto params = alchemy::detail::order_text_params(compiled, binds);
        if (params.size() != compiled.names.size()) std::abort();
    }
    return 0;
}
