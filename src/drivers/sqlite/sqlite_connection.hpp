// A DriverConnection over one sqlite3 handle, with its statement cache.
#pragma once

#include "alchemy/core/driver.hpp"
#include "drivers/sqlite/sqlite_handle.hpp"
#include "drivers/sqlite/sqlite_statement.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace alchemy::detail::sqlite {

class SqliteConnection final : public DriverConnection {
public:
    /// Takes ownership of `db`. Keeps up to `statement_capacity` prepared statements
    /// (more only while cursors hold them open). `begin` is what a plain "BEGIN" runs
    /// ("BEGIN IMMEDIATE" with the connect option begin=immediate).
    SqliteConnection(sqlite3* db, std::size_t statement_capacity, std::string begin) noexcept;
    ~SqliteConnection() override;
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    Cursor& execute(std::string_view sql, std::span<const Param> params) override;
    Cursor& stream(std::string_view sql, std::span<const Param> params) override;
    void execute_script(std::string_view sql) override;
    void execute_batch(std::string_view sql, std::span<const Param> params, std::size_t params_per_row,
                       std::span<std::int64_t> rows_affected) override;
    std::int64_t copy_rows(std::string_view table, std::span<const std::string_view> columns,
                           std::span<const Param> params) override;

    bool only_reads(std::string_view sql) override;
    std::vector<std::string> tables_changing(std::string_view table) override;
    bool in_transaction() const noexcept override;
    bool has_written() const noexcept override;
    bool ping() noexcept override;
    bool is_broken() const noexcept override { return handle_.broken; }
    std::size_t cached_statement_count() const noexcept override { return statement_count_; }
    std::size_t held_rows() const noexcept override;
    // sqlite_session_state.cpp
    void record_session_state() override;
    bool restore_session_state() override;

private:
    // Hashes std::string and std::string_view alike, so a lookup by view allocates nothing.
    struct TextHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const noexcept {
            return std::hash<std::string_view>{}(text);
        }
    };

    // The statements prepared for one SQL text: usually one, more while the same SQL is
    // run again inside the loop over an open cursor.
    struct CacheEntry {
        std::vector<std::unique_ptr<SqliteStatement>> statements;
        std::uint64_t last_used = 0;
    };

    using CacheNode = std::pair<const std::string, CacheEntry>;

    SqliteStatement& idle_statement_for(std::string_view sql);
    /// The cache's entry for `sql`, or null. Looks first among the recent lookups by the
    /// address of the text (most SQL comes from the statement caches of the sql layer,
    /// whose texts stay put), so a statement run again costs a comparison of its text
    /// rather than a hash of it.
    CacheNode* cached(std::string_view sql) noexcept;
    /// Runs `sql` once per row of `params_per_row` values; writes each row's count into
    /// `each` unless it is empty, and the number of rows run so far into `done`. Returns
    /// the total.
    std::int64_t run_rows(std::string_view sql, std::span<const Param> params, std::size_t params_per_row,
                          std::span<std::int64_t> each, std::size_t& done);
    /// The values of sqlite_session_state.cpp's kept PRAGMAs, in its order.
    std::vector<std::int64_t> pragma_values();
    /// The names of the databases attached besides main and temp.
    std::vector<std::string> attached_databases();
    /// Undoes a failed copy_rows(): rolls back the transaction it began (`own_transaction`)
    /// or to its SAVEPOINT, ignoring a failure to (after which the whole transaction goes).
    void undo_load_quietly(bool own_transaction) noexcept;
    /// Finalizes least recently used entries whose statements are all idle until the
    /// cache fits its capacity again; `keep` is never evicted.
    void evict_beyond_capacity(const CacheEntry& keep) noexcept;

    Handle handle_;
    std::size_t capacity_;
    std::string begin_;
    std::size_t statement_count_ = 0;
    std::uint64_t use_clock_ = 0;
    std::unordered_map<std::string, CacheEntry, TextHash, std::equal_to<>> cache_;
    /// Recent lookups, placed by the address of the text looked up; see cached().
    struct RecentLookup {
        const char* text = nullptr;
        CacheNode* node = nullptr;
    };
    std::array<RecentLookup, 16> recent_{};
    /// What record_session_state() found.
    std::vector<std::int64_t> recorded_pragmas_;
    std::vector<std::string> recorded_databases_;
};

}  // namespace alchemy::detail::sqlite
