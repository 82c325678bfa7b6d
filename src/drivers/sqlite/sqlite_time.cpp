// Text ⇄ microseconds and days for SQLite's timestamp and date columns, using the
// 64-bit calendar arithmetic of core/civil_date.hpp, so any input is handled without overflow.
#include "drivers/sqlite/sqlite_time.hpp"

#include "core/civil_date.hpp"

#include <cstddef>

namespace alchemy::detail::sqlite {
namespace {

constexpr std::int64_t micros_per_second = 1'000'000;
constexpr std::int64_t micros_per_day = 86'400 * micros_per_second;
constexpr std::int64_t first_text_day = days_from_civil(0, 1, 1);
constexpr std::int64_t last_text_day = days_from_civil(9999, 12, 31);

constexpr bool is_leap_year(std::int64_t year) noexcept {
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

constexpr int days_in_month(std::int64_t year, int month) noexcept {
    constexpr int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : lengths[month - 1];
}

// Writes `value` as exactly `width` zero-padded digits.
void put_digits(char* out, std::int64_t value, int width) noexcept {
    for (int i = width - 1; i >= 0; --i) {
        out[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
}

void put_date(char* out, const CivilDate& date) noexcept {
    put_digits(out, date.year, 4);
    out[4] = '-';
    put_digits(out + 5, date.month, 2);
    out[7] = '-';
    put_digits(out + 8, date.day, 2);
}

// Reads fixed-width fields left to right; every method consumes input only on success.
class Scanner {
public:
    explicit Scanner(std::string_view text) noexcept : text_(text) {}

    bool at_end() const noexcept { return position_ == text_.size(); }

    bool accept(char c) noexcept {
        if (at_end() || text_[position_] != c) return false;
        ++position_;
        return true;
    }

    /// Exactly `count` decimal digits as a number.
    std::optional<int> digits(int count) noexcept {
        if (text_.size() - position_ < static_cast<std::size_t>(count)) return std::nullopt;
        int value = 0;
        for (int i = 0; i < count; ++i) {
            const char c = text_[position_ + static_cast<std::size_t>(i)];
            if (c < '0' || c > '9') return std::nullopt;
            value = value * 10 + (c - '0');
        }
        position_ += static_cast<std::size_t>(count);
        return value;
    }

    /// One or more digits read as a fraction of a second, truncated to microseconds.
    std::optional<std::int64_t> fraction_micros() noexcept {
        std::int64_t micros = 0;
        int seen = 0;
        while (!at_end() && text_[position_] >= '0' && text_[position_] <= '9') {
            if (seen < 6) micros = micros * 10 + (text_[position_] - '0');
            ++seen;
            ++position_;
        }
        if (seen == 0) return std::nullopt;
        for (int i = seen; i < 6; ++i) micros *= 10;
        return micros;
    }

private:
    std::string_view text_;
    std::size_t position_ = 0;
};

std::optional<std::int64_t> scan_date(Scanner& in) noexcept {
    const auto year = in.digits(4);
    if (!year || !in.accept('-')) return std::nullopt;
    const auto month = in.digits(2);
    if (!month || !in.accept('-')) return std::nullopt;
    const auto day = in.digits(2);
    if (!day || *month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month))
        return std::nullopt;
    return days_from_civil(*year, *month, *day);
}

/// "HH:MM[:SS[.fraction]]" as microseconds into the day.
std::optional<std::int64_t> scan_time_of_day(Scanner& in) noexcept {
    const auto hour = in.digits(2);
    if (!hour || !in.accept(':')) return std::nullopt;
    const auto minute = in.digits(2);
    if (!minute || *hour > 23 || *minute > 59) return std::nullopt;
    std::int64_t second = 0;
    std::int64_t fraction = 0;
    if (in.accept(':')) {
        const auto whole = in.digits(2);
        if (!whole || *whole > 59) return std::nullopt;
        second = *whole;
        if (in.accept('.')) {
            const auto micros = in.fraction_micros();
            if (!micros) return std::nullopt;
            fraction = *micros;
        }
    }
    return ((*hour * 60 + *minute) * 60 + second) * micros_per_second + fraction;
}

/// "", "Z", "+HH:MM" or "-HH:MM" as microseconds to subtract to reach UTC.
std::optional<std::int64_t> scan_zone_offset(Scanner& in) noexcept {
    if (in.at_end() || in.accept('Z')) return 0;
    const bool ahead = in.accept('+');
    if (!ahead && !in.accept('-')) return std::nullopt;
    const auto hours = in.digits(2);
    if (!hours || !in.accept(':')) return std::nullopt;
    const auto minutes = in.digits(2);
    if (!minutes || *hours > 23 || *minutes > 59) return std::nullopt;
    const std::int64_t offset = (*hours * 60 + *minutes) * 60 * micros_per_second;
    return ahead ? offset : -offset;
}

}  // namespace

bool format_timestamp(std::int64_t micros, TimestampText& out) noexcept {
    const std::int64_t days = floor_div(micros, micros_per_day);
    if (days < first_text_day || days > last_text_day) return false;
    std::int64_t into_day = micros - days * micros_per_day;
    const std::int64_t fraction = into_day % micros_per_second;
    into_day /= micros_per_second;
    char* p = out.data();
    put_date(p, civil_from_days(days));
    p[10] = ' ';
    put_digits(p + 11, into_day / 3600, 2);
    p[13] = ':';
    put_digits(p + 14, into_day / 60 % 60, 2);
    p[16] = ':';
    put_digits(p + 17, into_day % 60, 2);
    p[19] = '.';
    put_digits(p + 20, fraction, 6);
    return true;
}

bool format_date(std::int64_t days, DateText& out) noexcept {
    if (days < first_text_day || days > last_text_day) return false;
    put_date(out.data(), civil_from_days(days));
    return true;
}

std::optional<std::int64_t> parse_timestamp(std::string_view text) noexcept {
    Scanner in(text);
    const auto days = scan_date(in);
    if (!days) return std::nullopt;
    const std::int64_t micros = *days * micros_per_day;
    if (in.at_end()) return micros;
    if (!in.accept(' ') && !in.accept('T')) return std::nullopt;
    const auto time_of_day = scan_time_of_day(in);
    if (!time_of_day) return std::nullopt;
    const auto offset = scan_zone_offset(in);
    if (!offset || !in.at_end()) return std::nullopt;
    return micros + *time_of_day - *offset;
}

std::optional<std::int64_t> parse_date(std::string_view text) noexcept {
    Scanner in(text);
    const auto days = scan_date(in);
    if (!days || !in.at_end()) return std::nullopt;
    return days;
}

}  // namespace alchemy::detail::sqlite
