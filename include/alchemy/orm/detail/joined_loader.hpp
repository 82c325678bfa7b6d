// joinedload (src/orm/joined_loader.cpp): the query's own SELECT, with each joined
// relationship's table LEFT OUTER JOINed and its columns beside the owner's, read into
// the session's objects in one pass.
#pragma once

#include "alchemy/core/param_buffer.hpp"
#include "alchemy/sql/detail/ast.hpp"

#include <memory>
#include <span>
#include <vector>

namespace alchemy::detail {

class SessionCore;
struct ModelOps;
struct RelationshipOps;

/// Runs `query` (a SELECT of every column of `owner_ops`' model, bound with `params`)
/// joined with `joined` (relationships of that model), and returns the owners once each,
/// in row order, with those relationships loaded.
std::vector<std::shared_ptr<void>> load_joined(SessionCore& session, const ModelOps& owner_ops, ast::Select query,
                                               std::span<const Param> params,
                                               std::span<const RelationshipOps* const> joined);

}  // namespace alchemy::detail
