// Encoding Params as binary COPY fields, one column type at a time (see pg_copy_format.hpp).
#include "drivers/postgresql/pg_copy_format.hpp"
#include "core/ascii.hpp"

#include "alchemy/core/error.hpp"
#include "core/printable.hpp"
#include "drivers/postgresql/pg_binary.hpp"
#include "drivers/postgresql/pg_numeric.hpp"
#include "drivers/postgresql/pg_params.hpp"
#include "drivers/postgresql/pg_types.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace alchemy::detail::pg {
namespace {

constexpr std::string_view signature{"PGCOPY\n\377\r\n\0", 11};
constexpr std::size_t max_field_size = (std::size_t{1} << 30) - 1;  // the server's 1 GB limit
constexpr char jsonb_version = 1;  // binary jsonb is this byte followed by the JSON text
constexpr std::size_t uuid_size = 16;

std::string_view kind_name(ParamType type) {
    switch (type) {
    case ParamType::null: return "NULL";
    case ParamType::boolean: return "a boolean";
    case ParamType::integer: return "an integer";
    case ParamType::real: return "a floating-point number";
    case ParamType::text: return "text";
    case ParamType::blob: return "a blob";
    case ParamType::timestamp: return "a timestamp";
    case ParamType::date: return "a date";
    }
    return "a value";
}

// 42804: datatype_mismatch — the same for every row, so the caller's code must change.
[[noreturn]] void raise_unsupported(const Param& value, const CopyTarget& target) {
    throw_database_error(
        "42804",
        fmt::format("copy_rows(): column \"{}\" has type {}, which copy_rows cannot load from "
                    "{} (row {}); pass a value of a kind that type takes, or use INSERT",
                    target.column, type_name(target.type), kind_name(value.type), target.row + 1),
        std::string(target.sql));
}

[[noreturn]] void raise_bad_value(const char* sqlstate, std::string_view problem, const CopyTarget& target) {
    throw_database_error(sqlstate,
                         fmt::format("copy_rows(): row {}, column \"{}\" ({}): {}", target.row + 1,
                                     target.column, type_name(target.type), problem),
                         std::string(target.sql));
}

// execute() binds a timestamp as a timestamptz (pg_params.cpp), which the server stores
// in a `timestamp` column as the session zone's wall-clock time, and a date as a date,
// which becomes a timestamptz at the zone's midnight. COPY stores the bytes sent, which
// agree with that only in UTC, the zone alchemy sets at connect; in any other a load
// would store other values than an INSERT does.
void require_utc_session(const Param& value, const CopyTarget& target) {
    if (is_utc_zone(target.session_zone)) return;
    // 0A000: feature_not_supported.
    throw_database_error(
        "0A000",
        fmt::format("copy_rows(): column \"{}\" has type {} and the session's TimeZone is {}, not UTC: "
                    "an INSERT of {} stores a value that depends on the zone, which COPY cannot "
                    "compute (row {}); SET TIME ZONE 'UTC' first, or use INSERT",
                    target.column, type_name(target.type), printable(target.session_zone),
                    kind_name(value.type), target.row + 1),
        std::string(target.sql));
}

[[noreturn]] void raise_out_of_range(const CopyTarget& target) {
    raise_bad_value("22003", "the value is out of range for the column's type", target);
}

void append_integer(std::string& out, std::int64_t value, int bytes, const CopyTarget& target) {
    const int bits = bytes * 8;
    if (bytes < 8 && (value < -(std::int64_t{1} << (bits - 1)) || value >= (std::int64_t{1} << (bits - 1))))
        raise_out_of_range(target);
    append_be(out, static_cast<std::uint64_t>(value), bytes);
}

void append_text(std::string& out, std::string_view text, const CopyTarget& target) {
    if (std::memchr(text.data(), '\0', text.size()))
        // 22021: character_not_in_repertoire, what the server says about NUL in text.
        raise_bad_value("22021", "the text contains a NUL byte, which PostgreSQL text cannot store", target);
    if (const auto at = invalid_utf8_at(text); at != std::string_view::npos)
        raise_bad_value("22021", fmt::format("the text is not valid UTF-8 (from byte {})", at), target);
    out += text;
}

void append_numeric(std::string& out, std::string_view decimal, const CopyTarget& target) {
    if (!append_numeric_binary(out, decimal))
        raise_bad_value("22P02", fmt::format("'{}' is not a decimal number", printable(decimal)), target);
}

template <class Number>
void append_numeric_of(std::string& out, Number value, const CopyTarget& target) {
    if constexpr (std::is_floating_point_v<Number>) {
        if (std::isnan(value)) return append_numeric(out, "NaN", target);
        if (std::isinf(value)) return append_numeric(out, value > 0 ? "Infinity" : "-Infinity", target);
    }
    // A bound double reaches a numeric column through the server's float8-to-numeric
    // cast, which keeps 15 significant digits (0.1 + 0.2 stores 0.3); COPY stores the same.
    std::array<char, 32> text{};
    const auto end = [&] {
        if constexpr (std::is_floating_point_v<Number>)
            return std::to_chars(text.data(), text.data() + text.size(), value, std::chars_format::general,
                                 std::numeric_limits<double>::digits10)
                .ptr;
        else return std::to_chars(text.data(), text.data() + text.size(), value).ptr;
    }();
    append_numeric(out, {text.data(), static_cast<std::size_t>(end - text.data())}, target);
}

void append_uuid_text(std::string& out, std::string_view text, const CopyTarget& target) {
    // What the server's uuid input accepts: hex digits, optionally braced, hyphens between.
    if (text.size() >= 2 && text.front() == '{' && text.back() == '}') text = text.substr(1, text.size() - 2);
    std::array<char, uuid_size> bytes{};
    std::size_t nibbles = 0;
    std::size_t hyphen_after = 0;  // a hyphen may follow a group of four digits, once, as uuid_in allows
    for (const char c : text) {
        if (c == '-' && nibbles > 0 && nibbles % 4 == 0 && hyphen_after != nibbles) {
            hyphen_after = nibbles;
            continue;
        }
        unsigned value = 0;
        const auto [end, error] = std::from_chars(&c, &c + 1, value, 16);
        if (error != std::errc{} || nibbles == 2 * uuid_size) {
            nibbles = 0;
            break;
        }
        bytes[nibbles / 2] = static_cast<char>(bytes[nibbles / 2] | (value << (nibbles % 2 ? 0 : 4)));
        ++nibbles;
    }
    if (nibbles != 2 * uuid_size || text.back() == '-')
        raise_bad_value("22P02", fmt::format("'{}' is not a UUID", printable(text)), target);
    out.append(bytes.data(), bytes.size());
}

void append_timestamp(std::string& out, std::int64_t micros, const CopyTarget& target) {
    std::int64_t since_2000 = 0;
    if (__builtin_sub_overflow(micros, epoch_offset_micros, &since_2000) ||
        since_2000 == timestamp_infinity || since_2000 == timestamp_minus_infinity)
        raise_bad_value("22008", "the timestamp is outside PostgreSQL's range", target);
    append_be(out, static_cast<std::uint64_t>(since_2000), 8);
}

void append_value(std::string& out, const Param& value, const CopyTarget& target) {
    const auto type = value.type;
    switch (target.type) {
    case oid::boolean:
        if (type != ParamType::boolean) break;
        out += value.boolean ? '\1' : '\0';
        return;
    case oid::int2:
    case oid::int4:
    case oid::int8:
        if (type != ParamType::integer) break;
        return append_integer(out, value.integer,
                              target.type == oid::int2   ? 2
                              : target.type == oid::int4 ? 4
                                                         : 8,
                              target);
    case oid::float4: {
        if (type != ParamType::real && type != ParamType::integer) break;
        if (type == ParamType::integer) {
            // Straight to float, as the server's int8-to-float4 cast: through double it
            // would be rounded twice.
            append_be(out, std::bit_cast<std::uint32_t>(static_cast<float>(value.integer)), 4);
            return;
        }
        const double v = value.real;
        // Converting a finite double beyond float's range is undefined behaviour.
        if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max()) raise_out_of_range(target);
        // The server's float8-to-float4 cast refuses a value that underflows to zero.
        if (v != 0 && static_cast<float>(v) == 0) raise_out_of_range(target);
        append_be(out, std::bit_cast<std::uint32_t>(static_cast<float>(v)), 4);
        return;
    }
    case oid::float8: {
        if (type != ParamType::real && type != ParamType::integer) break;
        const double v = type == ParamType::real ? value.real : static_cast<double>(value.integer);
        append_be(out, std::bit_cast<std::uint64_t>(v), 8);
        return;
    }
    case oid::numeric:
        if (type == ParamType::integer) return append_numeric_of(out, value.integer, target);
        if (type == ParamType::real) return append_numeric_of(out, value.real, target);
        if (type == ParamType::text) return append_numeric(out, value.bytes, target);
        break;
    case oid::text:
    case oid::varchar:
    case oid::bpchar:
    case oid::name:
    case oid::json:
    case oid::xml:
        // These types' binary form is their text.
        if (type != ParamType::text) break;
        return append_text(out, value.bytes, target);
    case oid::jsonb:
        if (type != ParamType::text) break;
        out += jsonb_version;
        return append_text(out, value.bytes, target);
    case oid::bytea:
        if (type != ParamType::blob) break;
        out += value.bytes;
        return;
    case oid::uuid:
        if (type == ParamType::text) return append_uuid_text(out, value.bytes, target);
        if (type != ParamType::blob) break;
        if (value.bytes.size() != uuid_size)
            raise_bad_value("22P02", "a UUID blob must hold exactly 16 bytes", target);
        out += value.bytes;
        return;
    case oid::timestamp:
    case oid::timestamptz:
        // Both count microseconds from 2000-01-01, as sent here.
        if (type == ParamType::timestamp) {
            if (target.type == oid::timestamp) require_utc_session(value, target);
            return append_timestamp(out, value.integer, target);
        }
        if (type == ParamType::date) {
            if (target.type == oid::timestamptz) require_utc_session(value, target);
            std::int64_t micros = 0;
            if (__builtin_mul_overflow(value.integer, micros_per_day, &micros))
                raise_bad_value("22008", "the date is outside PostgreSQL's range", target);
            return append_timestamp(out, micros, target);
        }
        break;
    case oid::date: {
        if (type != ParamType::date) break;
        std::int64_t since_2000 = 0;
        if (__builtin_sub_overflow(value.integer, epoch_offset_days, &since_2000) ||
            since_2000 <= date_minus_infinity || since_2000 >= date_infinity)
            raise_bad_value("22008", "the date is outside PostgreSQL's range", target);
        append_be(out, static_cast<std::uint64_t>(since_2000), 4);
        return;
    }
    default: break;
    }
    raise_unsupported(value, target);
}

}  // namespace

