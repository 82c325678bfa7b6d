// The one SQL scanner (src/core/sql_lexer.hpp) that text() and revision files share:
// which parts of a text are code and which are strings, identifiers, dollar quotes and
// comments. text_test.cpp and revision_test.cpp check both users on the same cases.
#include "core/sql_lexer.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using alchemy::detail::lex_sql;
using Kind = alchemy::detail::SqlSpanKind;
using Spans = std::vector<std::pair<Kind, std::string>>;

alchemy::SqlLexicon sqlite() {
    return alchemy::driver_for(alchemy::make_url("sqlite://")).dialect().lexicon();
}
alchemy::SqlLexicon postgresql() {
    return alchemy::driver_for(alchemy::make_url("postgresql://h/db")).dialect().lexicon();
}

/// The spans of `sql` with their text; fails when they do not cover it in order.
Spans spans_of(std::string_view sql, alchemy::SqlLexicon lexicon = {}) {
    Spans out;
    std::size_t expected_begin = 0;
    for (const auto& span : lex_sql(sql, lexicon)) {
        CHECK(span.begin == expected_begin);
        CHECK(span.end > span.begin);
        expected_begin = span.end;
        out.emplace_back(span.kind, std::string(sql.substr(span.begin, span.end - span.begin)));
    }
    CHECK(expected_begin == sql.size());
    return out;
}

}  // namespace

TEST_CASE("lex_sql returns no span for an empty text and one code span for plain code", "[lexer]") {
    CHECK(spans_of("").empty());
    CHECK(spans_of("SELECT a::text, $1 FROM t") == Spans{{Kind::code, "SELECT a::text, $1 FROM t"}});
}

TEST_CASE("lex_sql finds strings with doubled quotes and E strings with backslash escapes", "[lexer]") {
    CHECK(spans_of("a 'it''s' b") ==
          Spans{{Kind::code, "a "}, {Kind::string, "'it''s'"}, {Kind::code, " b"}});
    CHECK(spans_of(R"(x E'it\'s; :y' z)") ==
          Spans{{Kind::code, "x "}, {Kind::string, R"(E'it\'s; :y')"}, {Kind::code, " z"}});
    CHECK(spans_of(R"(e'\\')") == Spans{{Kind::string, R"(e'\\')"}});
    // Outside E'...' a backslash is an ordinary character; "name'" is no E string.
    CHECK(spans_of(R"('a\' b)") == Spans{{Kind::string, R"('a\')"}, {Kind::code, " b"}});
    CHECK(spans_of("typE'x'") == Spans{{Kind::code, "typE"}, {Kind::string, "'x'"}});
}

TEST_CASE("lex_sql finds quoted identifiers", "[lexer]") {
    CHECK(spans_of(R"(SELECT "a""b;c" FROM t)") ==
          Spans{{Kind::code, "SELECT "}, {Kind::quoted_identifier, R"("a""b;c")"}, {Kind::code, " FROM t"}});
}

TEST_CASE("lex_sql finds line comments without their newline and nested block comments", "[lexer]") {
    CHECK(spans_of("a -- b; c\nd") ==
          Spans{{Kind::code, "a "}, {Kind::line_comment, "-- b; c"}, {Kind::code, "\nd"}});
    CHECK(spans_of("a -- end") == Spans{{Kind::code, "a "}, {Kind::line_comment, "-- end"}});
    CHECK(spans_of("a /* x /* y */ z */ b") ==
          Spans{{Kind::code, "a "}, {Kind::block_comment, "/* x /* y */ z */"}, {Kind::code, " b"}});
    CHECK(spans_of("1 - -2") == Spans{{Kind::code, "1 - -2"}});
}

TEST_CASE("lex_sql finds dollar quotes but not $1 parameters or $ inside identifiers", "[lexer]") {
    CHECK(spans_of("AS $$ a; 'b $$ ;") ==
          Spans{{Kind::code, "AS "}, {Kind::dollar_quoted, "$$ a; 'b $$"}, {Kind::code, " ;"}});
    CHECK(spans_of("DO $fn$ $$ $fn$") == Spans{{Kind::code, "DO "}, {Kind::dollar_quoted, "$fn$ $$ $fn$"}});
    CHECK(spans_of("SELECT $1, a$b$") == Spans{{Kind::code, "SELECT $1, a$b$"}});
}

