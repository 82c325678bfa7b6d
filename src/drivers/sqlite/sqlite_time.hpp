// Timestamps and dates as SQLite stores them: UTC text in the form SQLAlchemy writes
// ("YYYY-MM-DD HH:MM:SS.ffffff" and "YYYY-MM-DD"), so a file is readable from Python
// and by SQLite's own date functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace alchemy::detail::sqlite {

using TimestampText = std::array<char, 26>;
using DateText = std::array<char, 10>;

/// Writes `micros` (since 1970-01-01T00:00:00Z) in full. False when the year falls
/// outside 0000-9999, which neither four-digit text nor SQLite's date functions hold.
bool format_timestamp(std::int64_t micros, TimestampText& out) noexcept;
/// Writes `days` (since 1970-01-01); false outside years 0000-9999.
bool format_date(std::int64_t days, DateText& out) noexcept;

/// Reads "YYYY-MM-DD", optionally followed by ' ' or 'T' and "HH:MM[:SS[.fraction]]",
/// optionally followed by 'Z' or an offset "+HH:MM"/"-HH:MM". Digits of the fraction
/// beyond microseconds are dropped. Empty when the text is not in that form.
std::optional<std::int64_t> parse_timestamp(std::string_view text) noexcept;
/// Reads exactly "YYYY-MM-DD" as days since 1970-01-01.
std::optional<std::int64_t> parse_date(std::string_view text) noexcept;

}  // namespace alchemy::detail::sqlite
