// joinedload: the query's SELECT gains, per joined relationship, a LEFT OUTER JOIN of the
// target's table under an alias of its own (j1, j2, ...; a many-to-many also joins its
// association table as a1, a2, ...) and the target's columns after the others. A step
// that continues a path joins to the alias of the step before it. The query becomes a
// subquery (anon_1) that the joins hang from, as SQLAlchemy does, where joined rows would
// change what it selects: a LIMIT or OFFSET with a joined collection would count joined
// rows, not owners, and GROUP BY, HAVING and DISTINCT (and a UNION's members) would
// group, filter or compare them, for a to-one relationship too.
#include "alchemy/orm/detail/joined_loader.hpp"

#include "alchemy/core/error.hpp"
#include "alchemy/orm/detail/model_set.hpp"
#include "alchemy/orm/detail/relationship_loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace alchemy::detail {
namespace {

// Aliases are string_views in the statement tree, so they live here.
constexpr std::array<std::string_view, 8> target_aliases{"j1", "j2", "j3", "j4", "j5", "j6", "j7", "j8"};
constexpr std::array<std::string_view, 8> association_aliases{"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"};
constexpr std::string_view subquery_alias = "anon_1";

ast::Node column(const Table& table, std::size_t c, std::string_view qualifier) {
    return ast::Node(ast::Kind::column, table.columns[c].name, qualifier);
}

ast::Node equals(ast::Node left, ast::Node right) {
    ast::Node n{ast::Kind::binary, "="};
    n.children.push_back(std::move(left));
    n.children.push_back(std::move(right));
    return n;
}

std::size_t count_parameters(const ast::Select& s);

std::size_t count_parameters(const ast::Node& node) {
    std::size_t n = node.kind == ast::Kind::parameter ? 1 : 0;
    for (const auto& child : node.children) n += count_parameters(child);
    if (node.select) n += count_parameters(*node.select);
    return n;
}

/// The bound values a statement's text holds, wherever they stand in it.
std::size_t count_parameters(const ast::Select& s) {
    std::size_t n = (s.limit ? 1 : 0) + (s.offset ? 1 : 0);
    const auto add = [&](const std::vector<ast::Node>& nodes) {
        for (const auto& node : nodes) n += count_parameters(node);
    };
    const auto add_table = [&](const ast::TableRef& table) {
        if (table.subquery) n += count_parameters(*table.subquery);
        add(table.values);
    };
    for (const auto& cte : s.ctes) n += count_parameters(*cte.select);
    add(s.columns);
    for (const auto& table : s.from) add_table(table);
    for (const auto& join : s.joins) {
        add_table(join.table);
        n += count_parameters(join.on);
    }
    add(s.where);
    add(s.group_by);
    add(s.having);
    for (const auto& item : s.order_by) n += count_parameters(item.expression);
    for (const auto& [op, member] : s.compound) n += count_parameters(*member);
    return n;
}

/// True when ORDER BY item `node` is a column the subquery has under its own name: one of
/// the owner table's, or an output column named alone (a UNION orders by those).
bool owner_column(const ast::Node& node, const Table& table) {
    return node.kind == ast::Kind::column && (node.qualifier == table.name || node.qualifier.empty());
}

/// The query as a subquery the joins hang from: SELECT anon_1.<columns> FROM (query) AS
/// anon_1, ordered as the query was. The outer query sees no table of the query's but
/// anon_1, so an ORDER BY item other than an owner column (another table's column, an
/// expression) becomes a column of the subquery labelled anon_2, anon_3, ... (stored in
/// `labels`), which both ORDER BYs name; not under DISTINCT, which would compare it.
ast::Select wrap(ast::Select query, const ModelOps& owner_ops, std::vector<std::string>& labels) {
    const auto& table = owner_ops.table();
    ast::Select outer;
    for (std::size_t c = 0; c < table.columns.size(); ++c)
        outer.columns.push_back(column(table, c, subquery_alias));
    // The labels are string_views into `labels`: no reallocation once they are taken.
    labels.reserve(query.order_by.size());
    for (auto& item : query.order_by) {
        if (owner_column(item.expression, table)) {
            outer.order_by.push_back(
                {ast::Node(ast::Kind::column, item.expression.text, subquery_alias), item.ordering});
            continue;
        }
        // As a column of the subquery it would be compared by DISTINCT too: an owner
        // would come once per value, and a LIMIT would count those rows.
        if (query.distinct)
            throw InvalidRequestError(fmt::format(
                "alchemy: joinedload of a DISTINCT query of {0} ordered by another table's column or "
                "an expression would have DISTINCT compare that value too, returning a {0} once per "
                "value; order by {0}'s columns, or drop distinct()",
                owner_ops.model_name));
        const std::string_view label = labels.emplace_back("anon_" + std::to_string(labels.size() + 2));
        query.labels.resize(query.columns.size());
        query.columns.push_back(std::move(item.expression));
        query.labels.push_back(label);
        item.expression = ast::Node(ast::Kind::column, label);
        outer.order_by.push_back({ast::Node(ast::Kind::column, label, subquery_alias), item.ordering});
    }
    ast::TableRef from;
    from.alias = subquery_alias;
    from.subquery = std::make_shared<const ast::Select>(std::move(query));
    outer.from.push_back(std::move(from));
    return outer;
}

void join(ast::Select& s, const Table& table, std::string_view alias, ast::Node on) {
    ast::Join j;
    j.left = true;
    j.table.name = table.name;
    j.table.alias = alias;
    j.on = std::move(on);
    s.joins.push_back(std::move(j));
}

/// Adds `rel`'s joins and its target's columns; `owner` is how the owner's table is named.
void add_join(ast::Select& s, const RelationshipOps& rel, std::size_t index, std::string_view owner) {
    const auto& owner_ops = rel.owner();
    const auto& owner_table = owner_ops.table();
    const auto& target_ops = rel.target();
    const auto& target = target_ops.table();
    const auto alias = target_aliases[index];
    const auto target_key = target_ops.primary_key[0];
    const auto owner_key = owner_ops.primary_key[0];
    switch (rel.kind) {
    case RelationshipKind::many_to_one:
        join(s, target, alias,
             equals(column(target, target_key, alias), column(owner_table, rel.foreign_key, owner)));
        break;
    case RelationshipKind::one_to_many:
    case RelationshipKind::one_to_one:
        join(s, target, alias,
             equals(column(target, rel.foreign_key, alias), column(owner_table, owner_key, owner)));
        break;
    case RelationshipKind::many_to_many: {
        const auto& association = rel.association().table();
        const auto link = association_aliases[index];
        join(s, association, link,
             equals(column(association, rel.foreign_key, link), column(owner_table, owner_key, owner)));
        join(
            s, target, alias,
            equals(column(target, target_key, alias), column(association, rel.association_target_key, link)));
        break;
    }
    }
    for (std::size_t c = 0; c < target.columns.size(); ++c) s.columns.push_back(column(target, c, alias));
    if (rel.to_one()) return;
    // A collection's rows in its order_by, then by key, whatever the owners' order.
    if (rel.order_column < target_ops.column_count)
        s.order_by.push_back({column(target, rel.order_column, alias), {.descending = rel.order_descending}});
    for (const auto key_column : target_ops.primary_key)
        s.order_by.push_back({column(target, key_column, alias), {}});
}

/// The objects one joined step's owners are, once each, in row order.
struct Owners {
    std::vector<InstanceState*> states;
    std::unordered_set<const void*> seen;

