// Result<Row>: the rows of one executed statement, read forward into typed values.
//
// Row is a scalar (Result<std::int64_t>), a std::tuple of column types (usable with
// structured bindings), or any type with a row_traits specialisation (the schema layer
// adds models). Result<> (Row = void) is the untyped result of a statement that
// returns no rows, or whose row type is chosen later with as<Ts...>().
#pragma once

#include "alchemy/core/driver.hpp"
#include "alchemy/core/error.hpp"
#include "alchemy/core/value_traits.hpp"

#include <cstddef>
#include <iterator>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace alchemy {

/// How a row type is read from a cursor: `columns` is the number of columns it takes,
/// read(cursor) builds one row from the current cursor position. Specialise it for
/// new row kinds; scalars and tuples are covered here.
template <class Row>
struct row_traits;

template <readable_value T>
struct row_traits<T> {
    static constexpr int columns = 1;
    static T read(const Cursor& c) { return value_traits<T>::read(c, 0); }
};

template <readable_value... Ts>
struct row_traits<std::tuple<Ts...>> {
    static constexpr int columns = sizeof...(Ts);
    static std::tuple<Ts...> read(const Cursor& c) {
        return read(c, std::index_sequence_for<Ts...>{});
    }

private:
    template <std::size_t... I>
    static std::tuple<Ts...> read(const Cursor& c, std::index_sequence<I...>) {
        // Braced initialisation reads the columns left to right.
        return std::tuple<Ts...>{value_traits<Ts>::read(c, static_cast<int>(I))...};
    }
};

template <class Row>
concept readable_row = requires(const Cursor& c) {
    { row_traits<Row>::read(c) } -> std::same_as<Row>;
    { row_traits<Row>::columns } -> std::convertible_to<int>;
};

/// One column type is a scalar row; several make a tuple.
template <class... Ts>
struct row_of {
    using type = std::tuple<Ts...>;
};
template <class T>
struct row_of<T> {
    using type = T;
};
template <class... Ts>
using row_of_t = typename row_of<Ts...>::type;

template <class Row = void, class Reader = row_traits<Row>>
class Result;

namespace detail {
/// The non-template part of every Result: owns the cursor until closed.
class ResultBase {
public:
    ResultBase(ResultBase&& other) noexcept
        : cursor_(std::exchange(other.cursor_, nullptr)), rowcount_(other.rowcount_) {}
    ResultBase& operator=(ResultBase&& other) noexcept {
        if (this != &other) {
            close();
            cursor_ = std::exchange(other.cursor_, nullptr);
            rowcount_ = other.rowcount_;
        }
        return *this;
    }
    ~ResultBase() { close(); }

    /// Rows inserted, updated or deleted by the statement.
    std::int64_t rowcount() const noexcept { return cursor_ ? cursor_->rows_affected() : rowcount_; }
    /// Releases the cursor; later reads see no rows.
    void close() noexcept {
        if (cursor_) {
            rowcount_ = cursor_->rows_affected();
            std::exchange(cursor_, nullptr)->close();
        }
    }

protected:
    explicit ResultBase(Cursor& cursor) noexcept : cursor_(&cursor) {}
    /// Throws ProgrammingError if the statement's column count differs from the row type's.
    void check_columns(int expected) const;
    bool advance() {
        try {
            if (cursor_ && cursor_->next()) return true;
        } catch (...) {
            // A cursor that failed (a streamed row the database could not produce) has no
            // rows left; releasing it now means the Result never touches a cursor that a
            // reconnect destroyed with its connection.
            close();
            throw;
        }
        close();
        return false;
    }

    Cursor* cursor_;
    std::int64_t rowcount_ = 0;
};
[[noreturn]] void throw_no_result();
[[noreturn]] void throw_multiple_results();
}  // namespace detail

/// Reader reads one Row from the cursor (default: row_traits<Row>); statements whose
/// columns need their own conversions (enums, adapted types) pass a reader of their own.
template <class Row, class Reader>
class Result : public detail::ResultBase {
    static_assert(requires(const Cursor& c) {
        { Reader::read(c) } -> std::same_as<Row>;
    }, "alchemy: Result<Row> needs a Row that can be read from a cursor: a supported scalar, "
       "a std::tuple of them, or a mapped model");

public:
    explicit Result(Cursor& cursor) : ResultBase(cursor) { check_columns(Reader::columns); }

