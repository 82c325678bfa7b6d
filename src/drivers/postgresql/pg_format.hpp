// Text forms of binary date, time, timestamp and uuid values, spelled as the server
// prints them (ISO dates, "BC" for years before 1, UTC offset "+00" for timestamptz), so
// a cursor can answer read_text for any column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace alchemy::detail::pg {

/// `days` since 1970-01-01 as "YYYY-MM-DD" (or "YYYY-MM-DD BC").
void append_date_text(std::string& out, std::int64_t days);
/// `micros` since 2000-01-01T00:00:00 (PostgreSQL's epoch, as the server sends them) as
/// "YYYY-MM-DD HH:MM:SS[.ffffff]", with "+00" after the time when `utc_offset` is set.
void append_timestamp_text(std::string& out, std::int64_t micros, bool utc_offset);
/// `micros` since midnight as "HH:MM:SS[.ffffff]".
void append_time_text(std::string& out, std::int64_t micros);
/// 16 bytes as "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
void append_uuid_text(std::string& out, std::string_view bytes);

}  // namespace alchemy::detail::pg
