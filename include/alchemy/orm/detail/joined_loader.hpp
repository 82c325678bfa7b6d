// joinedload (src/orm/joined_loader.cpp): the query's own SELECT, with each joined
// relationship's table LEFT OUTER JOINed and its columns beside its owner's, read into
// the session's objects in one pass. Joins chain: joinedload<&User::posts>()
// .joinedload<&Post::tags>() joins tags to the posts joined to the users.
#pragma once

#include "alchemy/core/param_buffer.hpp"
#include "alchemy/sql/statement_tree.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace alchemy::detail {

class SessionCore;
struct ModelOps;
struct RelationshipOps;
struct LoadStep;

/// One relationship joined into a query, and whose objects own it: the query's own
/// (root) or those of an earlier step (its index).
struct JoinedStep {
    static constexpr std::size_t root = static_cast<std::size_t>(-1);
    const RelationshipOps* rel;
    std::size_t parent;
};

/// What a query of `owner_ops`' model joins: the relationships its mapping says
/// lazy(sa::Lazy::joined) unless an option names them first, and the leading joinedload
/// steps of each loader option's path (shared prefixes once). Parents come before their
/// children.
std::vector<JoinedStep> joined_steps(const ModelOps& owner_ops, std::span<const std::vector<LoadStep>> paths);

/// Runs `query` (a SELECT of every column of `owner_ops`' model, bound with `params`)
/// with the `joined` relationships joined in, and returns the owners once each, in row
/// order, with those relationships loaded (on the owners, and on the objects a step
/// reached for the steps that continue from it).
std::vector<std::shared_ptr<void>> load_joined(SessionCore& session, const ModelOps& owner_ops,
                                               ast::Select query, std::span<const Param> params,
                                               std::span<const JoinedStep> joined);

}  // namespace alchemy::detail
