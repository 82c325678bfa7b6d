// Autogenerate's comparison, without any SQL: which tables and columns of one schema are
// which of the other (by name, or by a declared renamed_from), and what differs between
// the two versions of a table.
#pragma once

#include "alchemy/schema/metadata.hpp"
#include "schema/ddl/ddl.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace alchemy::migrate::detail {

using alchemy::detail::DdlRenderer;

/// True when two server defaults are the same expression. Catalogs hand defaults back
/// reformatted, so both sides are normalised first: surrounding blanks and enclosing
/// parentheses dropped, runs of blanks made one space, and letters outside quotes
/// lower-cased (SQL keywords and unquoted names ignore case). The one place to teach
/// autogenerate what a catalog does to a default.
bool same_server_default(const std::optional<std::string>& a, const std::optional<std::string>& b);
/// True when two CHECK expressions are the same once the way PostgreSQL prints a stored
/// expression back is undone (see canonical_check in diff.cpp).
bool same_check(std::string_view a, std::string_view b);

struct ColumnRename {
    std::string from;
    std::string to;
};

/// A table present on both sides, perhaps under another name.
struct TablePair {
    const Table* from = nullptr;
    const Table* to = nullptr;
    std::vector<ColumnRename> column_renames;  ///< in the order of to's columns

    bool renamed() const { return from->name != to->name; }
};

/// How the tables of two schemas correspond. `from` is the schema a migration starts
/// from, `to` the one it produces.
struct Matching {
    std::vector<TablePair> pairs;
    std::vector<const Table*> added;    ///< only in `to`
    std::vector<const Table*> removed;  ///< only in `from`

    /// The pair whose `to` table is `to`, or nullptr.
    const TablePair* pair_of(const Table* to) const noexcept;
};

/// Pairs tables and columns by name; a `to` table or column whose name `from` lacks is
/// paired with the one named by its renamed_from, if `from` has that and `to` does not.
/// Throws ArgumentError when `from` has it and `to` has it too: a rename cannot keep it.
Matching match(const MetaData& from, const MetaData& to);
/// The same correspondence read the other way (for the downgrade).
Matching reversed(const Matching& matching);

/// The `from` table of `pair` as it stands once the renames of `matching` have run:
/// its own name, its columns and every column or table its constraints name are
/// spelled the `to` way.
Table after_renames(const TablePair& pair, const Matching& matching);

/// Indexes or constraints of one table that differ: a definition that changed under the
/// same name is dropped and added again.
template <class T>
struct ItemChanges {
    std::vector<const T*> dropped;  ///< from `from`
    std::vector<const T*> added;    ///< from `to`
    /// Same definition, new name (matched only where names matter).
    std::vector<std::pair<const T*, const T*>> renamed;

    bool empty() const noexcept { return dropped.empty() && added.empty() && renamed.empty(); }
};

struct ColumnChange {
    const Column* from = nullptr;
    const Column* to = nullptr;
    bool type = false;
    bool nullable = false;
    bool server_default = false;
    bool autoincrement = false;
};

/// What a backend's ALTER statements address, and so what must be compared.
struct DiffOptions {
    /// Types are compared by its spelling of them, a domain's by its base type's, and
    /// without a collation.
    const DdlRenderer* ddl = nullptr;
    /// Constraints are dropped by name (PostgreSQL), so a new name is a change. SQLite
    /// never refers to a constraint by name: there only the definitions count.
    bool constraint_names_matter = true;
    /// Autoincrement is a property of the column (PostgreSQL identity) rather than of
    /// the primary key (SQLite's rowid alias, which follows from the primary key).
    bool compare_autoincrement = true;
    /// Names that differ only in case are one name (SQLite's identifiers): see respelled().
    bool names_ignore_case = false;
};

/// `database` with each table, column and the names its constraints use spelled as in
/// `models` where the two differ only in ASCII case, for a backend to which they are the
/// same name: "Email" in the database and email in the models is one column, not a drop
/// and an add.
MetaData respelled(const MetaData& database, const MetaData& models);

struct TableDiff {
    const Table* from = nullptr;  ///< after renames: named as in `to`
    const Table* to = nullptr;
    std::vector<const Column*> added_columns;    ///< in to's order
    std::vector<const Column*> dropped_columns;  ///< in from's order
    std::vector<ColumnChange> altered_columns;   ///< in to's order
    bool primary_key_changed = false;            ///< other columns (or none on one side)
    bool primary_key_renamed = false;
    ItemChanges<UniqueConstraint> unique_constraints;
    ItemChanges<ForeignKey> foreign_keys;
    ItemChanges<CheckConstraint> check_constraints;
    ItemChanges<Index> indexes;  ///< by name on every backend (DROP INDEX names it)

    bool empty() const noexcept;
};

/// Compares two versions of one table whose names already agree (see after_renames).
TableDiff diff_table(const Table& from, const Table& to, const DiffOptions& options);

}  // namespace alchemy::migrate::detail
