// Proleptic Gregorian calendar arithmetic on 64-bit day counts, shared by the drivers
// that turn timestamps and dates into text. std::chrono::year stops at ±32767, which is
// narrower than what PostgreSQL stores, so the arithmetic is done on plain integers.
#pragma once

#include <cstdint>

namespace alchemy::detail {

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t quotient = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient;
}

struct CivilDate {
    std::int64_t year;  ///< astronomical: 0 is 1 BC
    int month;
    int day;
};

inline constexpr std::int64_t days_per_era = 146'097;          // 400 Gregorian years
inline constexpr std::int64_t days_from_0000_03_01 = 719'468;  // to 1970-01-01

// Counting years from March 1 puts the leap day at the end of a year, so every month
// but the last follows the fixed 31/30 pattern (153 days per 5 months).
constexpr std::int64_t days_from_civil(std::int64_t year, int month, int day) noexcept {
    const std::int64_t march_year = month <= 2 ? year - 1 : year;
    const std::int64_t era = floor_div(march_year, 400);
    const std::int64_t year_of_era = march_year - era * 400;
    const std::int64_t month_from_march = month > 2 ? month - 3 : month + 9;
    const std::int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * days_per_era + day_of_era - days_from_0000_03_01;
}

constexpr CivilDate civil_from_days(std::int64_t days_since_1970) noexcept {
    const std::int64_t shifted = days_since_1970 + days_from_0000_03_01;
    const std::int64_t era = floor_div(shifted, days_per_era);
    const std::int64_t day_of_era = shifted - era * days_per_era;
    const std::int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
    const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;
    const int day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
    const int month = static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
    return {era * 400 + year_of_era + (month <= 2 ? 1 : 0), month, day};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11'017);
static_assert(days_from_civil(1969, 12, 31) == -1);
static_assert(civil_from_days(-1).year == 1969 && civil_from_days(-1).day == 31);
static_assert(civil_from_days(11'016).month == 2 && civil_from_days(11'016).day == 29);
static_assert(civil_from_days(-719'528).year == 0);  // 0000-01-01

}  // namespace alchemy::detail
