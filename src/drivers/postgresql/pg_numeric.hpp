// PostgreSQL's binary numeric: a header (digit count, weight, sign, display
// scale) followed by base-10000 digits. sum(bigint), avg() and numeric columns arrive
// this way; COPY sends numeric columns this way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace alchemy::detail::pg {

/// The value as an integer; nullopt when it has a non-zero fraction, is NaN or
/// ±Infinity, does not fit in 64 bits or is malformed (see append_numeric_text).
std::optional<std::int64_t> numeric_to_int(std::string_view binary) noexcept;

/// Appends the value as the server prints it: "-12.50", "0.001", "NaN", "Infinity".
/// False, with nothing appended, when `binary` is not in the server's format: a header
/// shorter than 8 bytes, a negative digit count, an unknown sign, a scale outside
/// 0..16383 or a digit outside 0..9999.
bool append_numeric_text(std::string& out, std::string_view binary);

/// Appends the decimal number `text` ("-12.50", "1.5e-3", "NaN", "-Infinity", as the
/// server's numeric input accepts them) in binary numeric form, keeping its scale.
/// False, with nothing appended, when `text` is no such number or exceeds the format.
bool append_numeric_binary(std::string& out, std::string_view text);

}  // namespace alchemy::detail::pg
