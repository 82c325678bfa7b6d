// sa::inspect(engine): the live schema, read from the database's own catalog into the
// same description sa::metadata<...>() builds, so the two can be compared.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/engine.hpp"
#include "alchemy/schema/metadata.hpp"

namespace alchemy {

/// Every table in the schema unqualified names resolve to (SQLite: the main database,
/// without its internal tables and alembic-style version table; PostgreSQL:
/// current_schema()), with columns, primary key, unique constraints, indexes, foreign
/// keys and check constraints. Tables whose name is in `exclude` are left out.
MetaData inspect(Engine& engine, std::span<const std::string> exclude = {});
MetaData inspect(Connection& conn, std::span<const std::string> exclude = {});

}  // namespace alchemy
