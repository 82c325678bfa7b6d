// Relationship loading: keys gathered from many owners, one SELECT ... WHERE column IN
// (...) per chunk (or BETWEEN, for keys that follow one another), and the rows handed out
// by the identity map, so a loop over the objects of a query costs one statement per
// relationship, not one per object.
#include "alchemy/orm/detail/relationship_loader.hpp"

#include "alchemy/core/error.hpp"
#include "alchemy/orm/detail/model_set.hpp"
#include "orm/model_statements.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace alchemy::detail {
namespace {

/// How the rows of one target are ordered: by `column` (of the target; none when it is
/// the target's column_count), then by its key; or, `unordered`, as the database reads
/// them, for a caller that puts them in order itself or needs none.
struct RowOrder {
    std::size_t column;
    bool descending = false;
    bool unordered = false;
};

/// Runs `SELECT target WHERE column IN (values)` (a BETWEEN when the values follow one
/// another, else in chunks); hands `take` the session's object for each row, and the row.
void select_in(SessionCore& session, const ModelOps& target, std::size_t column,
               std::vector<std::int64_t> values, RowOrder order, ObjectSink take) {
    const auto& dialect = session.dialect_of(target.model_id);
    for (const auto& keys : ModelStatements::key_batches(dialect, target, column, std::move(values))) {
        const auto sql = target.statements.select_where_keys(dialect, target, column, keys, order.column,
                                                             order.descending, order.unordered);
        target.load_rows(session, sql, keys.params, take);
    }
}

std::int64_t key_of(const ModelOps& ops, const void* object) {
    return ops.integer(object, ops.primary_key[0]).value_or(0);
}

/// Integer column `column` of a row select_in read, as the database has it. Rows are
/// paired by these, as SQLAlchemy pairs them: the session's object of a row it held
/// already keeps its own values, which another transaction (or the program, under
/// no_autoflush) may have made differ from the row's.
std::optional<std::int64_t> integer_in(const Cursor& row, std::size_t column) {
    const auto at = static_cast<int>(column);  // select_in reads every column, in column order
    if (row.is_null(at)) return std::nullopt;
    return row.read_int(at);
}

/// The target objects with these keys: from the identity map, the rest in one SELECT.
std::unordered_map<std::int64_t, ObjectAndState> targets_by_key(SessionCore& session,
                                                                const RelationshipOps& rel,
                                                                std::span<const std::int64_t> keys) {
    const auto& target_ops = rel.target();
    auto& targets = session.models(rel.target_id(), target_ops);
    std::unordered_map<std::int64_t, ObjectAndState> found;
    std::vector<std::int64_t> missing;
    for (const auto key : keys) {
        if (found.contains(key)) continue;
        // An expired object is read again with the others: a commit since may have let
        // another transaction change its row.
        auto target = targets.find_key(key);
        if (target.first && !target.second->delete_requested && !target.second->expired)
            found.emplace(key, std::move(target));
        else missing.push_back(key);
    }
    if (!missing.empty()) {
        auto take = [&](ObjectAndState&& loaded, const Cursor&) {
            const auto key = key_of(target_ops, loaded.first.get());
            found.emplace(key, std::move(loaded));
        };
        select_in(session, target_ops, target_ops.primary_key[0], std::move(missing),
                  {.column = target_ops.column_count, .unordered = true}, take);
    }
    return found;
}

/// Reads again the rows of the owners a commit expired (one SELECT), as SQLAlchemy
/// refreshes an expired object before it loads a relationship of it: their foreign keys
/// are those from before the commit, which another transaction may have changed since.
void refresh_expired(SessionCore& session, const ModelOps& owner_ops,
                     std::span<InstanceState* const> owners) {
    std::vector<std::int64_t> keys;
    for (const auto* owner : owners)
        if (owner->expired) keys.push_back(key_of(owner_ops, owner->object));
    if (keys.empty()) return;
    auto refreshed = [](ObjectAndState&&, const Cursor&) {};  // adoption has put each row into its object
    select_in(session, owner_ops, owner_ops.primary_key[0], std::move(keys),
              {.column = owner_ops.column_count, .unordered = true}, refreshed);
}

void load_parents(SessionCore& session, const RelationshipOps& rel, std::span<InstanceState* const> owners) {
    const auto& owner_ops = rel.owner();
    refresh_expired(session, owner_ops, owners);
    // An owner still expired has no row any more: it gets no parent.
    const auto foreign_key = [&](const InstanceState* owner) {
        return owner->expired ? std::nullopt : owner_ops.integer(owner->object, rel.foreign_key);
    };
    std::vector<std::int64_t> keys;
    for (auto* owner : owners)
        if (const auto fk = foreign_key(owner)) keys.push_back(*fk);
    const auto found = targets_by_key(session, rel, keys);
    SessionCore::GroupMaker group(session, rel.target(), keys.size());
    std::vector<LoadedPair> pairs;
    for (auto* owner : owners)
        if (const auto fk = foreign_key(owner))
            if (auto it = found.find(*fk); it != found.end()) {
                pairs.push_back({owner, it->second.first});
                group.add(*it->second.second);
            }
    set_loaded(session, rel, owners, pairs);
}

/// Where each key of a list is in it (the first place, for a key listed twice): open
/// addressing over a table at least twice the list's size, so that the lookup made for
/// each loaded row costs a multiplication and a probe or two, not std::unordered_map's
/// division and node hops.
class KeyIndex {
public:
    explicit KeyIndex(std::span<const std::int64_t> keys) {
        unsigned bits = 4;
        while ((std::size_t{1} << bits) < keys.size() * 2) ++bits;
        shift_ = 64 - bits;
        entries_.assign(std::size_t{1} << bits, {});
        for (std::size_t i = 0; i < keys.size(); ++i) {
            auto& entry = entries_[entry_for(keys[i])];
            if (entry.position == none) entry = {keys[i], i};
        }
    }
    /// The position of `key`, or none.
    std::size_t find(std::int64_t key) const noexcept { return entries_[entry_for(key)].position; }
    static constexpr std::size_t none = static_cast<std::size_t>(-1);

private:
    struct Entry {
        std::int64_t key = 0;
        std::size_t position = none;
    };
    /// The entry holding `key`, or the free one where it would go.
    std::size_t entry_for(std::int64_t key) const noexcept {
        const std::size_t mask = entries_.size() - 1;
        // Fibonacci hashing: the top bits of the product spread keys that come in a run.
        auto i = static_cast<std::size_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15u) >> shift_);
        while (entries_[i].position != none && entries_[i].key != key) i = (i + 1) & mask;
        return i;
    }
    std::vector<Entry> entries_;
    unsigned shift_ = 0;
};

