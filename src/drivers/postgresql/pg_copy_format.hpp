// PostgreSQL's binary COPY format: a signature header, then per row a 16-bit field count
// and per field a 32-bit length (-1 for NULL) followed by the value in its column type's
// binary form, then a trailer. Unlike bound parameters, COPY fields carry no type: the
// server reads each with its column's receive function, so the bytes must be exactly
// that type's (eight bytes for an int8, four for an int4).
#pragma once

#include "alchemy/core/param.hpp"

#include <libpq-fe.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace alchemy::detail::pg {

/// Where a field goes, for error messages.
struct CopyTarget {
    std::string_view column;
    Oid type;
    std::size_t row;  ///< 0-based
    std::string_view sql;
    /// The session's TimeZone, on which what a bound timestamp or date stores can depend.
    std::string_view session_zone;
};

/// The names PostgreSQL's zone database gives UTC itself, as SET TIME ZONE accepts them
/// (in any case). COPY stores timestamps and dates as an INSERT does only in these zones.
std::span<const std::string_view> utc_zone_names() noexcept;
/// True when `zone` is one of utc_zone_names(), in any case.
bool is_utc_zone(std::string_view zone) noexcept;

void append_copy_header(std::string& out);
void append_copy_trailer(std::string& out);
/// Starts a row of `fields` fields (at most 32767: the count is 16 bits wide).
void append_copy_row_start(std::string& out, std::size_t fields);
/// Appends one field: `value` encoded for `target.type`, or the NULL marker. Throws
/// ProgrammingError when values of `value`'s kind cannot fill the column's type, and
/// DataError when this value does not fit it.
void append_copy_field(std::string& out, const Param& value, const CopyTarget& target);

}  // namespace alchemy::detail::pg
