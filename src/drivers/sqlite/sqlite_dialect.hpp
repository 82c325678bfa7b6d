// How SQLite spells SQL: "?" placeholders and isolation through PRAGMA read_uncommitted.
#pragma once

#include "alchemy/core/dialect.hpp"

namespace alchemy::detail::sqlite {

class SqliteDialect final : public Dialect {
public:
    std::string_view name() const noexcept override { return "sqlite"; }
    void append_placeholder(std::string& out, int index) const override;
    std::string begin_sql(std::optional<IsolationLevel> level) const override;
    std::string connection_isolation_sql(IsolationLevel level) const override;
    TransactionSql transaction_sql(const TransactionOptions& options,
                                   std::optional<IsolationLevel> connection_level) const override;
    /// RETURNING exists since SQLite 3.35; we require 3.40.
    bool supports_returning() const noexcept override { return true; }
};

}  // namespace alchemy::detail::sqlite
