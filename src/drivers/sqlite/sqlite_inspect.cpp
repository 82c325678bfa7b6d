// Reads an SQLite schema: facts from the pragmas (table_xinfo, index_list, index_info,
// foreign_key_list), constraint names and CHECK expressions from the CREATE TABLE text
// in sqlite_master, which SQLite keeps as written (ALTER TABLE edits it in place).
//
// How SQLite's answers map onto the schema types:
// - Types: every integer width is declared INTEGER and every floating type REAL, so
//   any integer type reads as TypeKind::integer and any floating type as TypeKind::single_precision;
//   compare such columns by their SQLite spelling. BOOLEAN -> boolean, TEXT -> text,
//   VARCHAR(n)/CHAR(n) -> text with length n, BLOB -> blob, DATETIME/TIMESTAMP ->
//   timestamp, DATE -> date; other spellings follow SQLite's affinity rules (INT ->
//   integer; CHAR, CLOB, TEXT -> text; BLOB or none -> blob; anything else -> real).
// - server_default is the DEFAULT clause as written, without parentheses around the
//   whole expression: SQLite itself reports DEFAULT (1 + 2) as 1 + 2, and any further
//   enclosing pairs are removed as well.
// - A single-column primary key declared exactly INTEGER is the rowid: reported
//   autoincrement and NOT NULL (it cannot hold NULL), whatever the model asked for.
// - A CHECK expression is the text between its parentheses, exactly as written.
// - Constraints declared without a name get the naming convention's name (pk_, uq_,
//   fk_); an unnamed CHECK gets ck_<table>_<column> when written on a column and
//   ck_<table>_<n> (n counting unnamed table CHECKs from 1) when written on the table.
#include "core/ascii.hpp"
#include "drivers/sqlite/sqlite_dialect.hpp"
#include "drivers/sqlite/sqlite_migrate.hpp"
#include "migrate/inspect_backend.hpp"

#include "alchemy/schema/naming.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace alchemy::detail {
namespace {

// --- case-insensitive names --------------------------------------------------------

char ascii_upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// SQLite compares identifiers without regard to ASCII case.
bool same_name(std::string_view a, std::string_view b) noexcept { return equals_ignoring_ascii_case(a, b); }
bool same_names(const std::vector<std::string>& a, const std::vector<std::string>& b) noexcept {
    return std::ranges::equal(a, b, same_name);
}

std::string upper(std::string_view text) {
    std::string out(text);
    std::ranges::transform(out, out.begin(), ascii_upper);
    return out;
}

// --- a tokenizer for SQLite's CREATE TABLE text ------------------------------------

enum class TokenKind : std::uint8_t { word, quoted_identifier, string, punctuation };

struct Token {
    TokenKind kind;
    std::size_t begin;  ///< offsets into the SQL text
    std::size_t end;
};

// Returns the offset just past a quoted run that starts at `at` and ends with `close`;
// a doubled closing character stands for itself (except in [brackets]).
std::size_t skip_quoted(std::string_view sql, std::size_t at, char close, bool doubling) {
    std::size_t i = at + 1;
    while (i < sql.size()) {
        if (sql[i] != close) {
            ++i;
        } else if (doubling && i + 1 < sql.size() && sql[i + 1] == close) {
            i += 2;
        } else {
            return i + 1;
        }
    }
    return sql.size();
}

std::vector<Token> tokenize(std::string_view sql) {
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < sql.size()) {
        const char c = sql[i];
        const std::size_t start = i;
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (sql.substr(i, 2) == "--") {
            const auto eol = sql.find('\n', i);
            i = eol == std::string_view::npos ? sql.size() : eol + 1;
        } else if (sql.substr(i, 2) == "/*") {
            const auto close = sql.find("*/", i + 2);
            i = close == std::string_view::npos ? sql.size() : close + 2;
        } else if (c == '"' || c == '`') {
            i = skip_quoted(sql, i, c, true);
            tokens.push_back({TokenKind::quoted_identifier, start, i});
        } else if (c == '[') {
            i = skip_quoted(sql, i, ']', false);
            tokens.push_back({TokenKind::quoted_identifier, start, i});
        } else if (c == '\'') {
            i = skip_quoted(sql, i, '\'', true);
            tokens.push_back({TokenKind::string, start, i});
        } else if (sqlite::is_identifier_char(c)) {
            while (i < sql.size() && sqlite::is_identifier_char(sql[i])) ++i;
            tokens.push_back({TokenKind::word, start, i});
        } else {
            ++i;
            tokens.push_back({TokenKind::punctuation, start, i});
        }
    }
    return tokens;
}

