// The rows of one executed statement, decoded from PostgreSQL's binary result format:
// from one result holding them all, or streamed by the connection one result per row.
// A connection keeps its cursors and reuses a closed one for the next statement.
#pragma once

#include "alchemy/core/driver.hpp"
#include "drivers/postgresql/pg_handles.hpp"

#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy::detail::pg {

class PgConnection;

/// Rows an INSERT, UPDATE, DELETE or MERGE changed, from its result; 0 for anything else.
std::int64_t rows_affected_by(PGresult* result) noexcept;

class PgCursor final : public Cursor {
public:
    /// Starts reading `result`, the successful result of `sql`. When it is the first row of
    /// a statement `stream` streams, next() asks `stream` for each following row.
    void open(ResultHandle result, std::string_view sql, PgConnection* stream = nullptr);
    bool is_open() const noexcept { return result_ != nullptr; }
    /// Rows of the result held now: a streamed statement's at most one.
    int held_rows() const noexcept { return rows_; }

    bool next() override;
    int column_count() const noexcept override { return columns_; }
    std::string_view column_name(int column) const override;

    std::span<const std::byte> read_blob(int column) const override;
    std::int64_t read_timestamp(int column) const override;
    std::int64_t read_date(int column) const override;

    std::int64_t rows_affected() const noexcept override { return stream_ ? -1 : rows_affected_; }
    void close() noexcept override;

private:
    bool do_is_null(int column) const override;
    bool do_read_bool(int column) const override;
    std::int64_t do_read_int(int column) const override;
    double do_read_real(int column) const override;
    std::string_view do_read_text(int column) const override;

    /// One value of the current row with the type of its column.
    struct Field {
        std::string_view bytes;
        Oid type;
    };

    /// Takes the next result of the statement: all its rows, one streamed row, or its end.
    void hold(ResultHandle result) noexcept;
    /// Decodes the current row's integers, reals and text into cells_ (Cursor), or shows
    /// none when no row is current.
    void show_row() noexcept;
    /// The value at `column` of the current row; DataError if it is NULL, as nothing
    /// of type `wanted` can be read from it.
    Field field(int column, std::string_view wanted) const;
    void check_column(int column) const;
    /// ArgumentError for a bad column, InvalidRequestError when there is no current row.
    void check_position(int column) const;
    /// The value as text: the bytes themselves for text types, else rendered into the
    /// column's scratch string; nullopt for a type with no text form here.
    std::optional<std::string_view> text_form(int column, const Field& value) const;

    [[noreturn]] void type_mismatch(int column, Oid type, std::string_view wanted) const;
    [[noreturn]] void unconvertible(int column, const Field& value, std::string_view wanted) const;

    ResultHandle result_;
    PgConnection* stream_ = nullptr;  // streams the rows after result_'s, until the last came
    std::vector<Oid> column_types_;   // read once per statement, so reads dispatch without lookups
    std::vector<Cell> cells_;
    int columns_ = 0;
    int rows_ = 0;
    int row_ = -1;
    std::int64_t rows_affected_ = 0;
    std::string sql_;  // for error messages; keeps its capacity across reuse
    // Text rendered for non-text columns, one string per column so that every view
    // read_text returned stays valid until next(); the strings keep their capacity.
    mutable std::vector<std::string> scratch_;
};

}  // namespace alchemy::detail::pg
