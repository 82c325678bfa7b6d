// The delete and merge cascades, as SQLAlchemy names them: what happens to the objects related to
// one the program deletes (delete: they are deleted too; otherwise their foreign key is
// set to NULL, and a deleted object's association rows go), and to a child taken out of
// its parent's collection (delete-orphan: it is deleted at the next explicit flush or
// commit; an autoflush leaves it be, as it may be on its way to another parent). passive_deletes leaves the
// rows of an unloaded collection to the database's ON DELETE instead of loading them. merge: session.merge()
// of an object merges what its loaded relationships hold too.
#include "alchemy/orm/detail/model_set.hpp"
#include "alchemy/orm/detail/relationship_loader.hpp"
#include "alchemy/orm/detail/relationship_members.hpp"

#include <unordered_set>
#include <utility>
#include <vector>

namespace alchemy::detail {

/// What a delete's first walk has read, held until the second has marked it.
struct DeleteReach {
    std::unordered_set<const InstanceState*> read;
    std::vector<std::shared_ptr<void>> held;
};

namespace {

/// Whether deleting the owner must load `rel` first to do its part.
bool read_before_delete(const RelationshipOps& rel) noexcept {
    if (rel.to_one()) return rel.cascade_delete;
    return !rel.passive_deletes;
}

/// The object `rel` leads to, if it belongs to `session`.
InstanceState* attached_target(SessionCore& session, const RelationshipOps& rel,
                               const std::shared_ptr<void>& object) {
    auto* state = object ? rel.target().state_of(object) : nullptr;
    return state && state->session == &session ? state : nullptr;
}

/// Whether `rel` of `object` lost objects it held weakly: what it holds now is not all.
bool dropped_any(const RelationshipOps& rel, void* object) {
    switch (rel.kind) {
    case RelationshipKind::many_to_one: return rel.reference(object).dropped();
    case RelationshipKind::one_to_many:
    case RelationshipKind::one_to_one: return rel.children(object).dropped_any();
    case RelationshipKind::many_to_many: return rel.associated(object).dropped_any();
    }
    return false;
}

/// Calls visit(rel, object, cascades) for each object that a loaded relationship of
/// `state` holds and a delete of `state` concerns; `cascades`: the delete goes on to it.
template <class Visit>
void for_each_delete_edge(const ModelOps& ops, InstanceState& state, Visit&& visit) {
    for (const auto* rel : ops.relationships) {
        if (!rel->member(state.object).loaded()) continue;
        switch (rel->kind) {
        case RelationshipKind::many_to_one:
            if (rel->cascade_delete) visit(*rel, rel->reference(state.object).peek(), true);
            break;
        case RelationshipKind::one_to_many:
        case RelationshipKind::one_to_one: {
            auto& children = rel->children(state.object);
            children.items();  // read again if the program dropped a child it held weakly
            for (const auto& child : children.held())
                visit(*rel, child, rel->cascade_delete || rel->delete_orphan);
            break;
        }
        case RelationshipKind::many_to_many: {
            auto& links = rel->associated(state.object);
            links.items();
            for (const auto& target : links.held()) visit(*rel, target, rel->cascade_delete);
            break;
        }
        }
    }
}

}  // namespace

// A delete is read, then marked: the first walk loads every relationship the cascades
// reach, so a load that fails leaves the session as it was; the second loads nothing.
void ModelSetCore::delete_with_cascades(InstanceState& state) {
    DeleteReach reach;
    read_for_delete(state, reach);
    mark_for_delete(state);
}

void ModelSetCore::read_for_delete(InstanceState& state, DeleteReach& reach) {
    if (state.state != ObjectState::persistent || state.delete_requested) return;
    if (!reach.read.insert(&state).second) return;
    // What the delete cascades to must be read where it will be deleted, not from a
    // replica that may lag behind.
    session_.will_write();
    load_for_delete(state);
    for_each_delete_edge(
        ops_, state, [&](const RelationshipOps& rel, const std::shared_ptr<void>& object, bool cascades) {
            if (auto* target = cascades ? attached_target(session_, rel, object) : nullptr)
                session_.models(rel.target_id(), rel.target()).read_for_delete(*target, reach);
            reach.held.push_back(object);
        });
}

void ModelSetCore::mark_for_delete(InstanceState& state) {
    if (state.state == ObjectState::pending) {  // it has no row: it just leaves the session
        expunge(state);
        return;
    }
    if (state.state != ObjectState::persistent || state.delete_requested) return;
    const auto held = state.self.lock();  // held while its relationships are walked
    session_.marked_deleted(state);
    state.delete_requested = true;
    for_each_delete_edge(
        ops_, state, [&](const RelationshipOps& rel, const std::shared_ptr<void>& object, bool cascades) {
            if (rel.kind == RelationshipKind::many_to_many)
                rel.associated(state.object).remove(object.get());  // its association row goes at the flush
            else if (!cascades)  // SQLAlchemy's default: the child stays, with no parent
                rel.children(state.object).remove(object.get());
            if (auto* target = cascades ? attached_target(session_, rel, object) : nullptr)
                session_.models(rel.target_id(), rel.target()).mark_for_delete(*target);
        });
}

void ModelSetCore::load_for_delete(InstanceState& state) {
    for (const auto* rel : ops_.relationships) {
        if (!read_before_delete(*rel)) continue;
        // A parent held weakly that the program dropped is no "no parent": read it again,
        // as get() would.
        if (rel->to_one() && rel->reference(state.object).dropped()) rel->reference(state.object).unload();
        if (!rel->member(state.object).loaded()) load_relationship(session_, *rel, state);
    }
}

void ModelSetCore::merge_relationships(const void* source, InstanceState& target, MergeMemo& memo) {
    auto* values = const_cast<void*>(source);  // only read: the members' const readers are not exposed
    for (const auto* rel : ops_.relationships) {
        // A member the program never loaded or set says nothing: the session's stays; nor
        // does one that lost objects it held weakly (the program dropped them).
        if (!rel->cascade_merge || !rel->member(values).loaded() || dropped_any(*rel, values)) continue;
        const auto& target_ops = rel->target();
        auto merged = [&](const std::shared_ptr<void>& object) {
            return object ? target_ops.merge_object(session_, object, memo) : nullptr;
        };
        std::vector<std::shared_ptr<void>> wanted;
        switch (rel->kind) {
        case RelationshipKind::many_to_one: {
            auto parent = merged(rel->reference(values).peek());
            auto& current = rel->reference(target.object);
            // A parent the program dropped reads as null, yet the key still names it.
            if (current.dropped() || current.peek() != parent) current.set(std::move(parent));
            break;
        }
        case RelationshipKind::one_to_many:
        case RelationshipKind::one_to_one:
            for (const auto& child : rel->children(values).held()) wanted.push_back(merged(child));
            rel->children(target.object).assign(wanted);
            break;
        case RelationshipKind::many_to_many:
            for (const auto& linked : rel->associated(values).held()) wanted.push_back(merged(linked));
            rel->associated(target.object).assign(wanted);
            break;
        }
    }
}

void SessionCore::delete_orphans(bool automatic) {
    // Only the last assignment of a (child, relationship) counts: a child removed from
    // one parent and added to another has moved, it is not an orphan.
    mark_superseded_foreign_keys();
    for (std::size_t i = foreign_keys_.size(); i-- > 0;) {
        if (foreign_keys_[i].superseded) continue;
        // Copied: deleting an orphan may assign further foreign keys (and grow the list).
        auto* state = foreign_keys_[i].state;
        const auto* rel = foreign_keys_[i].rel;
        const bool orphaned = !foreign_keys_[i].target;
        const auto* parent_side = rel->paired();
        if (!parent_side || !parent_side->delete_orphan) continue;
        if (!orphaned || state->session != this) continue;
        // An autoflush (a query, a load) may come between taking a child out of one
        // collection and putting it into another: the child waits for an explicit flush.
        if (automatic) foreign_keys_[i].waiting = true;
        else models(rel->owner_id(), rel->owner()).delete_with_cascades(*state);
    }
}

}  // namespace alchemy::detail