/// A CREATE TABLE statement as tokens, with the helpers the parser needs.
class Statement {
public:
    explicit Statement(std::string_view sql) : sql_(sql), tokens_(tokenize(sql)) {}

    std::size_t size() const noexcept { return tokens_.size(); }
    std::string_view text(std::size_t t) const {
        return sql_.substr(tokens_[t].begin, tokens_[t].end - tokens_[t].begin);
    }
    bool is_keyword(std::size_t t, std::string_view keyword) const {
        return t < size() && tokens_[t].kind == TokenKind::word && same_name(text(t), keyword);
    }
    bool is_punctuation(std::size_t t, char c) const {
        return t < size() && tokens_[t].kind == TokenKind::punctuation && sql_[tokens_[t].begin] == c;
    }

    /// The name token `t` spells, without its quotes.
    std::string identifier(std::size_t t) const {
        if (t >= size()) return {};
        const auto raw = text(t);
        if (tokens_[t].kind != TokenKind::quoted_identifier || raw.size() < 2) return std::string(raw);
        const char close = raw.front() == '[' ? ']' : raw.front();
        std::string name;
        for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
            name += raw[i];
            if (raw[i] == close && close != ']' && raw[i + 1] == close) ++i;
        }
        return name;
    }

    /// The token closing the parenthesis opened at `open`, or size() if unbalanced.
    std::size_t closing(std::size_t open) const {
        int depth = 0;
        for (std::size_t t = open; t < size(); ++t) {
            if (is_punctuation(t, '(')) ++depth;
            if (is_punctuation(t, ')') && --depth == 0) return t;
        }
        return size();
    }

    /// The SQL between the parentheses at `open` and its closing token, as written.
    std::string inside(std::size_t open) const {
        const auto close = closing(open);
        const auto from = tokens_[open].end;
        const auto to = close < size() ? tokens_[close].begin : sql_.size();
        return std::string(sql_.substr(from, to - from));
    }

    /// Ranges [first, last) of the comma-separated items between the parentheses at
    /// `open`, commas inside nested parentheses not counting.
    std::vector<std::pair<std::size_t, std::size_t>> items(std::size_t open) const {
        std::vector<std::pair<std::size_t, std::size_t>> out;
        const auto close = closing(open);
        std::size_t first = open + 1;
        for (std::size_t t = open + 1; t < close; ++t) {
            if (is_punctuation(t, '(')) {
                t = closing(t);
            } else if (is_punctuation(t, ',')) {
                out.emplace_back(first, t);
                first = t + 1;
            }
        }
        if (first < close) out.emplace_back(first, close);
        return out;
    }

    /// The column names listed in the parentheses at `open` ("(a, b COLLATE x DESC)").
    std::vector<std::string> names(std::size_t open) const {
        std::vector<std::string> out;
        if (!is_punctuation(open, '(')) return out;
        for (const auto& [first, last] : items(open)) out.push_back(identifier(first));
        return out;
    }

private:
    std::string_view sql_;
    std::vector<Token> tokens_;
};

// --- constraint names and CHECKs from the CREATE TABLE text ------------------------

