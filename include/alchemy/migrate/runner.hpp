// Running revisions against a database: the version table, planning the way from the
// revision a database is at to a target, and running it one transaction per revision.
//
//   auto engine = sa::create_engine(url);
//   sa::migrate::upgrade(engine, "migrations/versions");            // to head
//   sa::migrate::downgrade(engine, "migrations/versions", "-1");    // one back
//
// The CLI (cli.hpp) is built on these; programs can call them directly, e.g. to bring
// the schema up to date at start-up.
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/core/engine.hpp"
#include "alchemy/migrate/revision.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy::migrate {

/// The table that records the revision a database is at: one row, or none at base.
inline constexpr std::string_view version_table = "alchemy_version";

enum class Direction { upgrade, downgrade };

/// One revision run in one direction.
struct Step {
    Direction direction = Direction::upgrade;
    Revision revision;
    std::optional<std::string> from;  ///< the database's revision before the step; empty: base
    std::optional<std::string> to;    ///< and after it
};

/// Observes run(): `starting` before a step's transaction begins, `finished` after it
/// committed. When a step fails, the last `starting` names it.
struct Progress {
    std::function<void(const Step&)> starting;
    std::function<void(const Step&, std::chrono::milliseconds elapsed)> finished;
};

/// The revision the database is at; empty at base, also when the version table does not
/// exist (it is not created). Throws MigrationError if the table holds several rows.
std::optional<std::string> current_revision(Engine& engine);

/// "head" (the newest revision; base when there are none), "base", a revision id or an
/// unambiguous prefix of one, as an id (empty for base). Throws MigrationError naming
/// `target` when no revision, or more than one, matches.
std::optional<std::string> resolve_revision(std::span<const Revision> chain, std::string_view target);

/// The steps from `current` to `target`, in the order they run.
///   upgrade:   "head", "+N" (N revisions after current), or a revision at or after current
///   downgrade: "base", "-N" (N revisions back), or a revision at or before current
/// Throws MigrationError for an unknown revision, a target on the wrong side of current,
/// or a current revision that is not in `chain`.
std::vector<Step> plan(std::span<const Revision> chain, const std::optional<std::string>& current,
                       Direction direction, std::string_view target);

/// Runs the steps, each in a transaction of its own: its statements and the version-table
/// update commit together or not at all, so a failure leaves the database at the revision
/// before the failing step. On SQLite foreign keys are switched off around each step (table
/// rebuilds need it) and PRAGMA foreign_key_check must find nothing before COMMIT; a table
/// that a step drops and puts back under the same name gets the dropped one's triggers again
/// (MigrationError naming a trigger that no longer fits it). Creates the version table first
/// when there is anything to run. The error of a failing statement is rethrown unchanged (a
/// DatabaseError with the SQL).
void run(Engine& engine, std::span<const Step> steps, const Progress& progress = {});

/// The SQL run() would send for `steps`, as a script: BEGIN, the statements, the
/// version-table update and COMMIT per revision (offline mode, `--sql`).
std::string render_script(const Dialect& dialect, std::span<const Step> steps);

/// Sets the version row to `revision` (empty: base, no row) without running any revision.
void stamp(Engine& engine, const std::optional<std::string>& revision);

// The same, reading the revision files from `versions_dir` (load_revisions).

/// Upgrades to `target`; returns the steps run.
std::vector<Step> upgrade(Engine& engine, const std::filesystem::path& versions_dir,
                          std::string_view target = "head", const Progress& progress = {});
/// Downgrades to `target`; returns the steps run.
std::vector<Step> downgrade(Engine& engine, const std::filesystem::path& versions_dir,
                            std::string_view target, const Progress& progress = {});
/// Stamps "head", "base" or a revision.
void stamp(Engine& engine, const std::filesystem::path& versions_dir, std::string_view target);
/// The revision the database is at (empty at base); throws MigrationError when the
/// version table names a revision that is not in `versions_dir`.
std::optional<Revision> current(Engine& engine, const std::filesystem::path& versions_dir);
/// The newest revision, if any.
std::optional<Revision> head(const std::filesystem::path& versions_dir);
/// Every revision, newest first.
std::vector<Revision> history(const std::filesystem::path& versions_dir);

}  // namespace alchemy::migrate
