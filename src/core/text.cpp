// Turns ":name" placeholders of text() into the dialect's placeholders.
//
// Only code is searched (src/core/sql_lexer.hpp): strings, quoted identifiers, comments
// and dollar-quoted bodies are copied as they are. In code, "::" is a PostgreSQL cast
// and "\:" stands for a literal colon.
#include "alchemy/core/text.hpp"

#include "alchemy/core/error.hpp"
#include "core/sql_lexer.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace alchemy::detail {
namespace {

/// Appends a code span to out.sql with its parameters replaced.
void compile_code(std::string_view code, CompiledText& out) {
    std::size_t i = 0;
    while (i < code.size()) {
        const char c = code[i];
        const char next = i + 1 < code.size() ? code[i + 1] : '\0';
        if (c == '\\' && next == ':') {
            out.sql += ':';
            i += 2;
        } else if (c == ':' && next == ':') {
            out.sql += "::";  // a PostgreSQL cast, not a parameter
            i += 2;
        } else if (c == ':' && is_name_start(next)) {
            std::size_t end = i + 1;
            while (end < code.size() && is_name_char(code[end])) ++end;
            out.names.emplace_back(code.substr(i + 1, end - i - 1));
            out.dialect->append_placeholder(out.sql, static_cast<int>(out.names.size()));
            i = end;
        } else {
            out.sql += c;
            ++i;
        }
    }
}

}  // namespace

CompiledText compile_text(std::string_view sql, const Dialect& dialect) {
    CompiledText out;
    out.dialect = &dialect;
    out.sql.reserve(sql.size() + 8);
    for (const auto& span : lex_sql(sql, dialect.lexicon())) {
        const auto text = sql.substr(span.begin, span.end - span.begin);
        if (span.kind == SqlSpanKind::code) compile_code(text, out);
        else out.sql.append(text);
    }
    return out;
}

CompiledTextMemo::CompiledTextMemo(const CompiledTextMemo& other) {
    const std::lock_guard lock(other.mutex_);
    text_ = other.text_;
}

CompiledTextMemo& CompiledTextMemo::operator=(const CompiledTextMemo& other) {
    if (this != &other) {
        std::shared_ptr<const CompiledText> text;
        {
            const std::lock_guard lock(other.mutex_);
            text = other.text_;
        }
        const std::lock_guard lock(mutex_);
        text_ = std::move(text);
    }
    return *this;
}

std::shared_ptr<const CompiledText> CompiledTextMemo::get(std::string_view sql,
                                                          const Dialect& dialect) const {
    {
        const std::lock_guard lock(mutex_);
        if (text_ && text_->dialect == &dialect) return text_;
    }
    // Compiled outside the lock: two threads may both compile, and either result is right.
    auto text = std::make_shared<const CompiledText>(compile_text(sql, dialect));
    const std::lock_guard lock(mutex_);
    text_ = text;
    return text;
}

std::vector<Param> order_text_params(const CompiledText& compiled,
                                     const std::vector<std::pair<std::string, Value>>& binds) {
    std::vector<Param> params;
    params.reserve(compiled.names.size());
    for (const auto& name : compiled.names) {
        auto it = std::find_if(binds.begin(), binds.end(), [&](const auto& b) { return b.first == name; });
        if (it == binds.end())
            throw ArgumentError(
                fmt::format("alchemy: text() has a placeholder ':{}' but no value was bound to it; "
                            "call .bind(\"{}\", value)",
                            name, name));
        params.push_back(it->second.param());
    }
    for (const auto& [name, value] : binds) {
        if (std::find(compiled.names.begin(), compiled.names.end(), name) == compiled.names.end())
            throw ArgumentError(
                fmt::format("alchemy: a value was bound to '{}' but the text() SQL has no ':{}' "
                            "placeholder",
                            name, name));
    }
    return params;
}

}  // namespace alchemy::detail
