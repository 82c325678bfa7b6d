// Loading relationships (src/orm/relationship_loader.cpp): one statement per relationship
// for many objects at once, whether a lazy access asked (with the other objects of the
// same query) or a query's selectinload option.
#pragma once

#include "alchemy/orm/detail/relationship_members.hpp"

#include <memory>
#include <span>
#include <vector>

namespace alchemy::detail {

class SessionCore;
struct InstanceState;
struct ModelOps;
struct RelationshipOps;

/// One owner and one object its relationship holds, as a load found them.
struct LoadedPair {
    InstanceState* owner;
    std::shared_ptr<void> target;
};
/// Gives each of `owners` (whose `rel` was not loaded) what `pairs` found for it, with
/// the relationship changes that wait for the flush applied over it: the relationship is
/// then loaded, both sides in step, holding what the flush will leave in the database.
/// Every loader ends here; the pairs' targets may be moved out. What one load reached is
/// a group of its own (SessionCore::GroupMaker), which each loader records as it finds
/// the targets: a lazy load of one of them then loads the same relationship for all
/// (post->author->posts costs one statement per level).
void set_loaded(SessionCore& session, const RelationshipOps& rel, std::span<InstanceState* const> owners,
                std::span<LoadedPair> pairs);
/// Loads `rel` of `owner` and, in the same statements, of the other objects the query
/// that loaded `owner` returned, where the program still holds them and they need it.
void load_relationship(SessionCore& session, const RelationshipOps& rel, InstanceState& owner);
/// Loads `rel` of each of `owners` (persistent objects of `session`).
void load_relationship_for(SessionCore& session, const RelationshipOps& rel,
                           std::span<InstanceState* const> owners);
/// The mapping's eager relationships (lazy selectin or joined) of the objects `rel` holds
/// for `owners`, which have just loaded it: they come with them, as after a query.
void load_eager_of_targets(SessionCore& session, const RelationshipOps& rel,
                           std::span<InstanceState* const> owners);
/// Loader option paths: each step of `path` for the objects the level before reached.
void load_path(SessionCore& session, std::span<InstanceState* const> owners, std::span<const LoadStep> path);
/// Whether a model has relationships the mapping loads with every query (lazy selectin
/// or joined).
bool loads_eagerly(const ModelOps& ops) noexcept;
/// Loads those relationships of `owners` (objects of `ops`' model) that are not loaded,
/// but `skip`.
void load_eager(SessionCore& session, const ModelOps& ops, std::span<InstanceState* const> owners,
                const RelationshipOps* skip = nullptr);

}  // namespace alchemy::detail