struct NamedColumns {
    std::optional<std::string> name;
    std::vector<std::string> columns;
};
struct NamedReference {
    std::optional<std::string> name;
    std::vector<std::string> columns;
    std::string referred_table;
};

struct ParsedTable {
    std::optional<std::string> primary_key_name;
    std::vector<NamedColumns> unique_constraints;
    std::vector<NamedReference> foreign_keys;
    std::vector<CheckConstraint> check_constraints;
    SqliteTableFacts facts;
};

class CreateTableParser {
public:
    CreateTableParser(std::string_view table, std::string_view sql) : table_(table), stmt_(sql) {}

    ParsedTable parse() {
        std::size_t open = 0;
        while (open < stmt_.size() && !stmt_.is_punctuation(open, '(')) ++open;
        if (open == stmt_.size()) return std::move(parsed_);
        for (const auto& [first, last] : stmt_.items(open)) {
            if (starts_table_constraint(first)) table_constraint(first, last);
            else column_definition(first, last);
        }
        for (auto t = stmt_.closing(open); t < stmt_.size(); ++t) {
            if (stmt_.is_keyword(t, "WITHOUT") && stmt_.is_keyword(t + 1, "ROWID"))
                parsed_.facts.without_rowid = true;
            if (stmt_.is_keyword(t, "STRICT")) parsed_.facts.strict = true;
        }
        auto& constraints = parsed_.facts.constraints;
        for (const auto& unique : parsed_.unique_constraints)
            constraints.push_back({unique.name.value_or(naming::unique(table_, unique.columns)),
                                   fmt::format("UNIQUE ({})", fmt::join(unique.columns, ", "))});
        for (const auto& check : parsed_.check_constraints)
            constraints.push_back({check.name, fmt::format("CHECK ({})", check.sql)});
        for (const auto& fk : parsed_.foreign_keys) {
            parsed_.facts.foreign_keys.push_back(fk.columns);
            constraints.push_back(
                {fk.name.value_or(naming::foreign_key(table_, fk.columns, fk.referred_table)),
                 fmt::format("FOREIGN KEY ({}) REFERENCES {}", fmt::join(fk.columns, ", "),
                             fk.referred_table)});
        }
        return std::move(parsed_);
    }

private:
    bool starts_table_constraint(std::size_t t) const {
        for (std::string_view keyword : {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})
            if (stmt_.is_keyword(t, keyword)) return true;
        return false;
    }

    void table_constraint(std::size_t t, std::size_t last) {
        std::optional<std::string> name;
        if (stmt_.is_keyword(t, "CONSTRAINT")) {
            name = stmt_.identifier(t + 1);
            t += 2;
        }
        if (stmt_.is_keyword(t, "PRIMARY")) {
            parsed_.primary_key_name = name;
            add_conflict("PRIMARY KEY", stmt_.names(t + 2), stmt_.closing(t + 2), last);
        } else if (stmt_.is_keyword(t, "UNIQUE")) {
            parsed_.unique_constraints.push_back({name, stmt_.names(t + 1)});
            add_conflict("UNIQUE", stmt_.names(t + 1), stmt_.closing(t + 1), last);
        } else if (stmt_.is_keyword(t, "CHECK") && stmt_.is_punctuation(t + 1, '(')) {
            if (!name) name = naming::check(table_, std::to_string(++unnamed_table_checks_));
            parsed_.check_constraints.push_back({*name, stmt_.inside(t + 1)});
        } else if (stmt_.is_keyword(t, "FOREIGN")) {
            // FOREIGN KEY (columns) REFERENCES table [(columns)] ...
            const auto columns_at = t + 2;
            const auto references = stmt_.closing(columns_at) + 1;
            if (references < last && stmt_.is_keyword(references, "REFERENCES")) {
                parsed_.foreign_keys.push_back(
                    {name, stmt_.names(columns_at), stmt_.identifier(references + 1)});
                if (deferred(references, last))
                    parsed_.facts.deferred_foreign_keys.push_back(stmt_.names(columns_at));
            }
        }
    }

