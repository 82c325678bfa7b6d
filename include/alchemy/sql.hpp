// The sql layer: typed expressions and statements over mapped models.
#pragma once

#include "alchemy/sql/alias.hpp"
#include "alchemy/sql/bulk_insert.hpp"
#include "alchemy/sql/case_cast.hpp"
#include "alchemy/sql/column.hpp"
#include "alchemy/sql/compound.hpp"
#include "alchemy/sql/expression.hpp"
#include "alchemy/sql/expression_ops.hpp"
#include "alchemy/sql/functions.hpp"
#include "alchemy/sql/insert.hpp"
#include "alchemy/sql/select.hpp"
#include "alchemy/sql/subquery.hpp"
#include "alchemy/sql/update_delete.hpp"
#include "alchemy/sql/window.hpp"
