// The SQL scanner of sql_lexer.hpp.
#include "core/sql_lexer.hpp"

#include "core/ascii.hpp"

#include <array>
#include <optional>
#include <utility>

namespace alchemy::detail {
namespace {

/// PostgreSQL identifiers may hold '$' after their first character.
bool is_identifier_char(char c) { return is_name_char(c) || c == '$'; }

class Lexer {
public:
    Lexer(std::string_view sql, SqlLexicon lexicon) : sql_(sql), lexicon_(lexicon) {}

    std::vector<SqlSpan> run() {
        std::size_t code_begin = 0;
        while (i_ < sql_.size()) {
            const std::size_t begin = i_;
            if (const auto kind = skip_non_code()) {
                if (begin > code_begin) spans_.push_back({SqlSpanKind::code, code_begin, begin});
                spans_.push_back({*kind, begin, i_, !closed_});
                code_begin = i_;
            } else {
                ++i_;
            }
        }
        if (sql_.size() > code_begin) spans_.push_back({SqlSpanKind::code, code_begin, sql_.size()});
        return std::move(spans_);
    }

private:
    char at(std::size_t k) const { return k < sql_.size() ? sql_[k] : '\0'; }
    bool after_identifier() const { return i_ > 0 && is_identifier_char(sql_[i_ - 1]); }

    /// If a run that is not code starts at i_, moves i_ past it and says what it is.
    std::optional<SqlSpanKind> skip_non_code() {
        closed_ = true;
        const char c = sql_[i_];
        if (c == '\'') {
            skip_quoted('\'', false);
            return SqlSpanKind::string;
        }
        if (c == '"' || (lexicon_.backtick_and_bracket_names && c == '`')) {
            skip_quoted(c, false);
            return SqlSpanKind::quoted_identifier;
        }
        if (lexicon_.backtick_and_bracket_names && c == '[') {
            const auto close = sql_.find(']', i_);
            closed_ = close != std::string_view::npos;
            i_ = closed_ ? close + 1 : sql_.size();
            return SqlSpanKind::quoted_identifier;
        }
        if (lexicon_.escape_strings && (c == 'E' || c == 'e') && at(i_ + 1) == '\'' && !after_identifier()) {
            ++i_;
            skip_quoted('\'', true);
            return SqlSpanKind::string;
        }
        if (c == '-' && at(i_ + 1) == '-') {
            const auto eol = sql_.find_first_of(lexicon_.line_comment_ends, i_);
            i_ = eol == std::string_view::npos ? sql_.size() : eol;
            return SqlSpanKind::line_comment;
        }
        if (c == '/' && at(i_ + 1) == '*') {
            skip_block_comment();
            return SqlSpanKind::block_comment;
        }
        if (lexicon_.dollar_quotes && c == '$' && !after_identifier() && skip_dollar_quoted())
            return SqlSpanKind::dollar_quoted;
        return std::nullopt;
    }

    /// i_ is at the opening quote.
    void skip_quoted(char quote, bool backslash_escapes) {
        for (++i_; i_ < sql_.size(); ++i_) {
            if (backslash_escapes && sql_[i_] == '\\') {
                ++i_;  // the escaped character, whatever it is
            } else if (sql_[i_] == quote) {
                if (at(i_ + 1) != quote) {
                    ++i_;
                    return;
                }
                ++i_;  // a doubled quote stands for itself
            }
        }
        i_ = sql_.size();
        closed_ = false;
    }

    void skip_block_comment() {
        int depth = 0;
        while (i_ < sql_.size()) {
            if (sql_[i_] == '/' && at(i_ + 1) == '*' && (depth == 0 || lexicon_.nested_comments)) {
                ++depth;
                i_ += 2;
            } else if (sql_[i_] == '*' && at(i_ + 1) == '/') {
                i_ += 2;
                if (--depth == 0) return;
            } else {
                ++i_;
            }
        }
        closed_ = false;
    }

    /// $$ or $tag$ (tag a name); "$1" is a parameter and stays code.
    bool skip_dollar_quoted() {
        std::size_t j = i_ + 1;
        if (is_name_start(at(j)))
            while (is_name_char(at(j))) ++j;
        if (at(j) != '$') return false;
        const auto tag = sql_.substr(i_, j - i_ + 1);
        const auto close = sql_.find(tag, j + 1);
        closed_ = close != std::string_view::npos;
        i_ = closed_ ? close + tag.size() : sql_.size();
        return true;
    }

    std::string_view sql_;
    SqlLexicon lexicon_;
    std::size_t i_ = 0;
    bool closed_ = true;  ///< whether the run skip_non_code() skipped last was closed
    std::vector<SqlSpan> spans_;
};

/// Follows the tokens of one statement to tell whether a ';' ends it. Two dialects let a
/// statement hold statements of its own, each closed by ';':
/// - SQLite, a trigger: CREATE [TEMP|TEMPORARY] TRIGGER ... BEGIN a; b; END; ends at a ';'
///   after an END that follows a ';', the states of sqlite3_complete();
/// - PostgreSQL, parentheses (a rule's actions) and the BEGIN ATOMIC ... END body of
///   CREATE [OR REPLACE] FUNCTION or PROCEDURE, counting BEGIN, CASE and END outside
///   parentheses, as psql does.
class StatementEnd {
public:
    explicit StatementEnd(SqlLexicon lexicon) : lexicon_(lexicon) {}

