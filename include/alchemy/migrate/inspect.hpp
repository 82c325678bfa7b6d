// sa::inspect(engine): the live schema, read from the database's own catalog into the
// same description sa::metadata<...>() builds, so the two can be compared.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/engine.hpp"
#include "alchemy/schema/metadata.hpp"

namespace alchemy {

/// Every table in the schema unqualified names resolve to (SQLite: the main database,
/// without its internal sqlite_ tables; PostgreSQL: current_schema()), with columns,
/// primary key, unique constraints, indexes, foreign keys and check constraints, in
/// name order. Tables whose name is in `exclude` (such as the version table) are left
/// out. What each backend can and cannot read back exactly: src/migrate/inspect*.cpp.
MetaData inspect(Engine& engine, std::span<const std::string> exclude = {});
MetaData inspect(Connection& conn, std::span<const std::string> exclude = {});

}  // namespace alchemy
