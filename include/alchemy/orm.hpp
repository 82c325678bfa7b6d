// The ORM layer: Session, object states, query<T>() (docs/session.md).
#pragma once

#include "alchemy/orm/loading.hpp"
#include "alchemy/orm/object_state.hpp"
#include "alchemy/orm/query.hpp"
#include "alchemy/orm/relationships.hpp"
#include "alchemy/orm/session.hpp"