    void word(std::string_view word) {
        if (words_ < leading_.size()) leading_[words_] = word;
        ++words_;
        routine_ = routine_ || starts_routine();
        if (routine_ && parentheses_ == 0) {
            if (is(word, "begin") || (is(word, "case") && blocks_ > 0)) ++blocks_;
            else if (is(word, "end") && blocks_ > 0) --blocks_;
        }
        switch (trigger_) {
        case Trigger::start: trigger_ = is(word, "create") ? Trigger::create : Trigger::none; break;
        case Trigger::create:
            if (is(word, "trigger")) trigger_ = Trigger::body;
            else if (!is(word, "temp") && !is(word, "temporary")) trigger_ = Trigger::none;
            break;
        case Trigger::body_semicolon: trigger_ = is(word, "end") ? Trigger::body_end : Trigger::body; break;
        case Trigger::body_end: trigger_ = Trigger::body; break;
        case Trigger::body:
        case Trigger::none: break;
        }
    }

    /// A token that is not a word: a string, a quoted name, an operator, a parenthesis.
    void other(char c) {
        if (c == '(') ++parentheses_;
        else if (c == ')' && parentheses_ > 0) --parentheses_;
        if (trigger_ == Trigger::start || trigger_ == Trigger::create) trigger_ = Trigger::none;
        else if (trigger_ == Trigger::body_semicolon || trigger_ == Trigger::body_end)
            trigger_ = Trigger::body;
    }

    /// A ';' in code: whether it ends the statement, which then starts over.
    bool semicolon() {
        if (lexicon_.trigger_bodies && (trigger_ == Trigger::body || trigger_ == Trigger::body_semicolon)) {
            trigger_ = Trigger::body_semicolon;
            return false;
        }
        if (lexicon_.nested_statements && (parentheses_ > 0 || blocks_ > 0)) return false;
        *this = StatementEnd(lexicon_);
        return true;
    }

private:
    enum class Trigger { start, create, body, body_semicolon, body_end, none };

    static bool is(std::string_view word, std::string_view keyword) {
        return equals_ignoring_ascii_case(word, keyword);
    }
    bool starts_routine() const {
        const auto routine = [](std::string_view word) {
            return is(word, "function") || is(word, "procedure");
        };
        return is(leading_[0], "create") &&
               (routine(leading_[1]) ||
                (is(leading_[1], "or") && is(leading_[2], "replace") && routine(leading_[3])));
    }

    SqlLexicon lexicon_;
    std::array<std::string_view, 4> leading_{};
    std::size_t words_ = 0;
    bool routine_ = false;
    int parentheses_ = 0;
    int blocks_ = 0;
    Trigger trigger_ = Trigger::start;
};

}  // namespace

std::vector<SqlSpan> lex_sql(std::string_view sql, SqlLexicon lexicon) { return Lexer(sql, lexicon).run(); }

std::vector<std::size_t> statement_ends(std::string_view sql, const std::vector<SqlSpan>& spans,
                                        SqlLexicon lexicon) {
    std::vector<std::size_t> ends;
    StatementEnd statement(lexicon);
    for (const auto& span : spans) {
        if (span.kind == SqlSpanKind::line_comment || span.kind == SqlSpanKind::block_comment) continue;
        if (span.kind != SqlSpanKind::code) {
            statement.other(sql[span.begin]);
            continue;
        }
        for (auto i = span.begin; i < span.end;) {
            if (is_name_char(sql[i])) {
                auto end = i;
                while (end < span.end && is_name_char(sql[end])) ++end;
                statement.word(sql.substr(i, end - i));
                i = end;
                continue;
            }
            if (sql[i] == ';') {
                if (statement.semicolon()) ends.push_back(i);
            } else if (!is_space(sql[i])) {
                statement.other(sql[i]);
            }
            ++i;
        }
    }
    return ends;
}

std::vector<std::vector<std::string_view>> statement_leading_words(std::string_view sql, std::size_t count,
                                                                   SqlLexicon lexicon) {
    const auto spans = lex_sql(sql, lexicon);
    const auto ends = statement_ends(sql, spans, lexicon);
    auto next_end = ends.begin();
    std::vector<std::vector<std::string_view>> statements;
    bool in_statement = false;  // code of the current statement seen
    bool words_ended = false;   // a string or quoted name came: no more words for it
    const auto start_statement = [&] {
        if (!in_statement) statements.emplace_back();
        in_statement = true;
    };
    for (const auto& span : spans) {
        if (span.kind == SqlSpanKind::line_comment || span.kind == SqlSpanKind::block_comment) continue;
        if (span.kind != SqlSpanKind::code) {
            start_statement();
            words_ended = true;
            continue;
        }
        for (auto i = span.begin; i < span.end;) {
            const char c = sql[i];
            if (next_end != ends.end() && i == *next_end) {
                ++next_end;
                in_statement = false;
                words_ended = false;
                ++i;
            } else if (is_space(c)) {
                ++i;
            } else {
                start_statement();
                auto end = i;
                while (end < span.end && is_name_char(sql[end])) ++end;
                if (end ==
                    i) {  // an operator, a ';' inside the statement or a number's sign: words stop there
                    words_ended = true;
                    ++i;
                    continue;
                }
                if (!words_ended && statements.back().size() < count)
                    statements.back().push_back(sql.substr(i, end - i));
                i = end;
            }
        }
    }
    return statements;
}

}  // namespace alchemy::detail
