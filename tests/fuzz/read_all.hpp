// Reads column 0 of a cursor's current row as every type the Core reads
// (include/alchemy/core/value_traits.hpp): each read returns a value or throws DataError.
#pragma once

#include "contract.hpp"

#include <alchemy/core/driver.hpp>
#include <alchemy/core/value_traits.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace alchemy::fuzz {

template <class T>
void read_as(const Cursor& cursor) {
    succeeds_or_throws<DataError>([&] { (void)value_traits<T>::read(cursor, 0); });
}

inline void read_every_type(const Cursor& cursor) {
    (void)cursor.is_null(0);
    read_as<bool>(cursor);
    read_as<std::int8_t>(cursor);
    read_as<std::int16_t>(cursor);
    read_as<std::int32_t>(cursor);
    read_as<std::int64_t>(cursor);
    read_as<std::uint8_t>(cursor);
    read_as<std::uint16_t>(cursor);
    read_as<std::uint32_t>(cursor);
    read_as<std::uint64_t>(cursor);
    read_as<float>(cursor);
    read_as<double>(cursor);
    read_as<std::string>(cursor);
    read_as<std::vector<std::byte>>(cursor);
    read_as<std::chrono::sys_time<std::chrono::microseconds>>(cursor);
    read_as<std::chrono::sys_seconds>(cursor);
    read_as<std::chrono::year_month_day>(cursor);
    read_as<std::optional<std::int64_t>>(cursor);
    read_as<std::optional<std::string>>(cursor);
}

}  // namespace alchemy::fuzz
