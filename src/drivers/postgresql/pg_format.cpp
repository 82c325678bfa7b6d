// Calendar arithmetic and digit formatting behind pg_format.hpp. Dates are computed
// with 64-bit integers rather than std::chrono::year, whose range (±32767) is smaller
// than PostgreSQL's.
#include "drivers/postgresql/pg_format.hpp"

#include "drivers/postgresql/pg_binary.hpp"

#include <charconv>

namespace alchemy::detail::pg {
namespace {

struct CivilDate {
    std::int64_t year;  // astronomical: 0 is 1 BC
    int month;
    int day;
};

// Proleptic Gregorian date of a day count, by 400-year eras (146097 days each)
// counted from 0000-03-01, so leap days fall at the end of each counted year.
CivilDate civil_from_days(std::int64_t days_since_1970) {
    constexpr std::int64_t days_from_0000_03_01_to_1970 = 719'468;
    constexpr std::int64_t days_per_era = 146'097;
    const std::int64_t z = days_since_1970 + days_from_0000_03_01_to_1970;
    const std::int64_t era = (z >= 0 ? z : z - (days_per_era - 1)) / days_per_era;
    const std::int64_t day_of_era = z - era * days_per_era;
    const std::int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const std::int64_t day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const std::int64_t march_based_month = (5 * day_of_year + 2) / 153;
    const int day = static_cast<int>(day_of_year - (153 * march_based_month + 2) / 5 + 1);
    const int month = static_cast<int>(march_based_month < 10 ? march_based_month + 3
                                                               : march_based_month - 9);
    return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

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

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
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
    const std::int64_t days = floor_div(micros, micros_per_day);
    const bool before_christ = append_calendar_date(out, days);
    out += ' ';
    append_time_text(out, micros - days * micros_per_day);
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
