// alchemy: SQLAlchemy for C++20. Include this one header; `namespace sa = alchemy;`.
// It also includes alchemy/format.hpp, so fmt::print works on alchemy's values.
#pragma once

#include "alchemy/core.hpp"
#include "alchemy/format.hpp"
#include "alchemy/migrate.hpp"
#include "alchemy/orm.hpp"
#include "alchemy/schema.hpp"
#include "alchemy/sql.hpp"
