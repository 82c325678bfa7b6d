// Where a piece of SQL text is code and where it is a string, a quoted identifier, a
// dollar-quoted body or a comment, by PostgreSQL's lexical rules (a superset of what
// SQLite writes). The one SQL scanner: text() finds its ":name" parameters in the code
// spans (src/core/text.cpp), revision files split statements at the code's ';'
// (src/migrate/revision.cpp).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace alchemy::detail {

enum class SqlSpanKind {
    code,               ///< anything else: keywords, names, operators, whitespace, $1
    string,             ///< '...' with '' escapes; E'...' also with backslash escapes
    quoted_identifier,  ///< "..." with "" escapes
    dollar_quoted,      ///< $$...$$ or $tag$...$tag$
    line_comment,       ///< -- up to, not including, the end of the line
    block_comment,      ///< /* ... */, nested as PostgreSQL nests them
};

/// Characters [begin, end) of the text.
struct SqlSpan {
    SqlSpanKind kind = SqlSpanKind::code;
    std::size_t begin = 0;
    std::size_t end = 0;
};

/// The spans of `sql`, in order, covering all of it with no gap; code spans are as long
/// as they can be. An unterminated string, identifier, dollar quote or comment runs to
/// the end of the text.
std::vector<SqlSpan> lex_sql(std::string_view sql);

}  // namespace alchemy::detail
