// Names and keywords compared without regard to ASCII case, as SQL reads keywords and
// SQLite reads identifiers: one comparison for every layer, free of the C locale that
// std::tolower consults.
#pragma once

#include <algorithm>
#include <string_view>

namespace alchemy::detail {

constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) noexcept {
    return std::ranges::equal(a, b, {}, ascii_lower, ascii_lower);
}

}  // namespace alchemy::detail
