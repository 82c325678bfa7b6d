// value_traits<T>: how a C++ value is bound to a placeholder and read from a column.
//
// Core covers the types every layer needs: bool, integers, floating point, strings,
// blobs (std::vector<std::byte>), UTC timestamps (std::chrono::sys_time), dates
// (std::chrono::year_month_day) and std::optional of each (NULL). The schema layer adds
// enums and user types (sa::type_adapter) on top of these.
#pragma once

#include "alchemy/core/driver.hpp"

#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace alchemy {

template <class T>
struct value_traits;  // specialised below for each supported type

/// A type whose values can be bound as statement parameters.
template <class T>
concept bindable_value = requires(const T& v) {
    { value_traits<std::remove_cvref_t<T>>::to_param(v) } -> std::same_as<Param>;
};

/// A type that can be read from a result column.
template <class T>
concept readable_value = requires(const Cursor& c) {
    { value_traits<T>::read(c, 0) } -> std::same_as<T>;
};

namespace detail {
[[noreturn]] void throw_null_into_non_optional(const Cursor& c, int column);
[[noreturn]] void throw_out_of_range(const Cursor& c, int column, std::int64_t value,
                                     std::string_view type_name);
[[noreturn]] void throw_out_of_range(const Cursor& c, int column, double value, std::string_view type_name);
[[noreturn]] void throw_unsigned_too_large(std::uint64_t value);
/// A DataError: `value`, which the database gave for column `column` of `model` (a generated
/// key, a parent's key), does not fit the model's field of that column.
[[noreturn]] void throw_field_out_of_range(std::string_view model, std::string_view column,
                                           std::int64_t value);
[[noreturn]] void throw_invalid_date(int year, unsigned month, unsigned day);
[[noreturn]] void throw_timestamp_beyond_microseconds();
[[noreturn]] void throw_timestamp_beyond(const Cursor& c, int column);
[[noreturn]] void throw_date_beyond_year_range(const Cursor& c, int column);
[[noreturn]] void throw_underflow(const Cursor& c, int column, double value);

/// Whether duration `d` is within the range of To (whose count may be narrower, or count
/// finer ticks): converting one that is not wraps around to another instant.
template <class To, class From>
bool fits_duration(From d) noexcept {
    const auto wide = std::chrono::duration_cast<std::chrono::duration<long double, typename To::period>>(d);
    return wide.count() >= static_cast<long double>(To::min().count()) &&
           wide.count() <= static_cast<long double>(To::max().count());
}

/// What a database keeps of time point `v`: whole microseconds since 1970 (value_traits
/// floors finer ticks away when it binds one), or nothing for one beyond their range, which
/// no database takes. Comparisons that must agree with the database's use it.
template <class Duration>
std::optional<std::chrono::sys_time<std::chrono::microseconds>> stored_timestamp(
    std::chrono::sys_time<Duration> v) noexcept {
    if (!fits_duration<std::chrono::microseconds>(v.time_since_epoch())) return std::nullopt;
    return std::chrono::floor<std::chrono::microseconds>(v);
}

inline void require_not_null(const Cursor& c, int column) {
    if (c.is_null(column)) [[unlikely]]
        throw_null_into_non_optional(c, column);
}
}  // namespace detail

template <>
struct value_traits<bool> {
    static Param to_param(bool v) noexcept { return Param::of_bool(v); }
    static bool read(const Cursor& c, int i) {
        detail::require_not_null(c, i);
        return read_value(c, i);
    }
    /// Reads a column known not to be NULL.
    static bool read_value(const Cursor& c, int i) { return c.read_bool(i); }
};

template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
struct value_traits<T> {
    static Param to_param(T v) {
        if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
            if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                detail::throw_unsigned_too_large(v);
        }
        return Param::of_int(static_cast<std::int64_t>(v));
    }
    static T read(const Cursor& c, int i) {
        detail::require_not_null(c, i);
        return read_value(c, i);
    }
    /// Reads a column known not to be NULL.
    static T read_value(const Cursor& c, int i) {
        const std::int64_t v = c.read_int(i);
        if constexpr (sizeof(T) < 8 || std::is_unsigned_v<T>) {
            if (!std::in_range<T>(v)) [[unlikely]]
                detail::throw_out_of_range(c, i, v, type_name());
        }
        return static_cast<T>(v);
    }
    static constexpr std::string_view type_name() {
        return std::is_signed_v<T> ? "a signed integer of this width" : "an unsigned integer of this width";
    }
};

template <std::floating_point T>
struct value_traits<T> {
    static Param to_param(T v) noexcept { return Param::of_real(static_cast<double>(v)); }
    static T read(const Cursor& c, int i) {
        detail::require_not_null(c, i);
        return read_value(c, i);
    }
    /// Reads a column known not to be NULL.
    static T read_value(const Cursor& c, int i) {
        const double v = c.read_real(i);
        if constexpr (std::numeric_limits<T>::max() < std::numeric_limits<double>::max()) {
            // Converting a finite value beyond T's range is undefined (in practice ±inf);
            // NaN fails both comparisons, and the infinities are T's own.
            constexpr double max = std::numeric_limits<T>::max();
            if ((v > max || v < -max) && !std::isinf(v)) [[unlikely]]
                detail::throw_out_of_range(c, i, v, "a floating-point number of this width");
            // Nor may a value vanish: the server's own cast to real refuses this too.
            if (v != 0 && static_cast<T>(v) == 0) [[unlikely]]
                detail::throw_underflow(c, i, v);
        }
        return static_cast<T>(v);
    }
};