    /// True when `object` is new here.
    bool add(const void* object, InstanceState* state) {
        if (!seen.insert(object).second) return false;
        states.push_back(state);
        return true;
    }
};

}  // namespace

std::vector<JoinedStep> joined_steps(const ModelOps& owner_ops,
                                     std::span<const std::vector<LoadStep>> paths) {
    std::vector<JoinedStep> steps;
    auto named_first = [&](const RelationshipOps* rel) {
        return std::any_of(paths.begin(), paths.end(),
                           [&](const auto& path) { return path.front().rel == rel; });
    };
    for (const auto* rel : owner_ops.relationships)
        if (rel->lazy == Lazy::joined && !named_first(rel)) steps.push_back({rel, JoinedStep::root});
    for (const auto& path : paths) {
        std::size_t parent = JoinedStep::root;
        for (const auto& step : path) {
            if (step.strategy != LoadStrategy::joined) break;  // the rest loads after the query
            auto same = std::find_if(steps.begin(), steps.end(), [&](const JoinedStep& s) {
                return s.rel == step.rel && s.parent == parent;
            });
            if (same == steps.end()) same = steps.insert(steps.end(), {step.rel, parent});
            parent = static_cast<std::size_t>(same - steps.begin());
        }
    }
    return steps;
}

std::vector<std::shared_ptr<void>> load_joined(SessionCore& session, const ModelOps& owner_ops,
                                               ast::Select query, std::span<const Param> params,
                                               std::span<const JoinedStep> joined) {
    if (joined.size() > target_aliases.size())
        throw ArgumentError(
            "alchemy: a query joins at most 8 relationships (joinedload options, their paths and "
            "lazy(sa::Lazy::joined) mappings); load the others with selectinload");
    for (const auto& step : joined) {
        session.check_same_database(owner_ops.model_id, step.rel->target().model_id);
        if (step.rel->kind == RelationshipKind::many_to_many)
            session.check_same_database(owner_ops.model_id, step.rel->association().model_id);
    }
    const auto& table = owner_ops.table();
    const bool collection =
        std::any_of(joined.begin(), joined.end(), [](const JoinedStep& step) { return !step.rel->to_one(); });
    // Joined rows must not reach what combines the query's rows or counts them.
    const bool combines_rows =
        !query.group_by.empty() || !query.having.empty() || query.distinct || !query.compound.empty();
    const bool wrapped = combines_rows || (collection && (query.limit || query.offset));
    // Wrapped, the ORDER BY's values move with its expressions into the subquery's columns
    // (an owner column has none): from the last ones before LIMIT and OFFSET to the first
    // ones after the columns' own (a query binds in text order).
    std::vector<Param> wrapped_params;
    if (wrapped) {
        std::size_t order_values = 0;
        for (const auto& item : query.order_by) order_values += count_parameters(item.expression);
        if (order_values > 0) {
            std::size_t before = 0;
            for (const auto& cte : query.ctes) before += count_parameters(*cte.select);
            for (const auto& c : query.columns) before += count_parameters(c);
            const std::size_t limits = (query.limit ? 1 : 0) + (query.offset ? 1 : 0);
            if (before + order_values + limits > params.size())
                throw InvalidRequestError(
                    "alchemy: a joined query has fewer values than its columns, ORDER BY and LIMIT");
            wrapped_params.assign(params.begin(), params.end());
            const auto order_end = wrapped_params.end() - static_cast<std::ptrdiff_t>(limits);
            std::rotate(wrapped_params.begin() + static_cast<std::ptrdiff_t>(before),
                        order_end - static_cast<std::ptrdiff_t>(order_values), order_end);
            params = wrapped_params;
        }
    }
    std::vector<std::string> order_labels;
    ast::Select s = wrapped ? wrap(std::move(query), owner_ops, order_labels) : std::move(query);
    const std::string_view root = wrapped ? subquery_alias : std::string_view(table.name);
    std::vector<int> first_column;
    int next = static_cast<int>(owner_ops.column_count);
    for (std::size_t i = 0; i < joined.size(); ++i) {
        const auto parent = joined[i].parent;
        add_join(s, *joined[i].rel, i, parent == JoinedStep::root ? root : target_aliases[parent]);
        first_column.push_back(next);
        next += static_cast<int>(joined[i].rel->target().column_count);
    }

    session.check_tables(owner_ops.model_id, s);
    session.autoflush();
    std::vector<std::shared_ptr<void>> roots;
    Owners root_owners;
    // Per step: the objects it reached in the current row (null: none), the owners it
    // loads for, and what the rows paired, once each (collections repeat their owner,
    // and two joined collections multiply each other's rows).
    std::vector<ObjectAndState> reached(joined.size());
    std::vector<Owners> owners(joined.size());
    std::vector<std::vector<LoadedPair>> pairs(joined.size());
    std::vector<std::set<std::pair<const void*, const void*>>> paired(joined.size());
    auto& conn = session.select_connection(owner_ops.model_id, [&]() -> const ast::Select& { return s; });
    conn.execute_sql(ast::render(conn.dialect(), s), params).each_row([&](const Cursor& row) {
        const auto adopted = owner_ops.adopt_row(session, row, 0);
        if (root_owners.add(adopted.first.get(), adopted.second)) roots.push_back(adopted.first);
        for (std::size_t i = 0; i < joined.size(); ++i) {
            const auto parent = joined[i].parent;
            const auto& [owner, owner_state] = parent == JoinedStep::root ? adopted : reached[parent];
            reached[i] = {};
            if (!owner) continue;  // the step before matched no row
            owners[i].add(owner.get(), owner_state);
            reached[i] = joined[i].rel->target().adopt_row(session, row, first_column[i]);
            const auto& target = reached[i].first;
            if (target && paired[i].emplace(owner.get(), target.get()).second)
                pairs[i].push_back({owner_state, target});
        }
    });
    session.remember_group(owner_ops, root_owners.states);
    // Per step: the owners it loaded for.
    std::vector<std::vector<InstanceState*>> loaded(joined.size());
    for (std::size_t i = 0; i < joined.size(); ++i) {
        const auto& rel = *joined[i].rel;
        // Owners whose relationship was loaded before keep what they hold.
        for (auto* owner : owners[i].states)
            if (!rel.member(owner->object).loaded()) loaded[i].push_back(owner);
        std::erase_if(pairs[i], [&](const LoadedPair& p) { return rel.member(p.owner->object).loaded(); });
        SessionCore::GroupMaker group(session, rel.target(), pairs[i].size());
        for (const auto& pair : pairs[i]) group.add(*rel.target().state_of(pair.target));
        set_loaded(session, rel, loaded[i], pairs[i]);
    }
    // Once every step is loaded, so that what a later step joined is not loaded again.
    for (std::size_t i = 0; i < joined.size(); ++i) load_eager_of_targets(session, *joined[i].rel, loaded[i]);
    return roots;
}

}  // namespace alchemy::detail