    /// Records the PRIMARY KEY, UNIQUE or NOT NULL constraint `kind` over `columns`, whose
    /// conflict clause, if any, comes after token `t`, before its item ends at `last` or
    /// another constraint of the item begins.
    void add_conflict(std::string_view kind, const std::vector<std::string>& columns, std::size_t t,
                      std::size_t last) {
        auto& conflict = parsed_.facts.conflicts.emplace_back();
        conflict.constraint = fmt::format("{} ({})", kind, fmt::join(columns, ", "));
        for (++t; t < last; ++t) {
            if (stmt_.is_punctuation(t, '(')) t = stmt_.closing(t);
            for (std::string_view next : {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "REFERENCES", "DEFAULT",
                                          "COLLATE", "GENERATED", "AS", "NOT", "NULL"})
                if (stmt_.is_keyword(t, next)) return;
            if (stmt_.is_keyword(t, "ON") && stmt_.is_keyword(t + 1, "CONFLICT")) {
                const auto resolution = upper(stmt_.text(t + 2));
                if (resolution != "ABORT") conflict.resolution = resolution;
                return;
            }
        }
    }

    /// Whether the REFERENCES clause at `t` says DEFERRABLE INITIALLY DEFERRED before the
    /// next constraint of its item (ending at `last`). NOT DEFERRABLE, and DEFERRABLE
    /// INITIALLY IMMEDIATE, are what SQLite does anyway.
    bool deferred(std::size_t t, std::size_t last) const {
        for (++t; t < last; ++t) {
            for (std::string_view next : {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "REFERENCES", "DEFAULT",
                                          "COLLATE", "GENERATED", "AS", "NULL"})
                if (stmt_.is_keyword(t, next)) return false;
            if (stmt_.is_keyword(t, "DEFERRABLE") && !stmt_.is_keyword(t - 1, "NOT"))
                return stmt_.is_keyword(t + 1, "INITIALLY") && stmt_.is_keyword(t + 2, "DEFERRED");
        }
        return false;
    }

    // A column constraint may be named ("CONSTRAINT x CHECK (...)"); the name belongs to
    // the constraint that follows it and to nothing after that.
    void column_definition(std::size_t first, std::size_t last) {
        const auto column = stmt_.identifier(first);
        auto& facts = parsed_.facts.columns.emplace_back();
        facts.name = column;
        std::optional<std::string> name;
        for (auto t = first + 1; t < last; ++t) {
            if (stmt_.is_keyword(t, "COLLATE")) facts.collation = stmt_.identifier(t + 1);
            if (stmt_.is_keyword(t, "AUTOINCREMENT")) facts.autoincrement = true;
            if (stmt_.is_keyword(t, "AS")) facts.generated = true;
            if (stmt_.is_punctuation(t, '(')) {
                t = stmt_.closing(t);
            } else if (stmt_.is_keyword(t, "CONSTRAINT")) {
                name = stmt_.identifier(++t);
            } else if (stmt_.is_keyword(t, "PRIMARY")) {
                parsed_.primary_key_name = std::exchange(name, std::nullopt);
                add_conflict("PRIMARY KEY", {column}, t + 1, last);
            } else if (stmt_.is_keyword(t, "UNIQUE")) {
                parsed_.unique_constraints.push_back({std::exchange(name, std::nullopt), {column}});
                add_conflict("UNIQUE", {column}, t, last);
            } else if (stmt_.is_keyword(t, "NOT") && stmt_.is_keyword(t + 1, "NULL")) {
                add_conflict("NOT NULL", {column}, t + 1, last);
                name.reset();
                ++t;
            } else if (stmt_.is_keyword(t, "CHECK") && stmt_.is_punctuation(t + 1, '(')) {
                parsed_.check_constraints.push_back(
                    {std::exchange(name, std::nullopt).value_or(naming::check(table_, column)),
                     stmt_.inside(t + 1)});
                t = stmt_.closing(t + 1);
            } else if (stmt_.is_keyword(t, "REFERENCES")) {
                parsed_.foreign_keys.push_back(
                    {std::exchange(name, std::nullopt), {column}, stmt_.identifier(t + 1)});
                if (deferred(t, last)) parsed_.facts.deferred_foreign_keys.push_back({column});
            } else if (stmt_.is_keyword(t, "NOT") || stmt_.is_keyword(t, "NULL") ||
                       stmt_.is_keyword(t, "DEFAULT") || stmt_.is_keyword(t, "COLLATE") ||
                       stmt_.is_keyword(t, "GENERATED") || stmt_.is_keyword(t, "AS")) {
                name.reset();
            }
        }
    }

