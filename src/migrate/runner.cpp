// Running revisions: the version table, plans from the current revision to a target, one
// transaction per revision, and the same plan as an offline SQL script.
#include "alchemy/migrate/runner.hpp"

#include "alchemy/core/error.hpp"
#include "alchemy/core/text.hpp"
#include "core/ascii.hpp"
#include "core/sql_lexer.hpp"
#include "migrate/backend.hpp"
#include "schema/ddl/ddl.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <utility>

namespace alchemy::migrate {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view create_version_table_sql =
    "CREATE TABLE IF NOT EXISTS alchemy_version (version_num VARCHAR(32) NOT NULL, "
    "CONSTRAINT alchemy_version_pkc PRIMARY KEY (version_num))";

std::string shown(const std::optional<std::string>& revision) { return revision.value_or("<base>"); }

std::string_view verb(Direction direction) {
    return direction == Direction::upgrade ? "upgrade" : "downgrade";
}

/// Revision ids are letters, digits and underscores (load_revisions checks), so they are
/// written into the SQL as literals: the script --sql prints is then exactly what runs.
std::string literal(const std::string& id) {
    const bool plain = !id.empty() && id.size() <= 32 && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    });
    if (!plain)
        throw ArgumentError(
            fmt::format("alchemy: '{}' is not a revision id (1 to 32 letters, digits or underscores)", id));
    return fmt::format("'{}'", id);
}

std::string version_update_sql(const Step& step) {
    if (!step.from)
        return fmt::format("INSERT INTO alchemy_version (version_num) VALUES ({})", literal(*step.to));
    if (!step.to)
        return fmt::format("DELETE FROM alchemy_version WHERE alchemy_version.version_num = {}",
                           literal(*step.from));
    return fmt::format("UPDATE alchemy_version SET version_num = {} WHERE alchemy_version.version_num = {}",
                       literal(*step.to), literal(*step.from));
}

const std::string& section(const Step& step) {
    return step.direction == Direction::upgrade ? step.revision.upgrade : step.revision.downgrade;
}

bool has_version_table(Connection& conn) {
    const auto renderer = alchemy::detail::ddl_renderer_for(conn.dialect());
    const std::string name(version_table);
    const Param table_name = Param::of_text(name);
    return conn.execute_sql(renderer->has_table_query(), {&table_name, 1}).scalar<std::int64_t>().has_value();
}

std::vector<std::string> version_rows(Connection& conn) {
    return conn.execute(text("SELECT version_num FROM alchemy_version").columns<std::string>()).all();
}

std::optional<std::string> single_version(const std::vector<std::string>& rows) {
    if (rows.size() > 1)
        throw MigrationError(
            fmt::format("alchemy: the version table alchemy_version holds {} rows ({}) but alchemy keeps "
                        "one; set the right revision with `stamp REV`",
                        rows.size(), fmt::join(rows, ", ")));
    if (rows.empty()) return std::nullopt;
    return rows.front();
}

void ensure_version_table(Engine& engine) {
    auto conn = engine.begin();
    conn.execute_script(create_version_table_sql);
    conn.commit();
}

/// Two migration runs at once wait for each other instead of interleaving. Readers
/// (`current`) are not blocked.
void lock_version_table(Connection& conn) {
    const auto lock = detail::migrate_backend(conn.dialect()).lock_version_table_sql();
    if (!lock.empty()) conn.execute_script(lock);
}

/// Whether a statement's leading `words` are `expected`, in any case.
bool begins_with(const std::vector<std::string_view>& words,
                 std::initializer_list<std::string_view> expected) {
    return words.size() >= expected.size() &&
           std::equal(expected.begin(), expected.end(), words.begin(),
                      [](std::string_view e, std::string_view w) {
                          return alchemy::detail::equals_ignoring_ascii_case(w, e);
                      });
}

