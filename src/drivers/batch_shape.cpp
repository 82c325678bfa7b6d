// The shape checks every batch entry point shares: parameters come as whole rows.
#include "alchemy/core/error.hpp"
#include "drivers/drivers.hpp"

#include <fmt/format.h>

namespace alchemy::detail {

std::size_t batch_row_count(std::size_t param_count, std::size_t per_row, std::string_view call) {
    if (per_row == 0)
        throw ArgumentError(
            fmt::format("alchemy: {} needs rows of at least one value (got 0 per row)", call));
    if (param_count % per_row != 0)
        throw ArgumentError(
            fmt::format("alchemy: {} got {} parameters, which is not a whole number of rows of {}; "
                        "pass the rows back to back, {} values each",
                        call, param_count, per_row, per_row));
    return param_count / per_row;
}

std::size_t execute_batch_rows(std::size_t param_count, std::size_t per_row, std::size_t rows_affected_size) {
    const auto rows = batch_row_count(param_count, per_row, "execute_batch()");
    if (rows_affected_size != rows)
        throw ArgumentError(
            fmt::format("alchemy: execute_batch() got {} rows but room for {} rows-affected counts", rows,
                        rows_affected_size));
    return rows;
}

}  // namespace alchemy::detail
