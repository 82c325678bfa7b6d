#include "core/printable.hpp"

#include <fmt/format.h>

#include <iterator>

namespace alchemy::detail {

void append_printable(std::string& out, std::string_view text, std::string_view kept) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        const bool control = byte < 0x20 || byte == 0x7F;
        if (control && kept.find(c) == std::string_view::npos)
            fmt::format_to(std::back_inserter(out), "\\x{:02X}", byte);
        else out += c;
    }
}

std::string printable(std::string_view text, std::string_view kept) {
    std::string out;
    out.reserve(text.size());
    append_printable(out, text, kept);
    return out;
}

}  // namespace alchemy::detail