/// A statement that ends or begins a transaction, which a revision's must not do: each
/// revision runs in one transaction with its version update, so a COMMIT in it would
/// commit half a revision that the version table does not record.
bool controls_transaction(const std::vector<std::string_view>& words) {
    return begins_with(words, {"BEGIN"}) || begins_with(words, {"START"}) || begins_with(words, {"COMMIT"}) ||
           begins_with(words, {"END"}) || begins_with(words, {"ABORT"}) ||
           (begins_with(words, {"ROLLBACK"}) && !begins_with(words, {"ROLLBACK", "TO"})) ||
           begins_with(words, {"PREPARE", "TRANSACTION"});
}

/// The statements of the step's section, split by the database's lexical rules; refused
/// (MigrationError, before anything runs) when one of them is never closed or one would
/// end the revision's transaction.
std::vector<std::string> statements_of(const Step& step, const Dialect& dialect) {
    const auto where = fmt::format("the {} section of {}", verb(step.direction), step.revision.path.string());
    std::vector<std::string> statements;
    try {
        statements = split_statements(section(step), dialect.lexicon());
    } catch (const MigrationError& e) {
        throw MigrationError(fmt::format("{} (in {})", e.what(), where));
    }
    for (std::size_t k = 0; k < statements.size(); ++k) {
        for (const auto& words :
             alchemy::detail::statement_leading_words(statements[k], 2, dialect.lexicon()))
            if (controls_transaction(words))
                throw MigrationError(fmt::format(
                    "alchemy: statement {} of {} begins with {}: a revision runs in one transaction, which "
                    "also moves the version table, so its statements must not begin or end one; take it "
                    "out (nothing was run)",
                    k + 1, where, fmt::join(words, " ")));
    }
    return statements;
}

/// Whether the statements drop a table and make or change one, as a table rebuild does.
bool may_rebuild_table(const std::vector<std::string>& statements, const Dialect& dialect) {
    bool drops = false;
    bool makes = false;
    for (const auto& statement : statements)
        for (const auto& words : alchemy::detail::statement_leading_words(statement, 2, dialect.lexicon())) {
            drops = drops || begins_with(words, {"DROP", "TABLE"});
            makes =
                makes || begins_with(words, {"CREATE", "TABLE"}) || begins_with(words, {"ALTER", "TABLE"});
        }
    return drops && makes;
}

void run_step(Engine& engine, const Step& step, const std::vector<std::string>& statements) {
    auto conn = engine.connect();
    const auto guard = detail::migrate_backend(engine.dialect()).guard_revision(engine, conn);
    auto tx = conn.begin();
    lock_version_table(conn);
    if (const auto at = single_version(version_rows(conn)); at != step.from)
        throw MigrationError(
            fmt::format("alchemy: the database is at {}, not at {} as planned (did another process "
                        "migrate it meanwhile?); nothing of {} was run",
                        shown(at), shown(step.from), step.revision.path.string()));
    const auto revision = fmt::format("{} {} -> {} ({})", verb(step.direction), shown(step.from),
                                      shown(step.to), step.revision.path.string());
    for (const auto& statement : statements) {
        if (guard) guard->execute(conn, statement, revision);
        else conn.execute_script(statement);
    }
    if (guard) guard->finish(conn, revision);
    const auto updated = conn.execute_sql(version_update_sql(step)).rowcount();
    if (updated != 1)
        throw MigrationError(
            fmt::format("alchemy: updating the version table changed {} rows instead of 1; {} "
                        "was rolled back",
                        updated, step.revision.path.string()));
    tx.commit();
}

std::size_t position_of(std::span<const Revision> chain, const std::optional<std::string>& id) {
    if (!id) return 0;
    const auto it = std::find_if(chain.begin(), chain.end(),
                                 [&](const Revision& revision) { return revision.id == *id; });
    if (it == chain.end()) {
        const auto where =
            chain.empty() ? std::string("the versions directory") : chain.front().path.parent_path().string();
        throw MigrationError(
            fmt::format("alchemy: the database is at revision {}, which no file in {} has; restore the "
                        "file, or set the version with `stamp REV`",
                        *id, where));
    }
    return static_cast<std::size_t>(it - chain.begin()) + 1;
}

