// Autogenerate: the difference between the live schema and the models, as the SQL that
// moves the database forward (upgrade) and back again (downgrade).
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/schema/metadata.hpp"

#include <string>
#include <vector>

namespace alchemy::migrate {

/// What a revision contains. Each statement is one SQL statement without a trailing ';'.
/// Comments (lines starting "--") may stand between statements.
struct Plan {
    std::vector<std::string> upgrade;
    std::vector<std::string> downgrade;
    /// One line per detected change, e.g. "add column users.email" (for the CLI output
    /// and the revision header).
    std::vector<std::string> changes;
    /// Things a person must review, e.g. "column users.nick dropped and users.nickname
    /// added: if this was a rename, declare sa::renamed_from(&User::nickname, \"nick\")".
    std::vector<std::string> warnings;

    bool empty() const noexcept { return changes.empty(); }
};

/// Compares `database` (as inspected) with `models` and writes both directions of SQL
/// for `dialect`. SQLite changes that ALTER TABLE cannot make are written as a table
/// rebuild (create new, copy rows, drop old, rename, recreate indexes).
Plan autogenerate(const MetaData& database, const MetaData& models, const Dialect& dialect);

}  // namespace alchemy::migrate
