// Autogenerate's comparison: pairing tables and columns (with renamed_from) and telling
// what differs between two versions of a table.
#include "migrate/diff.hpp"
#include "core/ascii.hpp"

#include "alchemy/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstddef>

namespace alchemy::migrate::detail {
namespace {

bool is_blank(char c) noexcept { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view trimmed(std::string_view sql) noexcept {
    while (!sql.empty() && is_blank(sql.front())) sql.remove_prefix(1);
    while (!sql.empty() && is_blank(sql.back())) sql.remove_suffix(1);
    return sql;
}

/// True when the parenthesis opening `sql` is closed by its last character, quoted text
/// not counting: "(a + b)" but not "(a) + (b)".
bool enclosed_in_parentheses(std::string_view sql) noexcept {
    if (sql.size() < 2 || sql.front() != '(' || sql.back() != ')') return false;
    int depth = 0;
    char quote = 0;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        const char c = sql[i];
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '(') {
            ++depth;
        } else if (c == ')' && --depth == 0) {
            return i + 1 == sql.size();
        }
    }
    return false;
}

std::string normalized_expression(std::string_view sql) {
    sql = trimmed(sql);
    while (enclosed_in_parentheses(sql)) sql = trimmed(sql.substr(1, sql.size() - 2));
    std::string out;
    out.reserve(sql.size());
    char quote = 0;
    for (const char c : sql) {
        if (quote) {
            out += c;
            if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
            out += c;
        } else if (is_blank(c)) {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    return out;
}

bool is_word_char(char c) noexcept { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

/// Where the type name of a cast that starts at `at` (after "::") ends: one word, the
/// further words of a type such as "character varying" or "timestamp with time zone",
/// a "(n)" and "[]".
std::size_t end_of_cast(std::string_view sql, std::size_t at) {
    constexpr std::string_view continuations[] = {"varying", "precision", "with", "without", "time", "zone"};
    const auto skip_word = [&](std::size_t from) {
        while (from < sql.size() && is_word_char(sql[from])) ++from;
        return from;
    };
    at = skip_word(at);
    for (;;) {
        auto next = at;
        while (next < sql.size() && is_blank(sql[next])) ++next;
        const auto word_end = skip_word(next);
        const auto word = normalized_expression(sql.substr(next, word_end - next));
        if (word_end == next || std::ranges::find(continuations, word) == std::end(continuations)) break;
        at = word_end;
    }
    if (at < sql.size() && sql[at] == '(') {
        const auto close = sql.find(')', at);
        at = close == std::string_view::npos ? sql.size() : close + 1;
    }
    while (at + 1 < sql.size() && sql[at] == '[' && sql[at + 1] == ']') at += 2;
    return at;
}

/// One piece of a CHECK expression: a word (name, keyword, number), a '...' literal, or
/// one character of punctuation or operator; a parenthesised group holds its content.
struct CheckItem {
    std::string text;               ///< empty for a group
    std::vector<CheckItem> inside;  ///< a group's content
    bool group = false;
    bool call = false;  ///< the group follows a word: f(x), IN (...), ANY (...)
};

bool is_connective(const CheckItem& item) { return item.text == "and" || item.text == "or"; }
bool is_word(const CheckItem& item) {
    return !item.group && !item.text.empty() && is_word_char(item.text[0]);
}

/// The items of `sql` from `at` up to the ')' that closes the enclosing group (or the
/// end), with ::casts and identifier quotes dropped and words lower-cased.
std::vector<CheckItem> check_items(std::string_view sql, std::size_t& at) {
    std::vector<CheckItem> items;
    while (at < sql.size()) {
        const char c = sql[at];
        if (is_blank(c) || c == '"') {
            ++at;
        } else if (c == '\'') {
            const auto end = sql.find('\'', at + 1);
            const auto stop = end == std::string_view::npos ? sql.size() : end + 1;
            items.push_back({std::string(sql.substr(at, stop - at)), {}, false, false});
            at = stop;
        } else if (c == ':' && at + 1 < sql.size() && sql[at + 1] == ':') {
            at = end_of_cast(sql, at + 2);
        } else if (c == '(') {
            ++at;
            const bool call = !items.empty() && is_word(items.back()) && !is_connective(items.back()) &&
                              items.back().text != "not";
            items.push_back({{}, check_items(sql, at), true, call});
        } else if (c == ')') {
            ++at;
            return items;
        } else if (is_word_char(c)) {
            std::string word;
            while (at < sql.size() && is_word_char(sql[at]))
                word += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[at++])));
            items.push_back({std::move(word), {}, false, false});
        } else {
            items.push_back({std::string(1, c), {}, false, false});
            ++at;
        }
    }
    return items;
}

bool is_arithmetic(const CheckItem& item) {
    return item.text == "+" || item.text == "-" || item.text == "*" || item.text == "/" || item.text == "%" ||
           item.text == "|";
}

/// Whether an item beside a group binds less tightly than arithmetic: nothing, AND, OR,
/// NOT or a comparison. PostgreSQL prints `price * qty < 1000` as `(price * qty) < 1000`.
bool binds_loosely(const CheckItem* item) {
    return !item || is_connective(*item) || item->text == "not" ||
           (item->text.size() == 1 && std::string_view("<>=!").find(item->text[0]) != std::string_view::npos);
}

/// Whether the parentheses of group `items[at]` can change what the expression means: they
/// can around AND or OR, and around arithmetic beside other arithmetic (`(a + b) * c`).
bool groups_anything(const std::vector<CheckItem>& items, std::size_t at) {
    const auto& inside = items[at].inside;
    if (std::ranges::any_of(inside, is_connective)) return true;
    if (std::ranges::none_of(inside, is_arithmetic)) return false;
    return !binds_loosely(at > 0 ? &items[at - 1] : nullptr) ||
           !binds_loosely(at + 1 < items.size() ? &items[at + 1] : nullptr);
}

/// Drops the parentheses that group nothing (around a name, a literal or a comparison,
/// as PostgreSQL prints every operator in its own) and writes the rest back: blanks only
/// between two words.
void write_check(const std::vector<CheckItem>& items, std::string& out) {
    for (std::size_t at = 0; at < items.size(); ++at) {
        const auto& item = items[at];
        if (item.group && !item.call && !groups_anything(items, at)) {
            write_check(item.inside, out);
        } else if (item.group) {
            out += '(';
            write_check(item.inside, out);
            out += ')';
        } else {
            if (is_word(item) && !out.empty() && is_word_char(out.back())) out += ' ';
            out += item.text;
        }
    }
}

/// A CHECK expression reduced to what survives PostgreSQL storing it parsed and printing
/// it back (pg_get_constraintdef): blanks, identifier quotes, ::casts and the parentheses
/// it adds around each comparison go, letters outside literals are lower-cased, "!=" is
/// "<>", and "= ANY (ARRAY[...])" the "IN (...)" it was written as. So
/// `"status" IN ('a', 'b')` and
/// `(status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])`
/// agree. Parentheses that group AND, OR or arithmetic are kept: `(a AND b) OR c` and
/// `a AND (b OR c)` differ, and so may an expression written without them, whose grouping
/// PostgreSQL then prints (a difference to review rather than a change missed).
std::string canonical_check(std::string_view sql) {
    std::size_t at = 0;
    auto items = check_items(sql, at);
    while (items.size() == 1 && items.front().group && !items.front().call)
        items = std::move(items.front().inside);
    std::string out;
    write_check(items, out);
    for (auto found = out.find("!="); found != std::string::npos; found = out.find("!=", found))
        out.replace(found, 2, "<>");
    constexpr std::string_view any_array = "=any(array[";
    for (auto found = out.find(any_array); found != std::string::npos; found = out.find(any_array, found)) {
        const auto close = out.find("])", found);
        if (close == std::string::npos) break;
        out.erase(close, 1);  // "])" -> ")" (replace() here trips GCC 12's -Wrestrict at -O2)
        out.replace(found, any_array.size(), found > 0 && is_word_char(out[found - 1]) ? " in(" : "in(");
    }
    return out;
}

/// The spelling a type is compared by: a domain's base type, without a collation, since
/// the models cannot declare either (see ColumnType::domain and ColumnType::collation).
std::string compared_type_name(const DdlRenderer& ddl, ColumnType type) {
    type.domain.clear();
    type.collation.clear();
    return ddl.type_name(type);
}

const ColumnRename* find_rename(const std::vector<ColumnRename>& renames, std::string_view from) noexcept {
    for (const auto& rename : renames)
        if (rename.from == from) return &rename;
    return nullptr;
}

std::string renamed_column(const std::vector<ColumnRename>& renames, const std::string& name) {
    const auto* rename = find_rename(renames, name);
    return rename ? rename->to : name;
}

void rename_columns(const std::vector<ColumnRename>& renames, std::vector<std::string>& names) {
    for (auto& name : names) name = renamed_column(renames, name);
}

/// Pairs the items of two lists. Where names matter, a same-named item with the same
/// definition is unchanged and an item whose definition reappears under another name is
/// renamed; elsewhere any item with the same definition is unchanged. What is left over
/// is dropped (from) or added (to).
template <class T, class Same>
ItemChanges<T> compare_items(const std::vector<T>& from, const std::vector<T>& to, Same same_definition,
                             bool names_matter) {
    std::vector<bool> from_used(from.size(), false);
    std::vector<bool> to_used(to.size(), false);
    const auto pair_up = [&](auto&& accept) {
        std::vector<std::pair<const T*, const T*>> pairs;
        for (std::size_t j = 0; j < to.size(); ++j) {
            if (to_used[j]) continue;
            for (std::size_t i = 0; i < from.size(); ++i) {
                if (from_used[i] || !accept(from[i], to[j])) continue;
                from_used[i] = to_used[j] = true;
                pairs.emplace_back(&from[i], &to[j]);
                break;
            }
        }
        return pairs;
    };

    ItemChanges<T> changes;
    pair_up([&](const T& a, const T& b) { return a.name == b.name && same_definition(a, b); });
    auto same_elsewhere = pair_up(same_definition);
    if (names_matter) changes.renamed = std::move(same_elsewhere);
    for (std::size_t i = 0; i < from.size(); ++i)
        if (!from_used[i]) changes.dropped.push_back(&from[i]);
    for (std::size_t j = 0; j < to.size(); ++j)
        if (!to_used[j]) changes.added.push_back(&to[j]);
    return changes;
}

}  // namespace

