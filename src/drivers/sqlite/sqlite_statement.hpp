// One prepared SQLite statement, which is also the Cursor over the rows of its current
// execution. Connections cache these by SQL text and lend them out through execute().
#pragma once

#include "alchemy/core/driver.hpp"
#include "drivers/sqlite/sqlite_handle.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy::detail::sqlite {

class SqliteStatement final : public Cursor {
public:
    /// Prepares `sql`, which must hold exactly one statement, for repeated use.
    SqliteStatement(Handle& handle, std::string_view sql);
    ~SqliteStatement() override;
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    /// True between start() and close(): an open cursor owns the statement.
    bool in_use() const noexcept { return in_use_; }
    /// The statement returns rows and SQLite says it writes nothing. Rows are asked for
    /// too: sqlite3_stmt_readonly() also passes BEGIN, COMMIT, ROLLBACK, SAVEPOINT,
    /// RELEASE, ATTACH and DETACH, which return none.
    bool only_reads() const noexcept { return only_reads(statement_); }
    static bool only_reads(sqlite3_stmt* statement) noexcept {
        return sqlite3_stmt_readonly(statement) != 0 && sqlite3_column_count(statement) > 0;
    }

    /// Binds `params` and runs the statement up to its first row, so that writes take
    /// effect even if nobody reads the cursor; a statement that writes runs to its end,
    /// its rows read ahead. On failure the statement is idle again.
    void start(std::span<const Param> params);
    /// Makes the query just started return exactly its statement's rows (execute(), not
    /// stream()): a later statement on the connection that may change them reads the rest
    /// ahead first. On failure the statement is idle again.
    void keep_rows_as_of_start();
    /// Called before `statement` runs on the handle's connection. SQLite leaves the rows
    /// an open query has yet to return undefined once its connection changes the tables
    /// (https://www.sqlite.org/isolation.html), so unless `statement` only reads, the
    /// queries kept as of their start read the rest of their rows ahead. A readonly
    /// statement without result columns counts as a change: it is transaction control,
    /// ATTACH or DETACH, and a ROLLBACK undoes writes.
    static void before_running(Handle& handle, sqlite3_stmt* statement) noexcept {
        if (!handle.open_queries.empty() && !only_reads(statement)) read_ahead_open_queries(handle);
    }
    /// Rows read ahead and held until close() (for DriverConnection::held_rows()).
    std::size_t held_rows() const noexcept;

    bool next() override;
    int column_count() const noexcept override;
    std::string_view column_name(int column) const override;

    std::span<const std::byte> read_blob(int column) const override;
    std::int64_t read_timestamp(int column) const override;
    std::int64_t read_date(int column) const override;

    std::int64_t rows_affected() const noexcept override { return rows_affected_; }
    void close() noexcept override;

private:
    bool do_is_null(int column) const override;
    bool do_read_bool(int column) const override;
    std::int64_t do_read_int(int column) const override;
    double do_read_real(int column) const override;
    std::string_view do_read_text(int column) const override;

    void bind(std::span<const Param> params);
    /// Binds one value; text and blobs with `values` (SQLITE_STATIC or SQLITE_TRANSIENT),
    /// timestamps and dates (formatted here, so short-lived) always as copies.
    int bind_one(int index, const Param& param, sqlite3_destructor_type values);
    /// Steps once: true on a row; on completion records rows_affected; throws on error.
    bool step();
    /// From the current row on, steps to the end, keeping copies of the rows' values.
    void read_ahead();
    /// Makes the next row read ahead current: false when none is left.
    bool next_read_ahead();
    static void read_ahead_open_queries(Handle& handle) noexcept;
    /// Reads the rest of this open query's rows ahead, keeping the current row current.
    /// A failure is kept for next() to raise.
    void read_rest_ahead() noexcept;
    /// Leaves handle_.open_queries.
    void unlist() noexcept;
    void free_read_ahead() noexcept;
    /// Makes the row of `columns` columns whose values value_of(column) gives current:
    /// fills row_ and the cells.
    template <class ValueOf>
    void show_row(int columns, ValueOf value_of);
    /// No row is current.
    void show_no_row() noexcept;
    [[noreturn]] void raise_last_error(int code);
    [[noreturn]] void raise_out_of_memory() const;

    /// Throws ArgumentError unless `column` is an index of the result columns.
    void check_column_index(int column) const;
    /// A column of the current row: its value and that value's SQLite type.
    struct ColumnValue {
        sqlite3_value* value = nullptr;
        int type = 0;
    };
    /// The column's value, after checking that a row is current and `column` exists.
    const ColumnValue& checked(int column) const;
    /// Throws DataError: the column holds a value that cannot be read as `wanted`.
    [[noreturn]] void raise_unreadable(int column, std::string_view wanted, const char* sqlstate) const;

    Handle& handle_;
    sqlite3_stmt* statement_ = nullptr;
    // Fixed by the SQL text, so asked once, at prepare.
    int parameter_count_ = 0;
    bool writes_ = false;  ///< INSERT, UPDATE, DELETE, DDL (not sqlite3_stmt_readonly)
    /// bind() copied text or blobs into SQLite: clear them at close, not to hold their memory.
    bool holds_copies_ = false;
    std::int64_t total_changes_before_ = 0;
    std::int64_t rows_affected_ = 0;
    bool in_use_ = false;
    bool first_row_pending_ = false;
    bool finished_ = true;
    /// In handle_.open_queries.
    bool listed_ = false;
    /// What failed while read_rest_ahead() read the rows; next() raises it once.
    std::exception_ptr failure_;
    /// Columns of the current row (0: no row), their values, and the cells made of them.
    int row_columns_ = 0;
    std::vector<ColumnValue> row_;
    std::vector<Cell> cells_;
    /// The text of a REAL column read as text, per column, until the next read of it.
    mutable std::vector<std::string> real_texts_;
    /// The values of the rows read ahead (read_ahead()), row after row, until close(); and
    /// where the next row's begin.
    std::vector<sqlite3_value*> read_ahead_;
    std::size_t read_ahead_next_ = 0;
};

}  // namespace alchemy::detail::sqlite
