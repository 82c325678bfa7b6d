// The built-in drivers; driver_for() picks one by the URL's backend name.
#pragma once

#include "alchemy/core/driver.hpp"

#include <cstddef>

namespace alchemy::detail {

const Driver& sqlite_driver();
const Driver& postgresql_driver();

}  // namespace alchemy::detail
