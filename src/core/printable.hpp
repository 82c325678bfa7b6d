// Values and URL parts as messages and logs may show them: a decoded %0A in a URL or a
// line break in a bound value must not start a forged log line, and an ESC must not reach
// a terminal as an escape sequence.
#pragma once

#include <string>
#include <string_view>

namespace alchemy::detail {

/// Appends `text` with each control character (a byte below 0x20, or 0x7F) spelled as
/// \xNN, except those listed in `kept`. Other bytes, UTF-8 included, are kept as they are.
void append_printable(std::string& out, std::string_view text, std::string_view kept = {});

/// `text` as append_printable() writes it.
std::string printable(std::string_view text, std::string_view kept = {});

}  // namespace alchemy::detail
