// What an Engine's copies and its Connections share: the parsed URL, the options,
// the driver, the pool and the echo log.
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/core/driver.hpp"
#include "alchemy/core/options.hpp"
#include "alchemy/core/pool.hpp"
#include "alchemy/core/url.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace alchemy::detail {

struct EngineState {
    URL url;
    EngineOptions options;
    const Driver* driver = nullptr;
    /// The isolation level given in the options; unset keeps the database default.
    std::optional<IsolationLevel> isolation;
    /// The dialect's BEGIN for `isolation` (the default level's under AUTOCOMMIT).
    std::string begin_sql;
    std::unique_ptr<Pool> pool;

    void log(std::string_view line) const;
};

}  // namespace alchemy::detail
