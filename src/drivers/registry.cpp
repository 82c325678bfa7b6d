// Chooses a driver from the URL's backend ("postgresql+psycopg2" is served by libpq).
#include "drivers/drivers.hpp"

#include "alchemy/core/error.hpp"

#include <fmt/format.h>

namespace alchemy {

const Driver& driver_for(const URL& url) {
    const auto backend = url.backend();
    if (backend == "sqlite") return detail::sqlite_driver();
    if (backend == "postgresql" || backend == "postgres")
        return detail::postgresql_driver();
    throw ArgumentError(fmt::format(
        "alchemy: unknown database backend '{}' in URL '{}'; supported: postgresql, sqlite",
        backend, url.to_string()));
}

}  // namespace alchemy