/// N of "+N" / "-N".
std::size_t parse_count(std::string_view target) {
    std::size_t n = 0;
    const auto digits = target.substr(1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || n == 0)
        throw MigrationError(
            fmt::format("alchemy: '{}' is not a relative revision; write {}N with N a positive number",
                        target, target.front()));
    return n;
}

}  // namespace

std::optional<std::string> current_revision(Engine& engine) {
    auto conn = engine.connect();
    if (!has_version_table(conn)) return std::nullopt;
    return single_version(version_rows(conn));
}

std::optional<std::string> resolve_revision(std::span<const Revision> chain, std::string_view target) {
    if (target == "base") return std::nullopt;
    if (target == "head") return chain.empty() ? std::nullopt : std::optional(chain.back().id);
    std::vector<const Revision*> matches;
    for (const auto& revision : chain) {
        if (revision.id == target) return revision.id;
        if (!target.empty() && revision.id.starts_with(target)) matches.push_back(&revision);
    }
    if (matches.size() == 1) return matches.front()->id;
    const auto where =
        chain.empty() ? std::string("the versions directory") : chain.front().path.parent_path().string();
    if (matches.empty())
        throw MigrationError(fmt::format("alchemy: there is no revision '{}' in {}", target, where));
    std::vector<std::string> ids;
    for (const auto* match : matches) ids.push_back(match->id);
    throw MigrationError(fmt::format("alchemy: '{}' is ambiguous: it begins revisions {} in {}", target,
                                     fmt::join(ids, ", "), where));
}

std::vector<Step> plan(std::span<const Revision> chain, const std::optional<std::string>& current,
                       Direction direction, std::string_view target) {
    // Positions count from base = 0, so chain[p - 1] is the revision at position p.
    const auto here = position_of(chain, current);
    std::size_t there = 0;
    if (!target.empty() && (target.front() == '+' || target.front() == '-')) {
        const bool forward = target.front() == '+';
        if (forward != (direction == Direction::upgrade))
            throw MigrationError(fmt::format(
                "alchemy: {} takes {}; '{}' goes the other way", verb(direction),
                direction == Direction::upgrade ? "head, +N or a revision" : "base, -N or a revision",
                target));
        const auto n = parse_count(target);
        if (forward ? n > chain.size() - here : n > here)
            throw MigrationError(fmt::format(
                "alchemy: cannot {} {}: the database is at {}, {} revision(s) {}", verb(direction), target,
                shown(current), forward ? chain.size() - here : here, forward ? "below head" : "above base"));
        there = forward ? here + n : here - n;
    } else {
        there = position_of(chain, resolve_revision(chain, target));
        if (direction == Direction::upgrade ? there < here : there > here)
            throw MigrationError(fmt::format(
                "alchemy: cannot {} to {}: it is {} the current revision {}; use `{} {}`", verb(direction),
                target, direction == Direction::upgrade ? "before" : "after", shown(current),
                direction == Direction::upgrade ? "downgrade" : "upgrade", target));
    }

    std::vector<Step> steps;
    const auto id_at = [&](std::size_t position) {
        return position == 0 ? std::nullopt : std::optional(chain[position - 1].id);
    };
    if (direction == Direction::upgrade)
        for (auto p = here + 1; p <= there; ++p)
            steps.push_back({Direction::upgrade, chain[p - 1], id_at(p - 1), id_at(p)});
    else
        for (auto p = here; p > there; --p)
            steps.push_back({Direction::downgrade, chain[p - 1], id_at(p), id_at(p - 1)});
    return steps;
}

