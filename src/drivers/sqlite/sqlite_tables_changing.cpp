// SqliteConnection::tables_changing(): which tables' writes SQLite carries on into a table
// that a yield_per() loop still steps through, read from the database itself, so that
// tables no model declares, and keys made by hand or by a migration, count too.
#include "core/ascii.hpp"
#include "core/sql_lexer.hpp"
#include "drivers/drivers.hpp"
#include "drivers/sqlite/sqlite_connection.hpp"
#include "drivers/sqlite/sqlite_dialect.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace alchemy::detail::sqlite {
namespace {

/// Whether the SQL of a trigger names `table`, as a word or a quoted name, with words
/// split where SQLite splits them. A word that only looks like it (a column of that name)
/// makes the answer yes: too many is safe.
bool names_table(std::string_view sql, std::string_view table, SqlLexicon lexicon) {
    for (const auto& span : lex_sql(sql, lexicon)) {
        const auto text = sql.substr(span.begin, span.end - span.begin);
        if (span.kind == SqlSpanKind::quoted_identifier && text.size() >= 2) {
            // "..." or `...`, where a doubled quote stands for one, or [...], which holds no ].
            const char close = text.front() == '[' ? ']' : text.front();
            std::string name;
            for (std::size_t i = 1; i + 1 < text.size(); ++i) {
                name += text[i];
                if (text[i] == close) ++i;
            }
            if (equals_ignoring_ascii_case(name, table)) return true;
        } else if (span.kind == SqlSpanKind::code) {
            for (std::size_t i = 0; i < text.size();) {
                auto end = i;
                while (end < text.size() && is_identifier_char(text[end])) ++end;
                if (end > i && equals_ignoring_ascii_case(text.substr(i, end - i), table)) return true;
                i = std::max(end, i + 1);
            }
        }
    }
    return false;
}

}  // namespace

std::vector<std::string> SqliteConnection::tables_changing(std::string_view table) {
    std::vector<std::pair<std::string, std::string>> triggers;  // table, SQL
    auto& trigger_rows =
        execute("SELECT tbl_name, sql FROM sqlite_schema WHERE type = 'trigger' AND sql IS NOT NULL", {});
    while (trigger_rows.next())
        triggers.emplace_back(std::string(trigger_rows.read_text(0)), std::string(trigger_rows.read_text(1)));
    // Closed, each: a statement left in use can be neither reused nor evicted from the cache.
    trigger_rows.close();

    const auto lexicon = sqlite_driver().dialect().lexicon();
    const auto acts = [](std::string_view action) {
        return !equals_ignoring_ascii_case(action, "NO ACTION") &&
               !equals_ignoring_ascii_case(action, "RESTRICT");
    };
    // Breadth first over "a write to X changes Y": Y has a foreign key to X with an action,
    // or a trigger on X names Y.
    std::vector<std::string> found{std::string(table)};
    const auto add = [&](std::string_view name) {
        const bool known = std::any_of(found.begin(), found.end(), [&](const std::string& f) {
            return equals_ignoring_ascii_case(f, name);
        });
        if (!known) found.emplace_back(name);
    };
    for (std::size_t i = 0; i < found.size(); ++i) {
        const auto changed = found[i];
        const std::array params{Param::of_text(changed)};
        auto& keys =
            execute("SELECT \"table\", on_update, on_delete FROM pragma_foreign_key_list(?)", params);
        std::vector<std::string> referred;
        while (keys.next())
            if (acts(keys.read_text(1)) || acts(keys.read_text(2))) referred.emplace_back(keys.read_text(0));
        keys.close();
        for (const auto& name : referred) add(name);
        for (const auto& [on, sql] : triggers)
            if (names_table(sql, changed, lexicon)) add(on);
    }
    found.erase(found.begin());
    return found;
}

}  // namespace alchemy::detail::sqlite