template <>
struct value_traits<std::string> {
    static Param to_param(const std::string& v) noexcept { return Param::of_text(v); }
    static std::string read(const Cursor& c, int i) {
        detail::require_not_null(c, i);
        return read_value(c, i);
    }
    /// Reads a column known not to be NULL.
    static std::string read_value(const Cursor& c, int i) { return std::string(c.read_text(i)); }
};

template <>
struct value_traits<std::string_view> {  // bind only: a view cannot outlive its row
    static Param to_param(std::string_view v) noexcept { return Param::of_text(v); }
};

template <>
struct value_traits<const char*> {  // bind only
    static Param to_param(const char* v) noexcept { return v ? Param::of_text(v) : Param::null(); }
};

template <std::size_t N>
struct value_traits<char[N]> {  // string literals and char buffers, bind only
    /// Up to the first NUL, as for const char*: a buffer's unused tail is not sent.
    static Param to_param(const char (&v)[N]) noexcept {
        const char* end = std::char_traits<char>::find(v, N, '\0');
        return Param::of_text(std::string_view(v, end ? static_cast<std::size_t>(end - v) : N));
    }
};

template <>
struct value_traits<std::vector<std::byte>> {
    static Param to_param(const std::vector<std::byte>& v) noexcept { return Param::of_blob(v); }
    static std::vector<std::byte> read(const Cursor& c, int i) {
        detail::require_not_null(c, i);
        return read_value(c, i);
    }
    /// Reads a column known not to be NULL.
    static std::vector<std::byte> read_value(const Cursor& c, int i) {
        const auto b = c.read_blob(i);
        return {b.begin(), b.end()};
    }
};

template <>
struct value_traits<std::span<const std::byte>> {  // bind only
    static Param to_param(std::span<const std::byte> v) noexcept { return Param::of_blob(v); }
};

template <class Duration>
struct value_traits<std::chrono::sys_time<Duration>> {
    using time_point = std::chrono::sys_time<Duration>;
    static Param to_param(const time_point& v) {
        // Timestamps travel as 64-bit microseconds: sys_seconds::max() would wrap to 1969.
        const auto stored = detail::stored_timestamp(v);
        if (!stored) [[unlikely]]
            detail::throw_timestamp_beyond_microseconds();
        return Param::of_timestamp(stored->time_since_epoch().count());
    }
    static time_point read(const Cursor& c, int i) {
        detail::require_not_null(c, i);
        return read_value(c, i);
    }
    /// Reads a column known not to be NULL.
    static time_point read_value(const Cursor& c, int i) {
        const std::chrono::sys_time<std::chrono::microseconds> t{
            std::chrono::microseconds{c.read_timestamp(i)}};
        // system_clock::time_point counts nanoseconds in 64 bits: 1677 to 2262.
        if (!detail::fits_duration<Duration>(t.time_since_epoch())) [[unlikely]]
            detail::throw_timestamp_beyond(c, i);
        return std::chrono::floor<Duration>(t);
    }
};

template <>
struct value_traits<std::chrono::year_month_day> {
    /// A date that does not exist (2023-02-30) is a DataError: as sys_days it would be
    /// another date.
    static Param to_param(const std::chrono::year_month_day& v) {
        if (!v.ok())
            detail::throw_invalid_date(static_cast<int>(v.year()), static_cast<unsigned>(v.month()),
                                       static_cast<unsigned>(v.day()));
        return Param::of_date(std::chrono::sys_days{v}.time_since_epoch().count());
    }
    static std::chrono::year_month_day read(const Cursor& c, int i) {
        detail::require_not_null(c, i);
        return read_value(c, i);
    }
    /// Reads a column known not to be NULL.
    static std::chrono::year_month_day read_value(const Cursor& c, int i) {
        using namespace std::chrono;
        // year_month_day holds years -32767 to 32767; PostgreSQL's dates reach 5874897.
        constexpr sys_days first{year::min() / January / 1}, last{year::max() / December / 31};
        const sys_days d{days{c.read_date(i)}};
        if (d < first || d > last) [[unlikely]]
            detail::throw_date_beyond_year_range(c, i);
        return d;
    }
};

template <class T>
struct value_traits<std::optional<T>> {
    static Param to_param(const std::optional<T>& v) {
        return v ? value_traits<T>::to_param(*v) : Param::null();
    }
    static std::optional<T> read(const Cursor& c, int i)
        requires readable_value<T>
    {
        if (c.is_null(i)) return std::nullopt;
        return value_traits<T>::read_value(c, i);
    }
};

template <>
struct value_traits<std::nullopt_t> {  // binds NULL
    static Param to_param(std::nullopt_t) noexcept { return Param::null(); }
};

/// Binds any bindable value.
template <bindable_value T>
Param to_param(const T& v) {
    return value_traits<std::remove_cvref_t<T>>::to_param(v);
}

}  // namespace alchemy