MetaData respelled(const MetaData& database, const MetaData& models) {
    const auto same = alchemy::detail::equals_ignoring_ascii_case;
    const auto model_of = [&](const std::string& name) -> const Table* {
        if (const Table* exact = models.table(name)) return exact;
        const auto found =
            std::ranges::find_if(models.tables(), [&](const Table& t) { return same(t.name, name); });
        return found == models.tables().end() ? nullptr : &*found;
    };
    const auto respell_column = [&](const Table* model, std::string& name) {
        if (!model || model->column(name)) return;
        for (const auto& column : model->columns)
            if (same(column.name, name)) name = column.name;
    };
    const auto respell_columns = [&](const Table* model, std::vector<std::string>& names) {
        for (auto& name : names) respell_column(model, name);
    };

    std::vector<Table> tables = database.tables();
    for (auto& table : tables) {
        const Table* model = model_of(table.name);
        if (model) table.name = model->name;
        for (auto& column : table.columns) respell_column(model, column.name);
        respell_columns(model, table.primary_key.columns);
        for (auto& unique : table.unique_constraints) respell_columns(model, unique.columns);
        for (auto& index : table.indexes) respell_columns(model, index.columns);
        for (auto& fk : table.foreign_keys) {
            respell_columns(model, fk.columns);
            const Table* referred = model_of(fk.referred_table);
            if (referred) fk.referred_table = referred->name;
            respell_columns(referred, fk.referred_columns);
        }
    }
    return MetaData(std::move(tables));
}

