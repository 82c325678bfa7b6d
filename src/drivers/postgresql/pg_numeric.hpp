// Reading PostgreSQL's binary numeric: a header (digit count, weight, sign, display
// scale) followed by base-10000 digits. sum(bigint), avg() and numeric columns arrive
// this way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace alchemy::detail::pg {

/// The value as an integer; nullopt when it has a non-zero fraction, is NaN or
/// ±Infinity, or does not fit in 64 bits.
std::optional<std::int64_t> numeric_to_int(std::string_view binary) noexcept;

/// Appends the value as the server prints it: "-12.50", "0.001", "NaN", "Infinity".
void append_numeric_text(std::string& out, std::string_view binary);

}  // namespace alchemy::detail::pg
