// LIKE patterns bound as values: the checks that make one pattern mean the same on
// PostgreSQL and SQLite, and the escaping behind sa::autoescape.
#pragma once

#include "alchemy/core/param.hpp"

#include <span>
#include <string>
#include <string_view>

namespace alchemy::detail {

/// `text` with `%`, `_` and `escape` each preceded by `escape`: a LIKE pattern that
/// matches `text` only.
std::string escape_like(std::string_view text, char escape);

/// Throws ArgumentError unless `escape` is a single ASCII character other than NUL, which
/// both backends accept as ESCAPE.
void check_like_escape(char escape);

/// Throws DataError if the pattern bound as `params` (one text value; other shapes, such as
/// a column, are not checked) holds a NUL byte, which SQLite takes for the pattern's end,
/// or ends in an unpaired `escape`, which PostgreSQL refuses and SQLite matches nothing with.
void check_like_pattern(std::span<const Param> params, char escape);

}  // namespace alchemy::detail
