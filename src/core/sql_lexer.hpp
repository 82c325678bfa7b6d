// Where a piece of SQL text is code and where it is a string, a quoted identifier, a
// dollar-quoted body or a comment, by the lexical rules of a dialect (SqlLexicon in
// include/alchemy/core/dialect.hpp: PostgreSQL's by default). The one SQL scanner: text()
// finds its ":name" parameters in the code spans (src/core/text.cpp), revision files split
// statements at the code's ';' (src/migrate/revision.cpp).
#pragma once

#include "alchemy/core/dialect.hpp"

#include <cstddef>
#include <string_view>
#include <vector>

namespace alchemy::detail {

enum class SqlSpanKind {
    code,               ///< anything else: keywords, names, operators, whitespace, $1
    string,             ///< '...' with '' escapes; E'...' also with backslash escapes
    quoted_identifier,  ///< "..." with "" escapes; where the lexicon says, `...` and [...]
    dollar_quoted,      ///< $$...$$ or $tag$...$tag$
    line_comment,       ///< -- up to, not including, the end of the line (as the lexicon ends it)
    block_comment,      ///< /* ... */, nested where the lexicon says so
};

/// The characters a name (a ":name" parameter, a $tag$) starts with and holds.
inline bool is_name_start(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool is_name_char(char c) noexcept { return is_name_start(c) || (c >= '0' && c <= '9'); }
/// White space between SQL tokens, in any locale.
inline bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// Characters [begin, end) of the text.
struct SqlSpan {
    SqlSpanKind kind = SqlSpanKind::code;
    std::size_t begin = 0;
    std::size_t end = 0;
    bool unterminated = false;  ///< a string, name, dollar quote or comment never closed
};

/// The spans of `sql`, in order, covering all of it with no gap; code spans are as long
/// as they can be. An unterminated string, identifier, dollar quote or comment runs to
/// the end of the text, marked unterminated.
std::vector<SqlSpan> lex_sql(std::string_view sql, SqlLexicon lexicon = {});

/// The offsets of the ';' that end the statements of `sql`, whose spans lex_sql() gave:
/// each ';' in code, but those inside a statement (SqlLexicon::nested_statements and
/// trigger_bodies say where a statement holds statements).
std::vector<std::size_t> statement_ends(std::string_view sql, const std::vector<SqlSpan>& spans,
                                        SqlLexicon lexicon = {});

/// The first `count` words (or fewer) of each statement of `sql`, statements ending as
/// statement_ends() says: {{"rollback", "to"}} for "/* undo */ rollback to s1;". Comments are
/// skipped; a string or quoted name ends a statement's words. Statements without code are
/// left out.
std::vector<std::vector<std::string_view>> statement_leading_words(std::string_view sql, std::size_t count,
                                                                   SqlLexicon lexicon = {});

}  // namespace alchemy::detail