/// The owners' keys, and where in `owners` each key's owner is.
struct OwnerKeys {
    std::vector<std::int64_t> keys;
    KeyIndex index;
};
OwnerKeys owner_keys(const ModelOps& owner_ops, std::span<InstanceState* const> owners) {
    std::vector<std::int64_t> keys;
    keys.reserve(owners.size());
    for (const auto* owner : owners) keys.push_back(key_of(owner_ops, owner->object));
    KeyIndex index(keys);
    return {std::move(keys), std::move(index)};
}

/// Gives each owner's collection room for its share of `pairs` (`counts`, by owner), so
/// that it grows once rather than by doubling.
template <class Collection>
void reserve_collections(std::span<InstanceState* const> owners, std::span<const std::size_t> counts,
                         Collection&& collection_of) {
    for (std::size_t i = 0; i < owners.size(); ++i)
        if (counts[i] > 0) collection_of(owners[i]->object).reserve(counts[i]);
}

void load_children(SessionCore& session, const RelationshipOps& rel, std::span<InstanceState* const> owners) {
    const auto& target_ops = rel.target();
    auto owned = owner_keys(rel.owner(), owners);
    std::vector<LoadedPair> pairs;
    std::vector<std::size_t> counts(owners.size());
    SessionCore::GroupMaker group(session, target_ops, owners.size());
    // Children in key order, without an order of the mapping's, are put in that order
    // here rather than by the database: rows usually come in it anyway (a scan of a
    // SQLite table, or of a PostgreSQL table written in key order), and then no one
    // sorts them. A PostgreSQL sort of 10 000 rows took half of their query's time.
    const bool in_memory = rel.order_column == target_ops.column_count && target_ops.integer_key;
    std::vector<std::int64_t> last_key;  // each owner's child read last, while in order
    if (in_memory) last_key.assign(owners.size(), std::numeric_limits<std::int64_t>::min());
    bool in_order = true;
    // Each child finds its owner and joins the group as it is read, while it is at hand.
    auto take = [&](ObjectAndState&& child, const Cursor& row) {
        const auto fk = integer_in(row, rel.foreign_key);
        if (const auto at = fk ? owned.index.find(*fk) : KeyIndex::none; at != KeyIndex::none) {
            ++counts[at];
            group.add(*child.second);
            if (in_memory && in_order) {
                const auto key = key_of(target_ops, child.first.get());
                in_order = key > last_key[at];
                last_key[at] = key;
            }
            pairs.push_back({owners[at], std::move(child.first)});
        }
    };
    select_in(session, target_ops, rel.foreign_key, std::move(owned.keys),
              {rel.order_column, rel.order_descending, in_memory}, take);
    if (!in_order)
        std::stable_sort(pairs.begin(), pairs.end(), [&](const LoadedPair& a, const LoadedPair& b) {
            return key_of(target_ops, a.target.get()) < key_of(target_ops, b.target.get());
        });
    reserve_collections(owners, counts, [&](void* owner) -> Children& { return rel.children(owner); });
    set_loaded(session, rel, owners, pairs);
}