TEST_CASE("lex_sql runs an unterminated string, quote or comment to the end of the text", "[lexer]") {
    CHECK(spans_of("a 'b") == Spans{{Kind::code, "a "}, {Kind::string, "'b"}});
    CHECK(spans_of("a E'b\\") == Spans{{Kind::code, "a "}, {Kind::string, "E'b\\"}});
    CHECK(spans_of("a \"b") == Spans{{Kind::code, "a "}, {Kind::quoted_identifier, "\"b"}});
    CHECK(spans_of("a /* /* */") == Spans{{Kind::code, "a "}, {Kind::block_comment, "/* /* */"}});
    CHECK(spans_of("a $q$ b") == Spans{{Kind::code, "a "}, {Kind::dollar_quoted, "$q$ b"}});
}

TEST_CASE(
    "lex_sql by SQLite's lexicon ends a comment at its first */ and has no E'' strings or dollar quotes",
    "[lexer]") {
    const alchemy::SqlLexicon sqlite{
        .nested_comments = false, .escape_strings = false, .dollar_quotes = false};
    CHECK(spans_of("a /* b /* c */ d */", sqlite) ==
          Spans{{Kind::code, "a "}, {Kind::block_comment, "/* b /* c */"}, {Kind::code, " d */"}});
    CHECK(spans_of("E'x\\' y", sqlite) ==
          Spans{{Kind::code, "E"}, {Kind::string, "'x\\'"}, {Kind::code, " y"}});
    CHECK(spans_of("$a$ b $a$", sqlite) == Spans{{Kind::code, "$a$ b $a$"}});
}

TEST_CASE("lex_sql ends a line comment at a carriage return on PostgreSQL, at a line feed only on SQLite",
          "[lexer]") {
    // PostgreSQL's scanner reads the text after a lone \r as code, SQLite's as comment.
    CHECK(spans_of("a -- b\rc; d\ne", postgresql()) ==
          Spans{{Kind::code, "a "}, {Kind::line_comment, "-- b"}, {Kind::code, "\rc; d\ne"}});
    CHECK(spans_of("a -- b\rc; d\ne", sqlite()) ==
          Spans{{Kind::code, "a "}, {Kind::line_comment, "-- b\rc; d"}, {Kind::code, "\ne"}});
    CHECK(spans_of("a -- b\r\nc", postgresql()) ==
          Spans{{Kind::code, "a "}, {Kind::line_comment, "-- b"}, {Kind::code, "\r\nc"}});
}

TEST_CASE("lex_sql by SQLite's lexicon finds names quoted with backticks and brackets", "[lexer]") {
    CHECK(spans_of("SELECT `it's`, [a'b], `x``y;z` FROM t", sqlite()) ==
          Spans{{Kind::code, "SELECT "},
                {Kind::quoted_identifier, "`it's`"},
                {Kind::code, ", "},
                {Kind::quoted_identifier, "[a'b]"},
                {Kind::code, ", "},
                {Kind::quoted_identifier, "`x``y;z`"},
                {Kind::code, " FROM t"}});
    // A bracket has no escape: the first ] ends the name.
    CHECK(spans_of("[a]]b", sqlite()) == Spans{{Kind::quoted_identifier, "[a]"}, {Kind::code, "]b"}});
    CHECK(spans_of("a `b", sqlite()) == Spans{{Kind::code, "a "}, {Kind::quoted_identifier, "`b"}});
    CHECK(spans_of("a [b", sqlite()) == Spans{{Kind::code, "a "}, {Kind::quoted_identifier, "[b"}});
    // PostgreSQL has neither: the quote inside starts a string.
    CHECK(spans_of("SELECT `it's`, [a'b]", postgresql()) ==
          Spans{{Kind::code, "SELECT `it"}, {Kind::string, "'s`, [a'"}, {Kind::code, "b]"}});
}