std::span<const std::string_view> utc_zone_names() noexcept {
    static constexpr std::array<std::string_view, 18> names{
        "UTC",   "Etc/UTC",   "UCT",   "Etc/UCT",   "Universal", "Etc/Universal",
        "Zulu",  "Etc/Zulu",  "GMT",   "Etc/GMT",   "GMT0",      "Etc/GMT0",
        "GMT+0", "Etc/GMT+0", "GMT-0", "Etc/GMT-0", "Greenwich", "Etc/Greenwich"};
    return names;
}

bool is_utc_zone(std::string_view zone) noexcept {
    const auto names = utc_zone_names();
    return std::any_of(names.begin(), names.end(),
                       [&](std::string_view name) { return equals_ignoring_ascii_case(name, zone); });
}

void append_copy_header(std::string& out) {
    out += signature;
    append_be(out, 0, 4);  // flags: no OIDs
    append_be(out, 0, 4);  // no header extension
}

void append_copy_trailer(std::string& out) { append_be(out, 0xFFFF, 2); }

void append_copy_row_start(std::string& out, std::size_t fields) { append_be(out, fields, 2); }

void append_copy_field(std::string& out, const Param& value, const CopyTarget& target) {
    if (value.type == ParamType::null) return append_be(out, 0xFFFF'FFFF, 4);
    // The length goes first but is known only afterwards: reserve it, then fill it in.
    const auto length_at = out.size();
    out.append(4, '\0');
    try {
        append_value(out, value, target);
    } catch (...) {
        out.resize(length_at);
        throw;
    }
    const auto length = out.size() - length_at - 4;
    if (length > max_field_size) {
        out.resize(length_at);
        // 54000: program_limit_exceeded.
        raise_bad_value("54000", "the value is larger than PostgreSQL's 1 GB field limit", target);
    }
    for (int i = 0; i < 4; ++i)
        out[length_at + static_cast<std::size_t>(i)] = static_cast<char>((length >> (8 * (3 - i))) & 0xFF);
}

}  // namespace alchemy::detail::pg
