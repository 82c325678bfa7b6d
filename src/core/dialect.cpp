// What every dialect shares: its id, identifier quoting and isolation-level names.
#include "alchemy/core/dialect.hpp"

#include "alchemy/core/error.hpp"
#include "core/printable.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <utility>

namespace alchemy {
namespace {

constexpr std::array<std::pair<IsolationLevel, std::string_view>, 5> isolation_names{{
    {IsolationLevel::read_uncommitted, "READ UNCOMMITTED"},
    {IsolationLevel::read_committed, "READ COMMITTED"},
    {IsolationLevel::repeatable_read, "REPEATABLE READ"},
    {IsolationLevel::serializable, "SERIALIZABLE"},
    {IsolationLevel::autocommit, "AUTOCOMMIT"},
}};

}  // namespace

IsolationLevel parse_isolation_level(std::string_view name) {
    std::string normal(name);
    std::transform(normal.begin(), normal.end(), normal.begin(),
                   [](unsigned char c) { return c == '_' ? ' ' : static_cast<char>(std::toupper(c)); });
    for (const auto& [level, text] : isolation_names)
        if (normal == text) return level;
    throw ArgumentError(
        fmt::format("alchemy: unknown isolation_level '{}'; use one of READ UNCOMMITTED, READ COMMITTED, "
                    "REPEATABLE READ, SERIALIZABLE, AUTOCOMMIT",
                    detail::printable(name)));
}

std::string_view to_string(IsolationLevel level) noexcept {
    for (const auto& [l, text] : isolation_names)
        if (l == level) return text;
    return "?";
}

Dialect::Dialect() {
    static std::atomic<DialectId> next{0};
    id_ = next.fetch_add(1);
    if (id_ >= max_dialects)
        throw ArgumentError(
            fmt::format("alchemy: a process may create at most {} dialects; create each one once and keep it "
                        "for the life of the program",
                        max_dialects));
}

void Dialect::append_identifier(std::string& out, std::string_view identifier) const {
    out.reserve(out.size() + identifier.size() + 2);
    out += '"';
    for (char c : identifier) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

std::string Dialect::quote_identifier(std::string_view identifier) const {
    std::string out;
    append_identifier(out, identifier);
    return out;
}

}  // namespace alchemy