/// Many-to-many: the association rows of the owners (as the session's objects of the
/// association model), then the targets they name.
void load_associated(SessionCore& session, const RelationshipOps& rel,
                     std::span<InstanceState* const> owners) {
    const auto& association = rel.association();
    auto owned = owner_keys(rel.owner(), owners);
    // The association objects are held until the targets are paired.
    std::vector<std::shared_ptr<void>> rows;
    std::vector<std::size_t> row_owners;
    std::vector<std::int64_t> target_keys;
    auto take = [&](ObjectAndState&& loaded, const Cursor& row) {
        row_owners.push_back(owned.index.find(integer_in(row, rel.foreign_key).value_or(0)));
        target_keys.push_back(integer_in(row, rel.association_target_key).value_or(0));
        rows.push_back(std::move(loaded.first));
    };
    select_in(session, association, rel.foreign_key, std::move(owned.keys), {association.column_count}, take);
    const auto targets = targets_by_key(session, rel, target_keys);
    SessionCore::GroupMaker group(session, rel.target(), targets.size());
    std::vector<LoadedPair> pairs;
    pairs.reserve(rows.size());
    std::vector<std::size_t> counts(owners.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto owner = row_owners[i];
        const auto target = targets.find(target_keys[i]);
        if (owner != KeyIndex::none && target != targets.end()) {
            ++counts[owner];
            pairs.push_back({owners[owner], target->second.first});
            group.add(*target->second.second);
        }
    }
    // In the targets' key order, as joinedload reads them, not the association rows'.
    const auto& target_ops = rel.target();
    std::stable_sort(pairs.begin(), pairs.end(), [&](const LoadedPair& a, const LoadedPair& b) {
        return key_of(target_ops, a.target.get()) < key_of(target_ops, b.target.get());
    });
    reserve_collections(owners, counts, [&](void* owner) -> Associated& { return rel.associated(owner); });
    set_loaded(session, rel, owners, pairs);
}