    std::string_view table_;
    Statement stmt_;
    ParsedTable parsed_;
    int unnamed_table_checks_ = 0;
};

// --- the pragmas -------------------------------------------------------------------

/// VARCHAR(50) -> 50; 0 without a length.
int declared_length(std::string_view declared) {
    const auto open = declared.find('(');
    if (open == std::string_view::npos) return 0;
    auto digits = declared.substr(open + 1);
    while (!digits.empty() && digits.front() == ' ') digits.remove_prefix(1);
    int length = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), length);
    return length;
}

ColumnType sqlite_type(std::string_view declared) {
    const auto name = upper(declared.substr(0, declared.find('(')));
    const auto has = [&](std::string_view part) { return name.find(part) != std::string::npos; };
    const auto base = std::string_view(name).substr(0, name.find_last_not_of(' ') + 1);
    if (base == "BOOLEAN" || base == "BOOL") return {TypeKind::boolean, 0};
    if (base == "DATETIME" || base.starts_with("TIMESTAMP")) return {TypeKind::timestamp, 0};
    if (base == "DATE") return {TypeKind::date, 0};
    if (has("INT")) return {TypeKind::big_integer, 0};  // any INTEGER column holds 64 bits
    if (has("CHAR") || has("CLOB") || has("TEXT")) return {TypeKind::text, declared_length(declared)};
    if (has("BLOB") || base.empty()) return {TypeKind::blob, 0};
    if (has("REAL") || has("FLOA") || has("DOUB")) return {TypeKind::single_precision, 0};
    // NUMERIC affinity (NUMERIC, DECIMAL(20, 2), ...) keeps an integer exact where REAL
    // rounds it: no model type describes that, so the column keeps its spelling, and a
    // rebuild into REAL shows as a change, with a warning.
    return {TypeKind::single_precision, 0, std::string(declared)};
}

ReferentialAction sqlite_action(std::string_view action) {
    if (action == "RESTRICT") return ReferentialAction::restrict;
    if (action == "CASCADE") return ReferentialAction::cascade;
    if (action == "SET NULL") return ReferentialAction::set_null;
    if (action == "SET DEFAULT") return ReferentialAction::set_default;
    return ReferentialAction::no_action;
}

template <class... Ts>
auto pragma_rows(Connection& conn, std::string sql, const std::string& argument) {
    auto query = text(std::move(sql)).bind("name", argument).template columns<Ts...>();
    return conn.execute(query).all();
}

std::vector<std::string> primary_key_columns(Connection& conn, const std::string& table) {
    return pragma_rows<std::string>(
        conn, "SELECT name FROM pragma_table_xinfo(:name, 'main') WHERE pk > 0 ORDER BY pk", table);
}

