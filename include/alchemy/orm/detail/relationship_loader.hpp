// Loading relationships (src/orm/relationship_loader.cpp): one statement per relationship
// for many objects at once, whether a lazy access asked (with the other objects of the
// same query) or a query's selectinload option.
#pragma once

#include <span>
#include <vector>

namespace alchemy::detail {

class SessionCore;
struct InstanceState;
struct RelationshipOps;

/// Loads `rel` of `owner` and, in the same statements, of the other objects the query
/// that loaded `owner` returned, where the program still holds them and they need it.
void load_relationship(SessionCore& session, const RelationshipOps& rel, InstanceState& owner);
/// Loads `rel` of each of `owners` (persistent objects of `session`).
void load_relationship_for(SessionCore& session, const RelationshipOps& rel, std::span<InstanceState* const> owners);
/// selectinload paths: each relationship of `path` for the objects the level before reached.
void load_path(SessionCore& session, std::span<InstanceState* const> owners, std::span<const RelationshipOps* const> path);

}  // namespace alchemy::detail
