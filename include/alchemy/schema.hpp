// The schema layer: models mapped at compile time, MetaData, DDL.
#pragma once

#include "alchemy/schema/mapping.hpp"
#include "alchemy/schema/metadata.hpp"
#include "alchemy/schema/model.hpp"
#include "alchemy/schema/model_row.hpp"
#include "alchemy/schema/model_table.hpp"
#include "alchemy/schema/naming.hpp"
#include "alchemy/schema/reflect.hpp"
#include "alchemy/schema/relationships.hpp"
#include "alchemy/schema/sql_type_name.hpp"
#include "alchemy/schema/table.hpp"
#include "alchemy/schema/type_adapter.hpp"
