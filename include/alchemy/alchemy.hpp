// alchemy: SQLAlchemy for C++20. Include this one header; `namespace sa = alchemy;`.
#pragma once

#include "alchemy/core.hpp"
#include "alchemy/migrate.hpp"
#include "alchemy/orm.hpp"
#include "alchemy/schema.hpp"
#include "alchemy/sql.hpp"
