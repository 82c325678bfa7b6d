// Bookkeeping of a connection's named server-side prepared statements: which SQL text
// is prepared under which name and parameter types, bounded by least-recent use. The
// connection does the talking to the server; this only decides.
#pragma once

#include "drivers/postgresql/pg_params.hpp"

#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy::detail::pg {

struct PreparedStatement {
    std::string name;                  ///< see StatementCache::next_name
    std::vector<Oid> parameter_types;  ///< as declared to the server when preparing
    std::uint64_t last_used = 0;
};

class StatementCache {
public:
    explicit StatementCache(std::size_t capacity);

    /// The statement prepared for `sql` if it accepts the types of `params` (a NULL fits
    /// any type, an int4 fits int8), marked as just used; null otherwise. Does not
    /// allocate.
    const PreparedStatement* find(std::string_view sql, const ParamEncoder& params) noexcept;

    /// Counts `runs` more executions of `sql`, which is not prepared for the parameters at
    /// hand; true when it should be prepared now: the runs so far exceed `threshold`, or it
    /// is prepared already for other parameter types.
    bool due(std::string_view sql, std::size_t threshold, std::size_t runs);

    /// Fills `types` with the parameter types to prepare `sql` with: those of `params`,
    /// except that a NULL or an int4 keeps the type an earlier preparation chose, so a
    /// parameter alternating between NULL and a value, or small and large integers, is
    /// prepared again at most once.
    void types_to_prepare(std::string_view sql, const ParamEncoder& params, std::vector<Oid>& types) const;

    /// A fresh statement name, "alchemy_<random>_<n>": unique for this cache's life and,
    /// through 64 random bits, among every client of the server. A pooler such as
    /// PgBouncer runs many clients on one server session, where names like "alchemy_1"
    /// from two clients would run one client's statement for the other.
    std::string next_name();

    /// Records `sql` as prepared under `name`. The entry it replaces and, when the cache
    /// is full, the least recently used entry are retired.
    const PreparedStatement& add(std::string_view sql, std::string name, std::vector<Oid> types);

    /// Forgets `sql`'s statement and retires its name (its plan went stale).
    void retire(std::string_view sql);
    /// Forgets every statement, retired ones too.
    void clear() noexcept;

    /// Names whose server-side statements should be deallocated.
    const std::vector<std::string>& retired() const noexcept { return retired_; }
    void clear_retired() noexcept { retired_.clear(); }

    std::size_t size() const noexcept { return entries_.size(); }

private:
    std::map<std::string, PreparedStatement, std::less<>> entries_;
    std::vector<std::string> retired_;
    /// Runs of statements not prepared yet, bounded like entries_ (see due()).
    std::map<std::string, std::size_t, std::less<>> runs_;
    std::size_t capacity_;
    std::uint64_t clock_ = 0;
    std::string name_prefix_;
    std::uint64_t names_issued_ = 0;
};

}  // namespace alchemy::detail::pg
