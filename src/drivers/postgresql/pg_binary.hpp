// PostgreSQL's binary wire format at its smallest: big-endian integers and IEEE floats,
// and the 2000-01-01 epoch the server counts dates and timestamps from.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <string>

namespace alchemy::detail::pg {

/// Days and microseconds from 1970-01-01 (alchemy's epoch) to 2000-01-01 (PostgreSQL's).
inline constexpr std::int64_t epoch_offset_days = 10'957;
inline constexpr std::int64_t micros_per_day = 86'400'000'000;
inline constexpr std::int64_t epoch_offset_micros = epoch_offset_days * micros_per_day;

/// How the server sends 'infinity' and '-infinity' dates and timestamps.
inline constexpr std::int32_t date_infinity = std::numeric_limits<std::int32_t>::max();
inline constexpr std::int32_t date_minus_infinity = std::numeric_limits<std::int32_t>::min();
inline constexpr std::int64_t timestamp_infinity = std::numeric_limits<std::int64_t>::max();
inline constexpr std::int64_t timestamp_minus_infinity = std::numeric_limits<std::int64_t>::min();

inline std::uint64_t load_be(const char* p, int bytes) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

inline std::int16_t load_i16(const char* p) noexcept { return static_cast<std::int16_t>(load_be(p, 2)); }
inline std::uint16_t load_u16(const char* p) noexcept { return static_cast<std::uint16_t>(load_be(p, 2)); }
inline std::int32_t load_i32(const char* p) noexcept { return static_cast<std::int32_t>(load_be(p, 4)); }
inline std::uint32_t load_u32(const char* p) noexcept { return static_cast<std::uint32_t>(load_be(p, 4)); }
inline std::int64_t load_i64(const char* p) noexcept { return static_cast<std::int64_t>(load_be(p, 8)); }
inline float load_f32(const char* p) noexcept { return std::bit_cast<float>(load_u32(p)); }
inline double load_f64(const char* p) noexcept { return std::bit_cast<double>(load_be(p, 8)); }

inline void append_be(std::string& out, std::uint64_t v, int bytes) {
    for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
}

}  // namespace alchemy::detail::pg
