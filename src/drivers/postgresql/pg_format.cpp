// Digit formatting behind pg_format.hpp; the calendar arithmetic is core/civil_date.hpp.
#include "drivers/postgresql/pg_format.hpp"

#include "core/civil_date.hpp"
#include "drivers/postgresql/pg_binary.hpp"

#include <charconv>

namespace alchemy::detail::pg {
namespace {

void append_padded(std::string& out, std::int64_t value, int width) {
    char text[24];
    const auto end = std::to_chars(text, text + sizeof text, value).ptr;
    const auto length = static_cast<int>(end - text);
    if (length < width) out.append(static_cast<std::size_t>(width - length), '0');
    out.append(text, end);
}

/// Appends "YYYY-MM-DD" and says whether the year is BC (the suffix goes at the very end).
bool append_calendar_date(std::string& out, std::int64_t days) {
    const auto date = civil_from_days(days);
    const bool before_christ = date.year <= 0;
    append_padded(out, before_christ ? 1 - date.year : date.year, 4);
    out += '-';
    append_padded(out, date.month, 2);
    out += '-';
    append_padded(out, date.day, 2);
    return before_christ;
}

}  // namespace

void append_date_text(std::string& out, std::int64_t days) {
    if (append_calendar_date(out, days)) out += " BC";
}

void append_time_text(std::string& out, std::int64_t micros) {
    constexpr std::int64_t micros_per_second = 1'000'000;
    const std::int64_t seconds = micros / micros_per_second;
    append_padded(out, seconds / 3600, 2);
    out += ':';
    append_padded(out, seconds / 60 % 60, 2);
    out += ':';
    append_padded(out, seconds % 60, 2);
    std::int64_t fraction = micros % micros_per_second;
    if (fraction == 0) return;
    // The server drops trailing zeros of the fraction: 12:00:00.25, not .250000.
    int width = 6;
    while (fraction % 10 == 0) {
        fraction /= 10;
        --width;
    }
    out += '.';
    append_padded(out, fraction, width);
}

void append_timestamp_text(std::string& out, std::int64_t micros, bool utc_offset) {
    // Days and time of day first: the server's last timestamp (294276 AD) lies too close to
    // the end of int64 for its microseconds to take the 1970 offset.
    std::int64_t days = micros / micros_per_day;
    std::int64_t time = micros % micros_per_day;
    if (time < 0) {
        --days;
        time += micros_per_day;
    }
    const bool before_christ = append_calendar_date(out, days + epoch_offset_days);
    out += ' ';
    append_time_text(out, time);
    if (utc_offset) out += "+00";
    if (before_christ) out += " BC";
}

void append_uuid_text(std::string& out, std::string_view bytes) {
    constexpr char hex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        const auto byte = static_cast<unsigned char>(bytes[i]);
        out += hex[byte >> 4];
        out += hex[byte & 0x0F];
    }
}

}  // namespace alchemy::detail::pg
