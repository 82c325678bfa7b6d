// The naming convention for constraints and indexes, and the 63-byte limit on names.
#include "alchemy/schema/naming.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace alchemy::naming {
namespace {

// PostgreSQL's NAMEDATALEN is 64 including the terminator; longer names are silently
// cut by the server, so two long names could collide and a later DROP by the name we
// generated would miss. We shorten them ourselves, keeping them unique by a hash.
constexpr std::size_t max_name_bytes = 63;
constexpr std::size_t hash_suffix_bytes = 9;  // "_" + 8 hex digits

std::uint32_t fnv1a_32(std::string_view text) noexcept {
    std::uint32_t hash = 2166136261u;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 16777619u;
    }
    return hash;
}

bool is_utf8_continuation(char c) noexcept { return (static_cast<unsigned char>(c) & 0xC0u) == 0x80u; }

std::string join(std::string_view prefix, std::string_view table, std::span<const std::string> columns) {
    std::string name = fmt::format("{}_{}", prefix, table);
    for (const auto& c : columns) {
        name += '_';
        name += c;
    }
    return name;
}

}  // namespace

std::string truncate(std::string name) {
    if (name.size() <= max_name_bytes) return name;
    const auto suffix = fmt::format("_{:08x}", fnv1a_32(name));
    // Never cut a UTF-8 character in half: PostgreSQL rejects invalid UTF-8 in names.
    auto keep = max_name_bytes - hash_suffix_bytes;
    while (keep > 0 && is_utf8_continuation(name[keep])) --keep;
    name.resize(keep);
    return name + suffix;
}

std::string primary_key(std::string_view table) { return truncate(fmt::format("pk_{}", table)); }

std::string unique(std::string_view table, std::span<const std::string> columns) {
    return truncate(join("uq", table, columns));
}

std::string index(std::string_view table, std::span<const std::string> columns) {
    return truncate(join("ix", table, columns));
}

std::string foreign_key(std::string_view table, std::span<const std::string> columns,
                        std::string_view referred_table) {
    return truncate(fmt::format("{}_{}", join("fk", table, columns), referred_table));
}

std::string check(std::string_view table, std::string_view name) {
    return truncate(fmt::format("ck_{}_{}", table, name));
}

}  // namespace alchemy::naming
