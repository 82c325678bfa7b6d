// SessionCore::check_tables(): with binds, a statement runs on one engine, so every table
// it names must be there. The typed statements know the tables of their own FROM and JOIN
// only (a subquery passes on just the columns it correlates), so the check reads the
// statement tree, where every nested SELECT is spelled out.
#include "alchemy/core/error.hpp"
#include "alchemy/orm/detail/session_core.hpp"
#include "alchemy/sql/statement_tree.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace alchemy::detail {
namespace {

/// The names a statement tree gives tables by, nested SELECTs included, and the names of
/// its CTEs, which a FROM or JOIN names the same way.
class NamedTables {
public:
    template <class Statement>
    explicit NamedTables(const Statement& statement) {
        add(statement);
    }
    /// The names that are tables, not CTEs.
    std::vector<std::string_view> tables() && {
        std::erase_if(names_, [&](std::string_view name) {
            return std::find(ctes_.begin(), ctes_.end(), name) != ctes_.end();
        });
        return std::move(names_);
    }

private:
    void add(const ast::Node& node) {
        if (node.select) add(*node.select);
        add(node.children);
    }
    void add(const std::vector<ast::Node>& nodes) {
        for (const auto& node : nodes) add(node);
    }
    void add(const ast::TableRef& ref) {
        if (ref.subquery) add(*ref.subquery);
        else if (!ref.values.empty()) add(ref.values);
        else names_.push_back(ref.name);
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
        names_.push_back(insert.table);
        add(insert.values);
        if (insert.from_select) add(*insert.from_select);
        for (const auto& assignment : insert.conflict_set) add(assignment.value);
        add(insert.returning);
    }
    void add(const ast::Update& update) {
        names_.push_back(update.table);
        for (const auto& assignment : update.set) add(assignment.value);
        for (const auto& ref : update.from) add(ref);
        add(update.where);
        add(update.returning);
    }
    void add(const ast::Delete& del) {
        names_.push_back(del.table);
        add(del.where);
        add(del.returning);
    }

    std::vector<std::string_view> names_;
    std::vector<std::string_view> ctes_;
};

}  // namespace

void SessionCore::check_tables(std::size_t model, const ast::Select& statement) const {
    if (has_binds()) check_tables_named(model, NamedTables(statement).tables());
}

void SessionCore::check_tables(std::size_t model, const ast::Insert& statement) const {
    if (has_binds()) check_tables_named(model, NamedTables(statement).tables());
}

void SessionCore::check_tables(std::size_t model, const ast::Update& statement) const {
    if (has_binds()) check_tables_named(model, NamedTables(statement).tables());
}

void SessionCore::check_tables(std::size_t model, const ast::Delete& statement) const {
    if (has_binds()) check_tables_named(model, NamedTables(statement).tables());
}

void SessionCore::check_tables_named(std::size_t model, std::span<const std::string_view> tables) const {
    const auto database = database_of(model);
    for (const auto table : tables) {
        const auto bound = std::find_if(options_.binds.begin(), options_.binds.end(),
                                        [&](const Bind& bind) { return bind.table == table; });
        if ((bound == options_.binds.end() ? 0 : database_of(bound->model)) == database) continue;
        throw InvalidRequestError(fmt::format(
            "alchemy: this statement names table {0}, which is on another engine than the one the "
            "statement runs on (SessionOptions::binds), and a statement runs inside one database: "
            "there its joins, subqueries, EXISTS and CTEs would read another table of that name, or "
            "none; read {0} with a statement of its own and pass its values on (in_() takes a "
            "std::vector), or for a relationship use selectinload or the lazy load",
            table));
    }
}

}  // namespace alchemy::detail