bool same_server_default(const std::optional<std::string>& a, const std::optional<std::string>& b) {
    if (!a || !b) return a.has_value() == b.has_value();
    return normalized_expression(*a) == normalized_expression(*b);
}

bool same_check(std::string_view a, std::string_view b) { return canonical_check(a) == canonical_check(b); }

const TablePair* Matching::pair_of(const Table* to) const noexcept {
    for (const auto& pair : pairs)
        if (pair.to == to) return &pair;
    return nullptr;
}

Matching match(const MetaData& from, const MetaData& to) {
    Matching matching;
    std::vector<const Table*> paired_from;
    const auto is_paired = [&](const Table* table) {
        return std::ranges::find(paired_from, table) != paired_from.end();
    };
    for (const auto& table : to.tables())
        if (const Table* same = from.table(table.name)) paired_from.push_back(same);

    for (const auto& table : to.tables()) {
        const Table* counterpart = from.table(table.name);
        if (!counterpart && table.renamed_from && from.table(*table.renamed_from) &&
            to.table(*table.renamed_from))
            throw ArgumentError(fmt::format(
                "alchemy: table {0} is declared sa::renamed_from(\"{1}\"), but the models still map a table "
                "{1}, which the rename would take away. Remove the model of {1} to rename it, or remove the "
                "renamed_from to keep {1} and add {0}",
                table.name, *table.renamed_from));
        if (!counterpart && table.renamed_from && !to.table(*table.renamed_from)) {
            const Table* old = from.table(*table.renamed_from);
            if (old && !is_paired(old)) {
                counterpart = old;
                paired_from.push_back(old);
            }
        }
        if (!counterpart) {
            matching.added.push_back(&table);
            continue;
        }
        TablePair pair{counterpart, &table, {}};
        for (const auto& column : table.columns) {
            if (counterpart->column(column.name) || !column.renamed_from) continue;
            const auto& old = *column.renamed_from;
            if (counterpart->column(old) && table.column(old))
                throw ArgumentError(fmt::format(
                    "alchemy: column {0}.{1} is declared sa::renamed_from(&T::{1}, \"{2}\"), but the mapping "
                    "of {0} still has a column {2}, which the rename would take away. Remove {2} from the "
                    "model to rename it, or remove the renamed_from to keep {2} and add {1}",
                    table.name, column.name, old));
            if (counterpart->column(old) && !table.column(old) && !find_rename(pair.column_renames, old))
                pair.column_renames.push_back({old, column.name});
        }
        matching.pairs.push_back(std::move(pair));
    }
    for (const auto& table : from.tables())
        if (!is_paired(&table)) matching.removed.push_back(&table);
    return matching;
}

