// The migrations layer (Alembic's job): inspect the live schema, autogenerate revisions,
// read and write revision files, run them, and the command-line tool built over them.
#pragma once

#include "alchemy/migrate/autogenerate.hpp"
#include "alchemy/migrate/cli.hpp"
#include "alchemy/migrate/inspect.hpp"
#include "alchemy/migrate/revision.hpp"
#include "alchemy/migrate/runner.hpp"
