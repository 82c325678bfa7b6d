// Finds a dialect's migration backend: the built-in ones, listed here by their dialect's id.
#include "migrate/backend.hpp"

#include "alchemy/core/error.hpp"
#include "drivers/drivers.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace alchemy::migrate::detail {

const MigrateBackend& migrate_backend(const Dialect& dialect) {
    static const std::array<std::pair<DialectId, const MigrateBackend*>, 2> built_in{{
        {alchemy::detail::sqlite_driver().dialect().id(), &sqlite_migrate_backend()},
        {alchemy::detail::postgresql_driver().dialect().id(), &postgresql_migrate_backend()},
    }};
    for (const auto& [id, backend] : built_in)
        if (id == dialect.id()) return *backend;
    throw CompileError(fmt::format(
        "alchemy: the {} dialect has no migration support (inspect, autogenerate, upgrade)", dialect.name()));
}

}  // namespace alchemy::migrate::detail