/// The objects `rel` of `owners` holds now, each once.
std::vector<InstanceState*> reached(const RelationshipOps& rel, std::span<InstanceState* const> owners) {
    std::vector<InstanceState*> out;
    const auto& target_ops = rel.target();
    auto reach = [&](const std::shared_ptr<void>& object) {
        if (auto* state = object ? target_ops.state_of(object) : nullptr) out.push_back(state);
    };
    for (auto* owner : owners) {
        if (rel.to_one()) reach(rel.reference(owner->object).peek());
        else if (rel.kind == RelationshipKind::many_to_many)
            for (const auto& target : rel.associated(owner->object).held()) reach(target);
        else
            for (const auto& child : rel.children(owner->object).held()) reach(child);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

/// The owners whose `rel` is still to load.
std::vector<InstanceState*> unloaded(const RelationshipOps& rel, std::span<InstanceState* const> owners) {
    std::vector<InstanceState*> out;
    for (auto* owner : owners)
        if (owner->state == ObjectState::persistent && !rel.member(owner->object).loaded())
            out.push_back(owner);
    return out;
}

/// The BelongsTo `rel` assignments that wait for the flush: each child's latest (parent
/// null: none), in the order first made. Empty, allocating nothing, when none waits.
class PendingParents {
public:
    PendingParents(const SessionCore& session, const RelationshipOps& rel) {
        session.each_foreign_key_assigned([&](const std::shared_ptr<void>& child,
                                              const RelationshipOps& assigned,
                                              const std::shared_ptr<void>& parent) {
            if (&assigned != &rel) return;
            if (const auto [at, first] = index_.emplace(child.get(), assigned_.size()); first)
                assigned_.emplace_back(child, parent);
            else assigned_[at->second].second = parent;
        });
    }
    bool empty() const noexcept { return assigned_.empty(); }
    /// Whether `child`'s assignment names another parent than `owner`, or none.
    bool moved_away(const void* child, const void* owner) const {
        const auto at = index_.find(child);
        return at != index_.end() && assigned_[at->second].second.get() != owner;
    }
    const auto& assigned() const noexcept { return assigned_; }

private:
    std::vector<std::pair<std::shared_ptr<void>, std::shared_ptr<void>>> assigned_;  ///< child, parent
    std::unordered_map<const void*, std::size_t> index_;                             ///< into assigned_
};

/// The owners' objects, for finding which pending changes concern them.
std::unordered_set<const void*> objects_of(std::span<InstanceState* const> owners) {
    std::unordered_set<const void*> out;
    for (const auto* owner : owners) out.insert(owner->object);
    return out;
}

/// set_children's filling of the owners' collections, which it marked loaded.
void fill_children(const RelationshipOps& rel, std::span<InstanceState* const> owners,
                   std::span<LoadedPair> pairs, const PendingParents& pending) {
    for (auto& pair : pairs) {
        if (!pending.empty() && pending.moved_away(pair.target.get(), pair.owner->object)) continue;
        auto& collection = rel.children(pair.owner->object);
        if (rel.kind == RelationshipKind::one_to_one && !collection.held().empty())
            throw MultipleResultsFound(fmt::format(
                "alchemy: {}.{} is a HasOne, but more than one {} row refers to the same {} (add a "
                "unique constraint on the foreign key, or make it a HasMany)",
                rel.owner().model_name, rel.name, rel.target().model_name, rel.owner().model_name));
        collection.loaded_child(std::move(pair.target));
    }
    if (pending.empty()) return;
    const auto loading = objects_of(owners);
    for (const auto& [child, parent] : pending.assigned()) {
        if (!parent || !loading.contains(parent.get())) continue;
        auto& collection = rel.children(parent.get());
        if (collection.contains(child.get())) continue;
        if (rel.kind == RelationshipKind::one_to_one && !collection.held().empty())
            throw InvalidRequestError(fmt::format(
                "alchemy: {0}.{1} is a HasOne, but a {2} assigned to a {0} waits for the flush "
                "(no_autoflush()) while another {2} row still names that {0}: reading {0}.{1} now "
                "would show two. Give the other {2} another {0}, or none, first; or flush() first "
                "(which refuses two as well, unless the other {2} was deleted)",
                rel.owner().model_name, rel.name, rel.target().model_name));
        collection.loaded_child(child);
    }
}

/// HasMany and HasOne: the children `pairs` found, and the BelongsTo assignments that wait
/// for the flush (SQLAlchemy merges a collection's pending backref changes into its load
/// likewise): a child assigned another parent (or none) is left out, and one assigned to
/// an owner here is put in, so that each collection holds what the flush leaves in the
/// database, and a child's BelongsTo keeps what the program assigned.
void set_children(SessionCore& session, const RelationshipOps& rel, std::span<InstanceState* const> owners,
                  std::span<LoadedPair> pairs) {
    const PendingParents pending(session, *rel.paired());
    // Marked first: a child's BelongsTo read below must not load the parent again.
    for (auto* owner : owners) rel.children(owner->object).mark_loaded();
    try {
        fill_children(rel, owners, pairs, pending);
    } catch (...) {
        // A HasOne with two children: no collection stays loaded with part of them.
        for (auto* owner : owners) rel.children(owner->object).unload(true);
        throw;
    }
}

/// ManyToMany: the links that wait for the flush, made or removed from either side, in
/// the order asked, over what the load found.
void show_pending_links(const SessionCore& session, const RelationshipOps& rel,
                        std::span<InstanceState* const> owners) {
    const auto* pair = rel.paired();
    std::unordered_set<const void*> loading;  // filled at the first link that may concern them
    session.each_link_changed([&](const std::shared_ptr<void>& owner, const RelationshipOps& changed,
                                  const std::shared_ptr<void>& target, bool linked) {
        // The link as seen from the side being loaded: its owner, and the object linked.
        const bool mine = &changed == &rel;
        if (!mine && &changed != pair) return;
        const auto& here = mine ? owner : target;
        const auto& there = mine ? target : owner;
        if (loading.empty()) loading = objects_of(owners);
        if (!loading.contains(here.get())) return;
        auto& collection = rel.associated(here.get());
        if (linked) collection.loaded_target(there);
        else collection.forget(there.get());
    });
}

}  // namespace

void set_loaded(SessionCore& session, const RelationshipOps& rel, std::span<InstanceState* const> owners,
                std::span<LoadedPair> pairs) {
    if (rel.to_one()) {
        // An owner without a pair has no target; one whose target's collection already
        // holds it strongly refers back weakly.
        const auto* pair = rel.paired();
        for (auto* owner : owners) rel.reference(owner->object).loaded_with(nullptr, false);
        for (const auto& [owner, target] : pairs) {
            bool weakly = false;
            if (target && pair)
                if (auto& children = pair->children(target.get()); children.loaded())
                    weakly = children.holds_strongly(owner->object);
            rel.reference(owner->object).loaded_with(target, weakly);
        }
    } else if (rel.kind == RelationshipKind::many_to_many) {
        for (auto* owner : owners) rel.associated(owner->object).mark_loaded();
        for (const auto& [owner, target] : pairs) rel.associated(owner->object).loaded_target(target);
        show_pending_links(session, rel, owners);
    } else {
        set_children(session, rel, owners, pairs);
    }
}

void load_relationship_for(SessionCore& session, const RelationshipOps& rel,
                           std::span<InstanceState* const> owners) {
    if (owners.empty()) return;
    session.autoflush();
    if (rel.to_one()) load_parents(session, rel, owners);
    else if (rel.kind == RelationshipKind::many_to_many) load_associated(session, rel, owners);
    else load_children(session, rel, owners);
    load_eager_of_targets(session, rel, owners);
}

void load_eager_of_targets(SessionCore& session, const RelationshipOps& rel,
                           std::span<InstanceState* const> owners) {
    // As SQLAlchemy's eager chains stop where they lead back, not the relationship back to
    // the objects that loaded them.
    if (loads_eagerly(rel.target()))
        load_eager(session, rel.target(), reached(rel, owners), rel.to_one() ? rel.paired() : nullptr);
}

bool loads_eagerly(const ModelOps& ops) noexcept {
    return std::any_of(ops.relationships.begin(), ops.relationships.end(), [](const RelationshipOps* rel) {
        return rel->lazy == Lazy::selectin || rel->lazy == Lazy::joined;
    });
}

void load_eager(SessionCore& session, const ModelOps& ops, std::span<InstanceState* const> owners,
                const RelationshipOps* skip) {
    for (const auto* rel : ops.relationships) {
        // A joined one the query could not join (get(), a relationship load) comes as selectin.
        if ((rel->lazy != Lazy::selectin && rel->lazy != Lazy::joined) || rel == skip) continue;
        auto pending = unloaded(*rel, owners);
        // A query's lazyload/raiseload for these objects overrides the mapping.
        std::erase_if(pending, [&](InstanceState* owner) {
            return rel->member(owner->object).load_on_access() != LoadStrategy::mapping;
        });
        load_relationship_for(session, *rel, pending);
    }
}

void load_path(SessionCore& session, std::span<InstanceState* const> owners, std::span<const LoadStep> path) {
    std::vector<InstanceState*> level(owners.begin(), owners.end());
    for (const auto& step : path) {
        const auto& rel = *step.rel;
        if (step.strategy == LoadStrategy::lazy || step.strategy == LoadStrategy::raise) {
            // lazyload/raiseload: how these objects load it later; nothing is loaded now,
            // so the path reaches no further.
            for (auto* owner : level) rel.member(owner->object).load_on_access(step.strategy);
            return;
        }
        load_relationship_for(session, rel, unloaded(rel, level));  // a joined step is loaded already
        if (&step != &path.back()) level = reached(rel, level);
    }
}

void load_relationship(SessionCore& session, const RelationshipOps& rel, InstanceState& owner) {
    std::vector<InstanceState*> owners{&owner};
    std::vector<std::shared_ptr<void>> siblings;  // held while they load
    if (const auto* group = session.group_of(owner)) {
        auto& set = session.models(rel.owner_id(), rel.owner());
        for (const auto key : group->keys) {
            auto [object, state] = set.held(key);
            if (!state || state == &owner || state->state != ObjectState::persistent ||
                rel.member(state->object).loaded())
                continue;
            owners.push_back(state);
            siblings.push_back(std::move(object));
        }
    }
    load_relationship_for(session, rel, owners);
}

}  // namespace alchemy::detail
