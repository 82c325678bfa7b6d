// The built-in drivers; driver_for() picks one by the URL's backend name.
#pragma once

#include "alchemy/core/driver.hpp"

#include <cstddef>

namespace alchemy::detail {

const Driver& sqlite_driver();
const Driver& postgresql_driver();

/// DriverConnection::execute_batch's checks: batch_row_count, and one rows-affected slot
/// per row. Returns the number of rows.
std::size_t execute_batch_rows(std::size_t param_count, std::size_t per_row, std::size_t rows_affected_size);

}  // namespace alchemy::detail