void run(Engine& engine, std::span<const Step> steps, const Progress& progress) {
    if (steps.empty()) return;
    // Every revision is read before the first runs: one that would be refused stops the
    // plan before it changes anything.
    std::vector<std::vector<std::string>> statements;
    for (const auto& step : steps) statements.push_back(statements_of(step, engine.dialect()));
    ensure_version_table(engine);
    for (std::size_t k = 0; k < steps.size(); ++k) {
        const auto& step = steps[k];
        if (progress.starting) progress.starting(step);
        const auto start = std::chrono::steady_clock::now();
        run_step(engine, step, statements[k]);
        const auto elapsed =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        if (progress.finished) progress.finished(step, elapsed);
    }
}

std::string render_script(const Dialect& dialect, std::span<const Step> steps) {
    std::string out;
    if (steps.empty()) return out;
    if (steps.front().direction == Direction::upgrade && !steps.front().from)
        out += fmt::format("{};\n\n", create_version_table_sql);
    const auto frame = detail::migrate_backend(dialect).script_frame();
    std::vector<std::vector<std::string>> statements;
    for (const auto& step : steps) statements.push_back(statements_of(step, dialect));
    for (std::size_t k = 0; k < steps.size(); ++k) {
        const auto& step = steps[k];
        out += fmt::format("-- Running {} {} -> {}, {}\n", verb(step.direction), shown(step.from),
                           shown(step.to), step.revision.message);
        if (!frame.rebuild_note.empty() && may_rebuild_table(statements[k], dialect))
            out += frame.rebuild_note;
        out += frame.before_begin;
        out += "BEGIN;\n";
        for (const auto& statement : statements[k]) {
            out += statement;
            // A ';' after a trailing "-- comment" would belong to the comment.
            const auto last_line = statement.substr(statement.rfind('\n') + 1);
            out += last_line.find("--") == std::string::npos ? ";\n" : "\n;\n";
        }
        out += frame.before_commit;
        out += version_update_sql(step) + ";\n";
        out += "COMMIT;\n";
        out += frame.after_commit;
        out += '\n';
    }
    return out;
}

void stamp(Engine& engine, const std::optional<std::string>& revision) {
    const auto insert =
        revision ? fmt::format("INSERT INTO alchemy_version (version_num) VALUES ({})", literal(*revision))
                 : std::string();
    ensure_version_table(engine);
    auto conn = engine.begin();
    lock_version_table(conn);
    conn.execute_script("DELETE FROM alchemy_version");
    if (revision) conn.execute_script(insert);
    conn.commit();
}

std::vector<Step> upgrade(Engine& engine, const fs::path& versions_dir, std::string_view target,
                          const Progress& progress) {
    const auto chain = load_revisions(versions_dir);
    auto steps = plan(chain, current_revision(engine), Direction::upgrade, target);
    run(engine, steps, progress);
    return steps;
}

std::vector<Step> downgrade(Engine& engine, const fs::path& versions_dir, std::string_view target,
                            const Progress& progress) {
    const auto chain = load_revisions(versions_dir);
    auto steps = plan(chain, current_revision(engine), Direction::downgrade, target);
    run(engine, steps, progress);
    return steps;
}

void stamp(Engine& engine, const fs::path& versions_dir, std::string_view target) {
    const auto chain = load_revisions(versions_dir);
    stamp(engine, resolve_revision(chain, target));
}

std::optional<Revision> current(Engine& engine, const fs::path& versions_dir) {
    const auto chain = load_revisions(versions_dir);
    const auto position = position_of(chain, current_revision(engine));
    return position == 0 ? std::nullopt : std::optional(chain[position - 1]);
}

std::optional<Revision> head(const fs::path& versions_dir) {
    auto chain = load_revisions(versions_dir);
    if (chain.empty()) return std::nullopt;
    return std::move(chain.back());
}

std::vector<Revision> history(const fs::path& versions_dir) {
    auto chain = load_revisions(versions_dir);
    std::reverse(chain.begin(), chain.end());
    return chain;
}

}  // namespace alchemy::migrate
