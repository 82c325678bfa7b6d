// The core layer: URLs, engines, pools, connections, transactions, results, errors.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/dialect.hpp"
#include "alchemy/core/driver.hpp"
#include "alchemy/core/engine.hpp"
#include "alchemy/core/error.hpp"
#include "alchemy/core/options.hpp"
#include "alchemy/core/param.hpp"
#include "alchemy/core/pool.hpp"
#include "alchemy/core/result.hpp"
#include "alchemy/core/text.hpp"
#include "alchemy/core/transaction.hpp"
#include "alchemy/core/url.hpp"
#include "alchemy/core/value.hpp"
#include "alchemy/core/value_traits.hpp"