void read_columns(Connection& conn, Table& table, const ParsedTable& parsed) {
    const auto rows = pragma_rows<std::string, std::string, bool, std::optional<std::string>, std::int64_t>(
        conn,
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_xinfo(:name, 'main') "
        "WHERE hidden <> 1 ORDER BY cid",
        table.name);
    std::vector<std::pair<std::int64_t, std::string>> key;
    for (const auto& [name, declared, notnull, default_sql, pk] : rows) {
        auto& column = table.columns.emplace_back();
        column.name = name;
        column.type = sqlite_type(declared);
        column.nullable = !notnull;
        if (default_sql) column.server_default = std::string(without_enclosing_parens(*default_sql));
        if (pk > 0) key.emplace_back(pk, name);
    }
    std::ranges::sort(key);
    for (const auto& [position, name] : key) table.primary_key.columns.push_back(name);
    table.primary_key.name = parsed.primary_key_name.value_or(naming::primary_key(table.name));

    // The rowid alias: SQLite numbers it itself and it can never be NULL.
    if (key.size() != 1 || parsed.facts.without_rowid) return;
    const auto pk_row =
        std::ranges::find(rows, key.front().second, [](const auto& row) { return std::get<0>(row); });
    auto& column = *std::ranges::find(table.columns, key.front().second, &Column::name);
    if (upper(std::get<1>(*pk_row)) == "INTEGER" && !column.server_default) {
        column.autoincrement = true;
        column.nullable = false;
    }
}

/// The columns of index `index`, or nothing if it covers an expression or the rowid.
std::optional<std::vector<std::string>> index_columns(Connection& conn, const std::string& index) {
    std::vector<std::string> columns;
    for (auto& [cid, name] : pragma_rows<std::int64_t, std::optional<std::string>>(
             conn, "SELECT cid, name FROM pragma_index_info(:name, 'main') ORDER BY seqno", index)) {
        if (cid < 0 || !name) return std::nullopt;
        columns.push_back(std::move(*name));
    }
    return columns;
}

void read_indexes(Connection& conn, Table& table, const ParsedTable& parsed) {
    // A partial index (CREATE INDEX ... WHERE), or one with a key's collation or order
    // written out, is left out like one over an expression: Index cannot hold those, and a
    // rebuild creates such indexes again from their SQL (sqlite_migrate.cpp).
    for (const auto& [name, unique, origin, sql] :
         pragma_rows<std::string, bool, std::string, std::optional<std::string>>(
             conn,
             "SELECT l.name, l.\"unique\", l.origin, m.sql FROM pragma_index_list(:name, 'main') l LEFT JOIN "
             "main.sqlite_master m ON m.type = 'index' AND m.name = l.name WHERE NOT l.partial",
             table.name)) {
        if (origin == "pk" || (sql && sqlite_index_has_key_options(*sql))) continue;
        auto columns = index_columns(conn, name);
        if (!columns) continue;
        if (origin == "c") {
            table.indexes.push_back({name, std::move(*columns), unique});
            continue;
        }
        // origin "u": the index SQLite made for a UNIQUE constraint, named only in the SQL.
        const auto declared = std::ranges::find_if(
            parsed.unique_constraints, [&](const auto& u) { return same_names(u.columns, *columns); });
        auto constraint_name = declared != parsed.unique_constraints.end() && declared->name
                                   ? *declared->name
                                   : naming::unique(table.name, *columns);
        table.unique_constraints.push_back({std::move(constraint_name), std::move(*columns)});
    }
}

