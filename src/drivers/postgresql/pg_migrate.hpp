// The PostgreSQL folder's parts of migrations, which pg_migrate.cpp puts together.
#pragma once

#include "migrate/alter.hpp"

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace alchemy::detail {
/// The tables of current_schema(), in no particular order (pg_inspect.cpp).
std::vector<Table> inspect_postgresql(Connection& conn, std::span<const std::string> exclude);
}  // namespace alchemy::detail

namespace alchemy::migrate::detail {
/// Alters tables in place (pg_alter.cpp).
std::unique_ptr<TableAlterer> make_postgresql_alterer(const DdlRenderer& ddl, const Dialect& dialect);
}  // namespace alchemy::migrate::detail
