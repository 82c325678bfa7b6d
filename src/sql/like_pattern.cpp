// LIKE pattern checks and autoescape (see sql/detail/like_pattern.hpp).
#include "alchemy/sql/detail/like_pattern.hpp"

#include "alchemy/core/error.hpp"

#include <fmt/format.h>

#include <cstring>

namespace alchemy::detail {

std::string escape_like(std::string_view text, char escape) {
    std::string out;
    out.reserve(text.size() + text.size() / 8 + 1);
    for (const char c : text) {
        if (c == '%' || c == '_' || c == escape) out += escape;
        out += c;
    }
    return out;
}

void check_like_escape(char escape) {
    const auto byte = static_cast<unsigned char>(escape);
    if (byte == 0 || byte >= 0x80)
        throw ArgumentError(
            fmt::format("LIKE escape character 0x{:02X} is not a single ASCII character; "
                        "use one such as '\\\\' or '!'",
                        byte));
}

void check_like_pattern(std::span<const Param> params, char escape) {
    if (params.size() != 1 || params[0].type != ParamType::text) return;
    const std::string_view pattern = params[0].bytes;
    if (const void* nul = std::memchr(pattern.data(), '\0', pattern.size())) {
        // 22021: character_not_in_repertoire, what PostgreSQL says of NUL in text.
        throw_database_error(
            "22021",
            fmt::format("the LIKE pattern contains a NUL byte (at byte {}), which SQLite takes for the "
                        "end of the pattern and PostgreSQL text cannot store; remove it",
                        static_cast<const char*>(nul) - pattern.data()),
            "");
    }
    std::size_t trailing = 0;
    while (trailing < pattern.size() && pattern[pattern.size() - 1 - trailing] == escape) ++trailing;
    if (trailing % 2 == 1)
        // 22025: invalid_escape_sequence, PostgreSQL's own code for this pattern.
        throw_database_error("22025",
                             fmt::format("the LIKE pattern ends with its escape character '{}', which "
                                         "escapes nothing; double it to match a literal '{}'",
                                         escape, escape),
                             "");
}

}  // namespace alchemy::detail
