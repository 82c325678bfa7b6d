// alchemy: SQLAlchemy for C++20. Include this one header; `namespace sa = alchemy;`.
// It also includes alchemy/format.hpp, so fmt::print works on alchemy's values. Of the
// migrations layer it includes the command-line tool (sa::migrate::main), autogenerate and
// inspect; revision files and running them from a program (sa::migrate::upgrade and the
// rest of runner.hpp and revision.hpp) need <alchemy/migrate.hpp>: their API speaks
// std::filesystem, the heaviest standard header, which most files need not pay for.
#pragma once

#include "alchemy/core.hpp"
#include "alchemy/format.hpp"
#include "alchemy/migrate/autogenerate.hpp"
#include "alchemy/migrate/cli.hpp"
#include "alchemy/migrate/inspect.hpp"
#include "alchemy/orm.hpp"
#include "alchemy/schema.hpp"
#include "alchemy/sql.hpp"