    class iterator {
    public:
        using value_type = Row;
        using difference_type = std::ptrdiff_t;
        using iterator_category = std::input_iterator_tag;

        iterator() = default;
        Row& operator*() const { return *result_->current_; }
        Row* operator->() const { return &*result_->current_; }
        iterator& operator++() {
            if (!result_->fetch()) result_ = nullptr;
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& a, std::default_sentinel_t) { return !a.result_; }

    private:
        friend class Result;
        explicit iterator(Result* r) : result_(r) {}
        Result* result_ = nullptr;
    };

    /// Single pass: begin() reads the first row.
    iterator begin() {
        if (!fetch()) return iterator{};
        return iterator{this};
    }
    std::default_sentinel_t end() const noexcept { return {}; }

    /// Every remaining row.
    std::vector<Row> all() {
        std::vector<Row> rows;
        while (advance()) rows.push_back(Reader::read(*cursor_));
        return rows;
    }
    /// The first row, or nothing; the rest is discarded.
    std::optional<Row> first() {
        std::optional<Row> row;
        if (advance()) row.emplace(Reader::read(*cursor_));
        close();
        return row;
    }
    /// Exactly one row, else NoResultFound / MultipleResultsFound.
    Row one() {
        auto row = one_or_none();
        if (!row) detail::throw_no_result();
        return std::move(*row);
    }
    /// One row or none; more than one throws MultipleResultsFound.
    std::optional<Row> one_or_none() {
        std::optional<Row> row;
        if (advance()) {
            row.emplace(Reader::read(*cursor_));
            if (advance()) {
                close();
                detail::throw_multiple_results();
            }
        }
        return row;
    }
    /// The first column of the first row, or nothing when there is no row.
    auto scalar() {
        auto row = first();
        using first_column = decltype(first_of(std::declval<Row>()));
        return row ? std::optional<first_column>(first_of(std::move(*row)))
                   : std::optional<first_column>();
    }
    /// The first column of the only row, else NoResultFound / MultipleResultsFound.
    auto scalar_one() { return first_of(one()); }

private:
    bool fetch() {
        if (!advance()) return false;
        current_.emplace(Reader::read(*cursor_));
        return true;
    }
    template <class R>
    static auto first_of(R&& row) {
        if constexpr (requires { std::tuple_size<std::remove_cvref_t<R>>::value; })
            return std::get<0>(std::forward<R>(row));
        else
            return std::forward<R>(row);
    }

    std::optional<Row> current_;
};

/// A result whose row type is not fixed: statements without rows, or text() without
/// columns<...>(). Pick the row type with as<Ts...>().
template <>
class Result<void, row_traits<void>> : public detail::ResultBase {
public:
    explicit Result(Cursor& cursor) noexcept : ResultBase(cursor) {}

    /// Reads the rows as Ts... (one type: scalar rows; several: tuples).
    template <class... Ts>
    Result<row_of_t<Ts...>> as() && {
        return std::move(*this).template read_with<row_of_t<Ts...>, row_traits<row_of_t<Ts...>>>();
    }
    /// Calls f(cursor) at each row, for a reader that keeps state between rows (the ORM's
    /// joined loads read several models per row).
    template <class F>
    void each_row(F&& f) && {
        while (advance()) f(static_cast<const Cursor&>(*cursor_));
    }
    /// Reads the rows with a reader of the caller's (see Result's Reader).
    template <class Row, class Reader>
    Result<Row, Reader> read_with() && {
        Cursor* c = std::exchange(cursor_, nullptr);
        if (!c) throw InvalidRequestError("alchemy: this result is already closed");
        return Result<Row, Reader>(*c);
    }
    /// The first column of the first row as T, or nothing when there is no row.
    template <readable_value T>
    std::optional<T> scalar() && {
        return std::move(*this).template as<T>().first();
    }
};

}  // namespace alchemy
