// The sql layer: typed statements over mapped models.
#pragma once

#include "alchemy/sql/column.hpp"
#include "alchemy/sql/insert.hpp"
#include "alchemy/sql/select.hpp"