void read_foreign_keys(Connection& conn, Table& table, const ParsedTable& parsed) {
    const auto rows =
        pragma_rows<std::int64_t, std::string, std::string, std::optional<std::string>, std::string,
                    std::string>(conn,
                                 "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete "
                                 "FROM pragma_foreign_key_list(:name, 'main') ORDER BY id, seq",
                                 table.name);
    std::vector<bool> named(parsed.foreign_keys.size(), false);
    for (auto row = rows.begin(); row != rows.end();) {
        const auto id = std::get<0>(*row);
        ForeignKey fk;
        fk.referred_table = std::get<1>(*row);
        fk.on_update = sqlite_action(std::get<4>(*row));
        fk.on_delete = sqlite_action(std::get<5>(*row));
        bool to_primary_key = false;
        for (; row != rows.end() && std::get<0>(*row) == id; ++row) {
            fk.columns.push_back(std::get<2>(*row));
            if (std::get<3>(*row)) fk.referred_columns.push_back(*std::get<3>(*row));
            else to_primary_key = true;
        }
        // "REFERENCES t" without columns means t's primary key. A reference to a table
        // that does not exist has nothing to point at and cannot be described.
        if (to_primary_key) fk.referred_columns = primary_key_columns(conn, fk.referred_table);
        if (fk.referred_columns.size() != fk.columns.size()) continue;

        for (std::size_t i = 0; i < parsed.foreign_keys.size(); ++i) {
            const auto& declared = parsed.foreign_keys[i];
            if (named[i] || !same_name(declared.referred_table, fk.referred_table) ||
                !same_names(declared.columns, fk.columns))
                continue;
            named[i] = true;
            if (declared.name) fk.name = *declared.name;
            break;
        }
        if (fk.name.empty()) fk.name = naming::foreign_key(table.name, fk.columns, fk.referred_table);
        table.foreign_keys.push_back(std::move(fk));
    }
}

}  // namespace

SqliteTableFacts sqlite_table_facts(std::string_view table, std::string_view sql) {
    return CreateTableParser(table, sql).parse().facts;
}

bool sqlite_index_has_key_options(std::string_view sql) {
    const Statement index(sql);
    std::size_t open = 0;
    while (open < index.size() && !index.is_punctuation(open, '(')) ++open;
    if (open == index.size()) return false;
    for (const auto& [first, last] : index.items(open))
        for (auto t = first + 1; t < last; ++t)
            if (index.is_keyword(t, "COLLATE") || index.is_keyword(t, "DESC")) return true;
    return false;
}

std::string_view sqlite_trigger_event(std::string_view sql) {
    const Statement trigger(sql);
    for (std::size_t t = 0; t < trigger.size(); ++t)
        for (std::string_view event : {"INSERT", "UPDATE", "DELETE"})
            if (trigger.is_keyword(t, event)) return event;
    return {};
}

std::vector<Table> inspect_sqlite(Connection& conn, std::span<const std::string> exclude) {
    // Names starting sqlite_ are SQLite's own. Virtual tables (FTS5, R-Tree, ...) have no
    // columns of their own to compare, and their shadow tables (notes_fts_data, ...) hold
    // their data in the module's own layout: listed, they would be dropped as tables the
    // models lack. PRAGMA table_list (SQLite 3.37) says which tables are shadow tables;
    // before it, a table whose name is a virtual table's followed by "_" is taken for one.
    constexpr int table_list_version = 3037000;
    const std::string_view shadow_tables =
        sqlite3_libversion_number() >= table_list_version
            ? "AND name NOT IN (SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow')"
            : "AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.type = 'table' AND v.sql LIKE 'CREATE "
              "VIRTUAL TABLE%' AND substr(m.name, 1, length(v.name) + 1) = v.name || '_')";
    const auto listed = conn.execute(text(fmt::format("SELECT name, sql FROM sqlite_master m WHERE type = "
                                                      "'table' AND lower(substr(name, 1, 7)) <> 'sqlite_' "
                                                      "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' {}",
                                                      shadow_tables))
                                         .columns<std::string, std::string>())
                            .all();
    std::vector<Table> tables;
    for (const auto& [name, sql] : listed) {
        if (is_excluded(name, exclude)) continue;
        const auto parsed = CreateTableParser(name, sql).parse();
        auto& table = tables.emplace_back();
        table.name = name;
        read_columns(conn, table, parsed);
        read_indexes(conn, table, parsed);
        read_foreign_keys(conn, table, parsed);
        table.check_constraints = parsed.check_constraints;
        table.without_rowid = parsed.facts.without_rowid;
    }
    return tables;
}

}  // namespace alchemy::detail
