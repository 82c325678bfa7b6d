// Turns ":name" placeholders of text() into the dialect's placeholders.
//
// The scan skips everything where a colon is not a parameter: quoted strings ('...'
// with '' escapes), quoted identifiers ("..."), -- and /* */ comments, PostgreSQL
// dollar-quoted bodies ($tag$...$tag$) and "::" casts. "\:" stands for a literal colon.
#include "alchemy/core/text.hpp"

#include "alchemy/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace alchemy::detail {
namespace {

bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

/// Index just past the end of a quoted run starting at `i` (sql[i] is the quote).
std::size_t skip_quoted(std::string_view sql, std::size_t i, char quote) {
    for (++i; i < sql.size(); ++i) {
        if (sql[i] == quote) {
            if (i + 1 < sql.size() && sql[i + 1] == quote) {
                ++i;  // doubled quote inside the run
                continue;
            }
            return i + 1;
        }
    }
    return sql.size();
}

/// If a dollar-quote tag ($$ or $tag$) starts at `i`, the index past its closing tag.
std::optional<std::size_t> skip_dollar_quoted(std::string_view sql, std::size_t i) {
    std::size_t j = i + 1;
    while (j < sql.size() && is_name_char(sql[j])) ++j;
    if (j >= sql.size() || sql[j] != '$') return std::nullopt;
    if (j > i + 1 && !is_name_start(sql[i + 1])) return std::nullopt;  // $1 is a placeholder
    const auto tag = sql.substr(i, j - i + 1);
    const auto end = sql.find(tag, j + 1);
    return end == std::string_view::npos ? sql.size() : end + tag.size();
}

}  // namespace

CompiledText compile_text(std::string_view sql, const Dialect& dialect) {
    CompiledText out;
    out.dialect = &dialect;
    out.sql.reserve(sql.size() + 8);
    std::size_t i = 0;
    auto copy_until = [&](std::size_t end) {
        out.sql.append(sql.substr(i, end - i));
        i = end;
    };
    while (i < sql.size()) {
        const char c = sql[i];
        if (c == '\'' || c == '"') {
            copy_until(skip_quoted(sql, i, c));
        } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            const auto end = sql.find('\n', i);
            copy_until(end == std::string_view::npos ? sql.size() : end);
        } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
            const auto end = sql.find("*/", i + 2);
            copy_until(end == std::string_view::npos ? sql.size() : end + 2);
        } else if (c == '$') {
            if (auto end = skip_dollar_quoted(sql, i))
                copy_until(*end);
            else
                copy_until(i + 1);
        } else if (c == '\\' && i + 1 < sql.size() && sql[i + 1] == ':') {
            out.sql += ':';
            i += 2;
        } else if (c == ':' && i + 1 < sql.size() && sql[i + 1] == ':') {
            copy_until(i + 2);  // a PostgreSQL cast, not a parameter
        } else if (c == ':' && i + 1 < sql.size() && is_name_start(sql[i + 1])) {
            std::size_t end = i + 1;
            while (end < sql.size() && is_name_char(sql[end])) ++end;
            out.names.emplace_back(sql.substr(i + 1, end - i - 1));
            dialect.append_placeholder(out.sql, static_cast<int>(out.names.size()));
            i = end;
        } else {
            out.sql += c;
            ++i;
        }
    }
    return out;
}

std::vector<Param> order_text_params(const CompiledText& compiled,
                                     const std::vector<std::pair<std::string, Value>>& binds) {
    std::vector<Param> params;
    params.reserve(compiled.names.size());
    for (const auto& name : compiled.names) {
        auto it = std::find_if(binds.begin(), binds.end(),
                               [&](const auto& b) { return b.first == name; });
        if (it == binds.end())
            throw ArgumentError(fmt::format(
                "alchemy: text() has a placeholder ':{}' but no value was bound to it; "
                "call .bind(\"{}\", value)",
                name, name));
        params.push_back(it->second.param());
    }
    for (const auto& [name, value] : binds) {
        if (std::find(compiled.names.begin(), compiled.names.end(), name) ==
            compiled.names.end())
            throw ArgumentError(fmt::format(
                "alchemy: a value was bound to '{}' but the text() SQL has no ':{}' "
                "placeholder",
                name, name));
    }
    return params;
}

}  // namespace alchemy::detail