Matching reversed(const Matching& matching) {
    Matching back;
    back.added = matching.removed;
    back.removed = matching.added;
    for (const auto& pair : matching.pairs) {
        TablePair flipped{pair.to, pair.from, {}};
        for (const auto& rename : pair.column_renames)
            flipped.column_renames.push_back({rename.to, rename.from});
        back.pairs.push_back(std::move(flipped));
    }
    return back;
}

Table after_renames(const TablePair& pair, const Matching& matching) {
    Table table = *pair.from;
    const auto& renames = pair.column_renames;
    table.name = pair.to->name;
    for (auto& column : table.columns) column.name = renamed_column(renames, column.name);
    rename_columns(renames, table.primary_key.columns);
    for (auto& unique : table.unique_constraints) rename_columns(renames, unique.columns);
    for (auto& index : table.indexes) rename_columns(renames, index.columns);
    for (auto& fk : table.foreign_keys) {
        rename_columns(renames, fk.columns);
        for (const auto& referred : matching.pairs) {
            if (referred.from->name != fk.referred_table) continue;
            fk.referred_table = referred.to->name;
            rename_columns(referred.column_renames, fk.referred_columns);
            break;
        }
    }
    return table;
}

bool TableDiff::empty() const noexcept {
    return added_columns.empty() && dropped_columns.empty() && altered_columns.empty() &&
           !primary_key_changed && !primary_key_renamed && unique_constraints.empty() &&
           foreign_keys.empty() && check_constraints.empty() && indexes.empty();
}

TableDiff diff_table(const Table& from, const Table& to, const DiffOptions& options) {
    TableDiff diff;
    diff.from = &from;
    diff.to = &to;

    for (const auto& column : to.columns) {
        const Column* old = from.column(column.name);
        if (!old) {
            diff.added_columns.push_back(&column);
            continue;
        }
        ColumnChange change{old, &column};
        change.type =
            compared_type_name(*options.ddl, old->type) != compared_type_name(*options.ddl, column.type);
        change.nullable = old->nullable != column.nullable;
        change.server_default = !same_server_default(old->server_default, column.server_default);
        change.autoincrement = options.compare_autoincrement && old->autoincrement != column.autoincrement;
        if (change.type || change.nullable || change.server_default || change.autoincrement)
            diff.altered_columns.push_back(change);
    }
    for (const auto& column : from.columns)
        if (!to.column(column.name)) diff.dropped_columns.push_back(&column);

    const auto& old_key = from.primary_key;
    const auto& new_key = to.primary_key;
    diff.primary_key_changed = old_key.columns != new_key.columns;
    diff.primary_key_renamed = options.constraint_names_matter && !diff.primary_key_changed &&
                               !old_key.columns.empty() && !old_key.name.empty() &&
                               old_key.name != new_key.name;

    const bool by_name = options.constraint_names_matter;
    diff.unique_constraints = compare_items(
        from.unique_constraints, to.unique_constraints,
        [](const UniqueConstraint& a, const UniqueConstraint& b) { return a.columns == b.columns; }, by_name);
    diff.foreign_keys = compare_items(
        from.foreign_keys, to.foreign_keys,
        [](const ForeignKey& a, const ForeignKey& b) {
            return a.columns == b.columns && a.referred_table == b.referred_table &&
                   a.referred_columns == b.referred_columns && a.on_delete == b.on_delete &&
                   a.on_update == b.on_update;
        },
        by_name);
    diff.check_constraints = compare_items(
        from.check_constraints, to.check_constraints,
        [](const CheckConstraint& a, const CheckConstraint& b) { return same_check(a.sql, b.sql); }, by_name);
    diff.indexes = compare_items(
        from.indexes, to.indexes,
        [](const Index& a, const Index& b) { return a.columns == b.columns && a.unique == b.unique; }, true);
    return diff;
}

}  // namespace alchemy::migrate::detail
