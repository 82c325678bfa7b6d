// alchemy: SQLAlchemy for C++20. Include this one header; `namespace sa = alchemy;`.
#pragma once

#include "alchemy/core.hpp"
