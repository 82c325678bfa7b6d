// sa::insert<T>().values(obj | vector)[.returning(sa::col<&T::id>, ...)]
//
// Rows whose autoincrement key is unset (0 or empty) leave the key out, so the database
// generates it; RETURNING reads the generated values back (both dialects support it).
// Many rows go out as multi-row VALUES statements of up to `max_batch_rows` rows each.
#pragma once

#include "alchemy/core/connection.hpp"
#include "alchemy/core/param_buffer.hpp"
#include "alchemy/schema/model_row.hpp"
#include "alchemy/sql/column.hpp"
#include "alchemy/sql/detail/render.hpp"
#include "alchemy/sql/detail/sql_cache.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace alchemy {

/// What an INSERT returns: the RETURNING rows (Row = void: none) and the row count.
template <class Row>
class InsertResult {
public:
    InsertResult(std::vector<Row> rows, std::int64_t rowcount)
        : rows_(std::move(rows)), rowcount_(rowcount) {}

    std::int64_t rowcount() const noexcept { return rowcount_; }
    const std::vector<Row>& all() const& noexcept { return rows_; }
    std::vector<Row> all() && noexcept { return std::move(rows_); }
    auto begin() const noexcept { return rows_.begin(); }
    auto end() const noexcept { return rows_.end(); }
    /// The only returned row, else NoResultFound / MultipleResultsFound.
    const Row& one() const {
        if (rows_.empty()) detail::throw_no_result();
        if (rows_.size() > 1) detail::throw_multiple_results();
        return rows_.front();
    }
    /// The first column of the only returned row.
    decltype(auto) scalar_one() const {
        if constexpr (requires { std::tuple_size<Row>::value; })
            return std::get<0>(one());
        else
            return one();
    }

private:
    std::vector<Row> rows_;
    std::int64_t rowcount_;
};

template <>
class InsertResult<void> {
public:
    explicit InsertResult(std::int64_t rowcount) : rowcount_(rowcount) {}
    std::int64_t rowcount() const noexcept { return rowcount_; }

private:
    std::int64_t rowcount_;
};

template <mapped_model T, class... Returning>
class Insert {
    using row_type = std::conditional_t<sizeof...(Returning) == 0, void,
                                        row_of_t<typename Returning::value_type...>>;

public:
    /// Keeps the SQL text under SQLite's and PostgreSQL's bound-parameter limits.
    static constexpr std::size_t max_batch_rows =
        std::clamp<std::size_t>(30000 / std::max<std::size_t>(model_info<T>::column_count, 1), 1, 1000);

    Insert() = default;
    // rows_ may point into owned_: copies and moves re-point it at their own rows.
    Insert(const Insert& other)
        : owned_(other.owned_), rows_(other.owns_rows() ? std::span<const T>(owned_) : other.rows_) {}
    Insert(Insert&& other) noexcept
        : rows_(other.rows_) {
        const bool owned = other.owns_rows();
        owned_ = std::move(other.owned_);
        if (owned) rows_ = owned_;
    }
    Insert& operator=(const Insert&) = delete;
    Insert& operator=(Insert&&) = delete;

    /// Inserts a copy of `obj`.
    Insert values(const T& obj) && {
        owned_.assign(1, obj);
        rows_ = owned_;
        return std::move(*this);
    }
    /// Inserts `objs` (moved into the statement).
    Insert values(std::vector<T> objs) && {
        owned_ = std::move(objs);
        rows_ = owned_;
        return std::move(*this);
    }
    /// Inserts `objs` without copying them; they must outlive the execution.
    Insert values(std::span<const T> objs) && {
        owned_.clear();
        rows_ = objs;
        return std::move(*this);
    }

    /// Reads the given columns of each inserted row back: .returning(sa::col<&T::id>).
    template <auto... Members>
    Insert<T, column_ref<Members>...> returning(column_ref<Members>...) && {
        static_assert((std::is_same_v<typename column_ref<Members>::model_type, T> && ...),
                      "alchemy: returning() names a column of another model than the one inserted");
        Insert<T, column_ref<Members>...> next;
        const bool owned = owns_rows();
        next.owned_ = std::move(owned_);
        next.rows_ = owned ? std::span<const T>(next.owned_) : rows_;
        return next;
    }

    /// The SQL for one row, as sent to `dialect` (for debugging and docs).
    std::string sql(const Dialect& dialect) const {
        const bool skip = rows_.empty() || needs_generated_key(rows_.front());
        return render(dialect, skip, 1);
    }

    InsertResult<row_type> execute_on(Connection& conn) const {
        if (rows_.empty())
            throw ArgumentError("alchemy: insert<T>() has no rows; call .values(obj) first");
        std::vector<std::conditional_t<std::is_void_v<row_type>, char, row_type>> returned;
        std::int64_t rowcount = 0;
        ParamBuffer params;
        std::size_t begin = 0;
        while (begin < rows_.size()) {
            // A batch is a run of rows with the same shape (key given or generated).
            const bool skip = needs_generated_key(rows_[begin]);
            std::size_t end = begin + 1;
            while (end < rows_.size() && end - begin < max_batch_rows &&
                   needs_generated_key(rows_[end]) == skip)
                ++end;
            params.clear();
            for (std::size_t r = begin; r < end; ++r) bind_columns(rows_[r], params, skip);
            const std::size_t count = end - begin;
            std::string adhoc;
            const std::string* sql;
            if (count == 1)
                sql = skip ? &cached<single_generated>(conn.dialect(), true, 1)
                           : &cached<single_given>(conn.dialect(), false, 1);
            else if (count == max_batch_rows)
                sql = skip ? &cached<batch_generated>(conn.dialect(), true, count)
                           : &cached<batch_given>(conn.dialect(), false, count);
            else
                sql = &(adhoc = render(conn.dialect(), skip, count));
            auto result = conn.execute_sql(*sql, params.params());
            if constexpr (std::is_void_v<row_type>) {
                rowcount += result.rowcount();
            } else {
                auto rows = std::move(result).template as<row_type>().all();
                rowcount += static_cast<std::int64_t>(rows.size());
                returned.insert(returned.end(), std::make_move_iterator(rows.begin()),
                                std::make_move_iterator(rows.end()));
            }
            begin = end;
        }
        if constexpr (std::is_void_v<row_type>)
            return InsertResult<void>(rowcount);
        else
            return InsertResult<row_type>(std::move(returned), rowcount);
    }

private:
    template <mapped_model, class...>
    friend class Insert;

    struct single_generated {};
    struct single_given {};
    struct batch_generated {};
    struct batch_given {};

    bool owns_rows() const noexcept { return !owned_.empty() && rows_.data() == owned_.data(); }

    static std::string render(const Dialect& dialect, bool skip, std::size_t rows) {
        static constexpr std::array<std::string_view, sizeof...(Returning)> returning{
            Returning::name...};
        return detail::render_insert(dialect, detail::table_view<T>(), skip, rows, returning);
    }
    template <class Shape>
    static const std::string& cached(const Dialect& dialect, bool skip, std::size_t rows) {
        return detail::sql_cache<std::pair<Insert, Shape>>::get(
            dialect, [&](const Dialect& d) { return render(d, skip, rows); });
    }

    std::vector<T> owned_;
    std::span<const T> rows_;
};

/// INSERT INTO T's table; add rows with .values(...).
template <class T>
    requires(detail::require_model<T>())
Insert<T> insert() {
    return {};
}

}  // namespace alchemy
