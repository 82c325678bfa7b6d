// Param: one value bound to a placeholder, as the drivers see it.
//
// A Param is a small tagged view, not an owning variant: text and blobs point at the
// caller's storage, so binding a row costs no allocation. The storage must outlive the
// execute() call that uses the Param.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace alchemy {

enum class ParamType : std::uint8_t {
    null,
    boolean,
    integer,    ///< any integer, widened to 64 bits
    real,       ///< double
    text,       ///< UTF-8
    blob,       ///< raw bytes
    timestamp,  ///< microseconds since 1970-01-01T00:00:00Z
    date,       ///< days since 1970-01-01
};

struct Param {
    ParamType type = ParamType::null;
    union {
        bool boolean;
        std::int64_t integer;  ///< also timestamp (µs) and date (days)
        double real;
    };
    std::string_view bytes;  ///< text or blob contents

    constexpr Param() noexcept : integer(0) {}

    static constexpr Param null() noexcept { return {}; }
    static constexpr Param of_bool(bool v) noexcept {
        Param p;
        p.type = ParamType::boolean;
        p.boolean = v;
        return p;
    }
    static constexpr Param of_int(std::int64_t v) noexcept {
        Param p;
        p.type = ParamType::integer;
        p.integer = v;
        return p;
    }
    static constexpr Param of_real(double v) noexcept {
        Param p;
        p.type = ParamType::real;
        p.real = v;
        return p;
    }
    static constexpr Param of_text(std::string_view v) noexcept {
        Param p;
        p.type = ParamType::text;
        p.bytes = v;
        return p;
    }
    static Param of_blob(std::span<const std::byte> v) noexcept {
        Param p;
        p.type = ParamType::blob;
        p.bytes = {reinterpret_cast<const char*>(v.data()), v.size()};
        return p;
    }
    static constexpr Param of_timestamp(std::int64_t micros_since_epoch) noexcept {
        Param p;
        p.type = ParamType::timestamp;
        p.integer = micros_since_epoch;
        return p;
    }
    static constexpr Param of_date(std::int64_t days_since_epoch) noexcept {
        Param p;
        p.type = ParamType::date;
        p.integer = days_since_epoch;
        return p;
    }

    std::span<const std::byte> blob() const noexcept {
        return {reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()};
    }
};

}  // namespace alchemy
