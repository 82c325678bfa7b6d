// A HasOne allows one child (SQLAlchemy's uselist=False). Memory cannot tell when a
// second child is written: the owner's child may never have been loaded, or the program
// may set the foreign-key column itself. So after a flush has written rows whose foreign
// key names the owner of a HasOne, one statement per such relationship (in the flush's
// transaction) finds the owners several rows now refer to, and fails the flush, which
// then undoes itself as any failed flush does (SessionCore::flush). A unique constraint
// on the foreign key has the database refuse the second row itself: no check then. An
// autoflush that leaves a replaced child for the commit to delete checks its owner at a
// later flush, once the child is gone (unchecked_owners_).
#include "alchemy/core/error.hpp"
#include "alchemy/orm/detail/model_set.hpp"
#include "alchemy/orm/detail/relationship_ops.hpp"
#include "alchemy/orm/detail/session_core.hpp"
#include "orm/model_statements.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace alchemy::detail {
namespace {

/// Whether the table's constraints keep `column` unique on their own.
bool unique_by_schema(const Table& table, std::string_view column) {
    const auto only = [&](const std::vector<std::string>& columns) {
        return columns.size() == 1 && columns[0] == column;
    };
    return only(table.primary_key.columns) ||
           std::any_of(table.unique_constraints.begin(), table.unique_constraints.end(),
                       [&](const UniqueConstraint& u) { return only(u.columns); }) ||
           std::any_of(table.indexes.begin(), table.indexes.end(),
                       [&](const Index& i) { return i.unique && only(i.columns); });
}

}  // namespace

void ModelSetCore::written_values(std::size_t column, std::vector<std::int64_t>& out) const {
    for (const auto& w : inserts_)
        if (const auto value = ops_.integer(w.state->object, column)) out.push_back(*value);
    for (const auto& u : updates_)
        if (u.changed.test(column))
            if (const auto value = ops_.integer(u.state->object, column)) out.push_back(*value);
}

void SessionCore::check_single_children(std::span<ModelSetCore* const> written) {
    // Owners an earlier autoflush left unchecked (check_single_child) are checked now too,
    // with those of their relationship this flush wrote or, if it wrote none, on their own.
    auto unchecked = std::exchange(unchecked_owners_, {});
    std::vector<std::int64_t> owners;
    const auto take_unchecked = [&](const RelationshipOps* rel) {
        for (const auto& u : unchecked)
            if (u.first == rel) owners.push_back(u.second);
        std::erase_if(unchecked, [&](const auto& u) { return u.first == rel; });
    };
    for (auto* set : written) {
        for (const auto* rel : set->ops().relationships) {
            if (!checks_single_child(*rel)) continue;
            owners.clear();
            set->written_values(rel->foreign_key, owners);
            take_unchecked(rel);
            check_single_child(*rel, owners);
        }
    }
    while (!unchecked.empty()) {
        owners.clear();
        const auto* rel = unchecked.front().first;
        take_unchecked(rel);
        check_single_child(*rel, owners);
    }
}

bool SessionCore::checks_single_child(const RelationshipOps& rel) {
    const auto* has_one = rel.to_one() ? rel.paired() : nullptr;
    if (!has_one || has_one->kind != RelationshipKind::one_to_one) return false;
    const auto& table = rel.owner().table();
    return !unique_by_schema(table, table.columns[rel.foreign_key].name);
}

void SessionCore::check_single_child(const RelationshipOps& rel, std::vector<std::int64_t>& owners) {
    // An autoflush leaves a replaced child (delete_orphan) for the commit to delete, its
    // row still naming its owner: that owner is checked by a later flush, once it is gone.
    for (const auto& w : foreign_keys_) {
        if (!w.waiting || w.rel != &rel) continue;
        const auto owner = rel.owner().integer(w.state->snapshot, rel.foreign_key);
        if (!owner || std::find(owners.begin(), owners.end(), *owner) == owners.end()) continue;
        std::erase(owners, *owner);
        unchecked_owners_.emplace_back(&rel, *owner);
    }
    if (owners.empty()) return;
    const auto& ops = rel.owner();
    auto& conn = write_connection(ops.model_id);
    std::vector<std::pair<std::int64_t, std::int64_t>> shared;  // owner key, rows
    for (const auto& keys :
         ModelStatements::key_batches(conn.dialect(), ops, rel.foreign_key, std::move(owners))) {
        const auto sql = ops.statements.shared_values(conn.dialect(), ops, rel.foreign_key, keys);
        for (auto [key, rows] : conn.execute_sql(sql, keys.params).as<std::int64_t, std::int64_t>())
            shared.emplace_back(key, rows);
    }
    if (shared.empty()) return;
    const auto& has_one = *rel.paired();
    const auto& owner = has_one.owner();
    const auto& table = ops.table();
    throw FlushError(fmt::format(
        "alchemy: {0}.{1} is a HasOne, which allows one {2} per {0}, but after this flush {3} "
        "{2} rows refer to the {0} with key {4}{5} (rows never loaded count too), so the flush is "
        "undone. Take the other {2} from that {0} first (or delete it), make the relationship a "
        "HasMany, or have the database refuse a second row with a unique constraint on {6}.{7}",
        owner.model_name, has_one.name, ops.model_name, shared[0].second, shared[0].first,
        shared.size() > 1
            ? fmt::format(", and several to each of {} other {} objects", shared.size() - 1, owner.model_name)
            : std::string(),
        table.name, table.columns[rel.foreign_key].name));
}

}  // namespace alchemy::detail
