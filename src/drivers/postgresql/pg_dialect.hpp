// How PostgreSQL spells SQL: "$n" placeholders, the isolation level in each BEGIN, and
// what it can do beyond SQLite (COPY, typed multi-row UPDATE ... FROM (VALUES ...)).
#pragma once

#include "alchemy/core/dialect.hpp"

namespace alchemy::detail {

class PostgresDialect final : public Dialect {
public:
    std::string_view name() const noexcept override { return "postgresql"; }
    void append_placeholder(std::string& out, int index) const override;
    std::string begin_sql(std::optional<IsolationLevel> level) const override;
    std::string connection_isolation_sql(IsolationLevel level) const override;
    TransactionSql transaction_sql(const TransactionOptions& options,
                                   std::optional<IsolationLevel> connection_level) const override;

    bool supports_returning() const noexcept override { return true; }
    bool returns_rows_in_values_order() const noexcept override { return true; }
    UpsertSyntax upsert_syntax() const noexcept override { return UpsertSyntax::on_conflict; }
    /// The protocol counts a statement's parameters in 16 bits.
    std::size_t parameter_limit() const noexcept override { return 65535; }
    bool supports_two_phase_commit() const noexcept override { return true; }
    bool bulk_loads_by_copy() const noexcept override { return true; }
    ManyRowUpdates many_row_updates() const noexcept override { return ManyRowUpdates::every_batch; }
    ReservedKeysSql reserved_keys_sql(std::string_view table) const override;
    std::string_view cast_type(std::string_view portable) const noexcept override;
};

}  // namespace alchemy::detail
