// SessionCore::check_tables(): with binds, a statement runs on one engine, so every table
// it names must be there; a model's table is placed by its model, not its name.
// SessionCore::calls_server_function(): a select that calls a server function may write, so it does not go to
// the read replica.
// SessionCore::tables_read(): a yield_per() loop on SQLite keeps its SELECT stepping, so a write to any table
// it reads may change what it returns. The typed statements know the tables of their own FROM and JOIN only
// (a subquery passes on just the columns it correlates), so all three read the statement tree, where every
// nested SELECT is spelled out.
#include "alchemy/core/error.hpp"
#include "alchemy/orm/detail/session_core.hpp"
#include "alchemy/sql/statement_tree.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace alchemy::detail {
namespace {

/// The tables a statement tree names, nested SELECTs included, but the one an INSERT,
/// UPDATE or DELETE writes, which is its model's; the names of its CTEs, which a FROM or
/// JOIN names the same way; and the functions it calls.
class StatementNames {
public:
    template <class Statement>
    explicit StatementNames(const Statement& statement) {
        add(statement);
    }
    /// The tables, CTEs left out.
    std::vector<NamedTable> tables() && {
        std::erase_if(tables_, [&](const NamedTable& table) {
            return !table.model && std::find(ctes_.begin(), ctes_.end(), table.name) != ctes_.end();
        });
        return std::move(tables_);
    }
    const std::vector<std::string_view>& functions() const noexcept { return functions_; }

private:
    void add(const ast::Node& node) {
        if (node.kind == ast::Kind::function) functions_.push_back(node.text);
        if (node.select) add(*node.select);
        add(node.children);
    }
    void add(const std::vector<ast::Node>& nodes) {
        for (const auto& node : nodes) add(node);
    }
    void add(const ast::TableRef& ref) {
        if (ref.subquery) add(*ref.subquery);
        else if (!ref.values.empty()) add(ref.values);
        else tables_.push_back({ref.name, ref.model});
    }
    void add(const ast::Select& s) {
        for (const auto& cte : s.ctes) {
            ctes_.push_back(cte.name);
            add(*cte.select);
        }
        add(s.columns);
        for (const auto& ref : s.from) add(ref);
        for (const auto& join : s.joins) {
            add(join.table);
            add(join.on);
        }
        add(s.where);
        add(s.group_by);
        add(s.having);
        for (const auto& item : s.order_by) add(item.expression);
        for (const auto& member : s.compound) add(*member.second);
    }
    void add(const ast::Insert& insert) {
        add(insert.values);
        if (insert.from_select) add(*insert.from_select);
        for (const auto& assignment : insert.conflict_set) add(assignment.value);
        add(insert.returning);
    }
    void add(const ast::Update& update) {
        for (const auto& assignment : update.set) add(assignment.value);
        for (const auto& ref : update.from) add(ref);
        add(update.where);
        add(update.returning);
    }
    void add(const ast::Delete& del) {
        add(del.where);
        add(del.returning);
    }

    std::vector<NamedTable> tables_;
    std::vector<std::string_view> ctes_;
    std::vector<std::string_view> functions_;
};

}  // namespace

void SessionCore::check_tables(std::size_t model, const ast::Select& statement) const {
    if (has_binds()) check_tables_named(model, StatementNames(statement).tables());
}

void SessionCore::check_tables(std::size_t model, const ast::Insert& statement) const {
    if (has_binds()) check_tables_named(model, StatementNames(statement).tables());
}

void SessionCore::check_tables(std::size_t model, const ast::Update& statement) const {
    if (has_binds()) check_tables_named(model, StatementNames(statement).tables());
}

void SessionCore::check_tables(std::size_t model, const ast::Delete& statement) const {
    if (has_binds()) check_tables_named(model, StatementNames(statement).tables());
}

std::vector<std::string> SessionCore::tables_read(const ast::Select& statement) {
    std::vector<std::string> names;
    for (const auto& table : StatementNames(statement).tables())
        if (std::find(names.begin(), names.end(), table.name) == names.end()) names.emplace_back(table.name);
    return names;
}

bool SessionCore::calls_server_function(const ast::Select& statement) {
    // The functions alchemy's own expressions call (sql/functions.hpp, sql/window.hpp):
    // they only read. Whatever sa::func names may write or take a lock.
    static constexpr std::array<std::string_view, 12> reading{"count",  "sum",        "avg",   "min",
                                                              "max",    "coalesce",   "lower", "upper",
                                                              "length", "row_number", "rank",  "dense_rank"};
    const StatementNames names(statement);
    return std::any_of(names.functions().begin(), names.functions().end(), [](std::string_view name) {
        return std::find(reading.begin(), reading.end(), name) == reading.end();
    });
}

void SessionCore::check_tables_named(std::size_t model, std::span<const NamedTable> tables) const {
    const auto database = database_of(model);
    for (const auto& table : tables) {
        // A model's table is placed by its model, as two models may name one table on two
        // engines; a table the tree names only by name, by the bound model of that name.
        const auto bound = std::find_if(options_.binds.begin(), options_.binds.end(), [&](const Bind& bind) {
            return table.model ? bind.identity == table.model : bind.table == table.name;
        });
        if ((bound == options_.binds.end() ? 0 : database_of(bound->model)) == database) continue;
        throw InvalidRequestError(fmt::format(
            "alchemy: this statement names table {0}, which is on another engine than the one the "
            "statement runs on (SessionOptions::binds), and a statement runs inside one database: "
            "there its joins, subqueries, EXISTS and CTEs would read another table of that name, or "
            "none; read {0} with a statement of its own and pass its values on (in_() takes a "
            "std::vector), or for a relationship use selectinload or the lazy load",
            table.name));
    }
}

}  // namespace alchemy::detail
