// Renders statement parameters for the echo log, SQLAlchemy style: (1, 'john', NULL).
#pragma once

#include "alchemy/core/param.hpp"

#include <span>
#include <string>

namespace alchemy::detail {

/// Long strings are cut, blobs shown by size: the log stays readable.
std::string render_params(std::span<const Param> params);

}  // namespace alchemy::detail
