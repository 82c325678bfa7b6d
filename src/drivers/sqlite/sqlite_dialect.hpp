// How SQLite spells SQL: "?" placeholders, isolation through PRAGMA read_uncommitted, and
// where its SQL differs from the standard's.
#pragma once

#include "alchemy/core/dialect.hpp"
#include "core/sql_lexer.hpp"

namespace alchemy::detail::sqlite {

/// The characters of an unquoted name or keyword, as SQLite's tokenizer reads them:
/// besides ASCII letters, digits and '_', '$' and every byte from 0x80 up, so that
/// `bücher` is one name (its UTF-8 bytes are letters to SQLite, whatever they encode).
inline bool is_identifier_char(char c) noexcept {
    return is_name_char(c) || c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

class SqliteDialect final : public Dialect {
public:
    std::string_view name() const noexcept override { return "sqlite"; }
    void append_placeholder(std::string& out, int index) const override;
    std::string begin_sql(std::optional<IsolationLevel> level) const override;
    std::string connection_isolation_sql(IsolationLevel level) const override;
    std::optional<IsolationLevel> default_isolation_level() const noexcept override {
        return IsolationLevel::serializable;
    }
    TransactionSql transaction_sql(const TransactionOptions& options,
                                   std::optional<IsolationLevel> connection_level) const override;
    /// RETURNING exists since SQLite 3.35; we require 3.40.
    bool supports_returning() const noexcept override { return true; }
    UpsertSyntax upsert_syntax() const noexcept override { return UpsertSyntax::on_conflict; }
    /// SQLite's default SQLITE_MAX_VARIABLE_NUMBER since 3.32. Builds may allow more
    /// (Debian 12's allows 250000), but a program may link any build.
    std::size_t parameter_limit() const noexcept override { return 32766; }
    /// SQLite takes OFFSET only after a LIMIT.
    std::string_view limit_before_lone_offset() const noexcept override { return " LIMIT -1"; }
    bool upsert_select_needs_where() const noexcept override { return true; }
    std::string_view operator_spelling(std::string_view op) const noexcept override;
    std::string_view cast_type(std::string_view portable) const noexcept override;
    /// SQLite types each value by itself, and its casts convert by affinity (a DATETIME
    /// cast turns timestamp text into a number).
    bool values_need_casts() const noexcept override { return false; }
    /// UPDATE ... FROM exists since SQLite 3.33. A batch of 1 000 rows takes 0.86× the
    /// time of stepping the single-row UPDATE for each.
    ManyRowUpdates many_row_updates() const noexcept override { return ManyRowUpdates::full_batches; }
    bool runs_statements_while_streaming() const noexcept override { return true; }
    /// BOOLEAN has numeric affinity: CAST('true' AS BOOLEAN) is 0.
    bool casts_text_to_boolean() const noexcept override { return false; }
    KeyNumberingSql key_numbering_sql(std::string_view table, std::string_view column) const override;
    /// A comment ends at its first */, a -- comment at a line feed only; no E'' strings;
    /// $name is a parameter, not a quote; a trigger's body holds statements; `name` and
    /// [name] are quoted names.
    SqlLexicon lexicon() const noexcept override {
        return {.nested_comments = false,
                .escape_strings = false,
                .dollar_quotes = false,
                .nested_statements = false,
                .trigger_bodies = true,
                .line_comment_ends = "\n",
                .backtick_and_bracket_names = true};
    }
};

}  // namespace alchemy::detail::sqlite
