// MetaData: a set of Tables, ordered by foreign-key dependencies, that can create and
// drop itself on an Engine. sa::metadata<Models...>() (model.hpp) fills one from the
// compile-time mapping; the migrations layer compares it with the live database.
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/core/engine.hpp"
#include "alchemy/schema/table.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace alchemy {

class MetaData {
public:
    MetaData() = default;
    explicit MetaData(std::vector<Table> tables);

    /// Adds a table; throws ArgumentError if one with the same name exists.
    void add(Table table);
    const std::vector<Table>& tables() const noexcept { return tables_; }
    /// The table called `name`, or nullptr.
    const Table* table(std::string_view name) const noexcept;

    /// Tables in creation order: every table after the tables it references (a
    /// self-reference does not count). Tables in a reference cycle keep their declared
    /// order; cycle_foreign_keys() names the references that must be added after
    /// creation.
    std::vector<const Table*> sorted_tables() const;
    /// The foreign keys that close a reference cycle, as (table, foreign key) pairs.
    std::vector<std::pair<const Table*, const ForeignKey*>> cycle_foreign_keys() const;

    /// The DDL that creates every table, index and constraint, in order, for `dialect`.
    std::vector<std::string> create_statements(const Dialect& dialect) const;
    /// The DDL that drops everything, in reverse dependency order.
    std::vector<std::string> drop_statements(const Dialect& dialect) const;

    /// Creates all tables and indexes in one transaction; with checkfirst, tables that
    /// already exist are left alone.
    void create_all(Engine& engine, bool checkfirst = true) const;
    /// Drops all tables in one transaction; with checkfirst, missing tables are skipped.
    void drop_all(Engine& engine, bool checkfirst = true) const;

private:
    std::vector<Table> tables_;
};

}  // namespace alchemy
