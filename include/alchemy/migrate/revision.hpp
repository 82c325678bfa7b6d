// Revision files: plain SQL a person can read and edit, in <dir>/versions/.
//
//   -- alchemy revision
//   -- revision: 1f3a9c2b7d4e
//   -- down_revision: none            (or the parent's id)
//   -- message: Add User Table
//   -- created: 2026-11-23 21:40:00 UTC
//
//   -- upgrade
//   CREATE TABLE ...;
//
//   -- downgrade
//   DROP TABLE ...;
#pragma once

#include "alchemy/core/dialect.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy::migrate {

struct Revision {
    std::string id;
    std::optional<std::string> down_revision;  ///< empty: the first revision
    std::string message;
    std::string created;    ///< as written in the header
    std::string upgrade;    ///< SQL text of the upgrade section
    std::string downgrade;  ///< SQL text of the downgrade section
    std::filesystem::path path;
};

/// Reads every revision in `versions_dir` and returns them in chain order, base first.
/// Throws MigrationError naming the files for a malformed header, a duplicate id, a
/// missing parent, two heads (branches) or a cycle.
std::vector<Revision> load_revisions(const std::filesystem::path& versions_dir);

/// Writes a new revision file (named <id>_<slug of message>.sql) and returns it.
Revision write_revision(const std::filesystem::path& versions_dir, std::string message,
                        std::optional<std::string> down_revision, const std::vector<std::string>& upgrade,
                        const std::vector<std::string>& downgrade,
                        const std::vector<std::string>& header_notes = {});

/// Splits a section's SQL into statements at ';' outside quotes and comments, by the
/// lexical rules of `lexicon` (the database's: Dialect::lexicon()). Throws MigrationError
/// when a string, quoted name, dollar quote or comment is never closed.
std::vector<std::string> split_statements(std::string_view sql, SqlLexicon lexicon = {});

}  // namespace alchemy::migrate
