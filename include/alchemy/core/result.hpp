// Result<Row>: the rows of one executed statement, read forward into typed values.
// detail::BufferedResult<Row>: the same accessors over rows already in memory (an
// INSERT's RETURNING rows, the Session's objects), so every result speaks SQLAlchemy's
// all/first/one/one_or_none/scalar/scalar_one/scalar_one_or_none.
//
// Row is a scalar (Result<std::int64_t>), a std::tuple of column types (usable with
// structured bindings), or any type with a row_traits specialisation (the schema layer
// adds models). Result<> (Row = void) is the untyped result of a statement that
// returns no rows, or whose row type is chosen later with as<Ts...>().
#pragma once

#include "alchemy/core/driver.hpp"
#include "alchemy/core/error.hpp"
#include "alchemy/core/value_traits.hpp"
#include "alchemy/fwd.hpp"  // Result's default template arguments

#include <cstddef>
#include <iterator>
#include <memory>
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
    static std::tuple<Ts...> read(const Cursor& c) { return read(c, std::index_sequence_for<Ts...>{}); }

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

namespace detail {
class ResultBase;

/// The Results of one Connection that still hold a cursor. The Connection closes them
/// before its database connection goes back to the pool, where the pool may free their
/// cursors or another borrower's statements reuse them; a closed one's reads then throw
/// InvalidRequestError instead of reading another statement's rows. An intrusive list, so
/// that running a statement allocates nothing.
class OpenResults {
public:
    OpenResults() = default;
    OpenResults(OpenResults&& other) noexcept { *this = std::move(other); }
    OpenResults& operator=(OpenResults&& other) noexcept;
    ~OpenResults() { close_all(); }

    /// `streamed`: the Result's rows come from the database as it reads them
    /// (ExecuteOptions::stream_results); `savepoints`: how many SAVEPOINTs were open when
    /// its statement started.
    void add(ResultBase& result, bool streamed, std::size_t savepoints) noexcept;
    /// Closes every Result on the list; their later reads throw InvalidRequestError.
    void close_all() noexcept;
    /// Closes the streamed Results whose statements started with at least `savepoints`
    /// SAVEPOINTs open, for a rollback to that depth (0: the whole transaction): it ends
    /// their statements, where an executed Result holds its rows, and a stream that began
    /// before the SAVEPOINT reads on. Their later reads throw InvalidRequestError.
    void close_streamed(std::size_t savepoints) noexcept;

private:
    ResultBase* head_ = nullptr;
};

/// The non-template part of every Result: owns the cursor until closed.
class ResultBase {
public:
    ResultBase(ResultBase&& other) noexcept
        : cursor_(std::exchange(other.cursor_, nullptr)),
          rowcount_(other.rowcount_),
          streamed_(other.streamed_),
          savepoints_at_start_(other.savepoints_at_start_),
          closed_by_(other.closed_by_) {
        take_link(other);
    }
    ResultBase& operator=(ResultBase&& other) noexcept {
        if (this != &other) {
            close();
            cursor_ = std::exchange(other.cursor_, nullptr);
            rowcount_ = other.rowcount_;
            streamed_ = other.streamed_;
            savepoints_at_start_ = other.savepoints_at_start_;
            closed_by_ = other.closed_by_;
            take_link(other);
        }
        return *this;
    }
    ~ResultBase() { close(); }

    /// Rows inserted, updated or deleted by the statement. Throws InvalidRequestError for a
    /// result streamed from PostgreSQL before its last row was read, or closed before it:
    /// the database tells the count at the statement's end.
    std::int64_t rowcount() const {
        const auto count = cursor_ ? cursor_->rows_affected() : rowcount_;
        if (count < 0) throw_rowcount_unknown();
        return count;
    }
    /// Calls f(cursor) at each remaining row, for a reader that keeps state between rows
    /// (the ORM's joined loads read several models per row, its queries read each row into
    /// the object it becomes).
    template <class F>
    void each_row(F&& f) && {
        while (next_row()) f(current_row());
    }
    /// For such a reader that takes the rows a few at a time (the ORM's yield_per()):
    /// moves to the next row, false once the rows ended; current_row() is then that row.
    bool next_row() { return advance(); }
    /// Throws InvalidRequestError once the rows ended (next_row() returned false).
    const Cursor& current_row() const {
        if (!cursor_) throw_no_current_row();
        return *cursor_;
    }
    /// Releases the cursor; later reads see no rows.
    void close() noexcept {
        if (cursor_) {
            rowcount_ = cursor_->rows_affected();
            std::exchange(cursor_, nullptr)->close();
        }
        unlink();
    }

protected:
    explicit ResultBase(Cursor& cursor) noexcept : cursor_(&cursor) {}
    /// Throws ProgrammingError if the statement's column count differs from the row type's.
    void check_columns(int expected) const;
    /// Throws InvalidRequestError if the connection closed this result before its end.
    void check_not_orphaned() const {
        if (closed_by_ != ClosedBy::nothing) throw_orphaned(closed_by_);
    }
    bool advance() {
        if (!cursor_) {
            check_not_orphaned();
            return false;
        }
        try {
            if (cursor_->next()) return true;
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

private:
    friend class OpenResults;
    /// What of its Connection's closed this result before its end.
    enum class ClosedBy : unsigned char { nothing, connection_close, rollback };
    [[noreturn]] static void throw_orphaned(ClosedBy closed_by);
    [[noreturn]] static void throw_rowcount_unknown();
    [[noreturn]] static void throw_no_current_row();
    /// Takes `other`'s place in its Connection's OpenResults.
    void take_link(ResultBase& other) noexcept {
        prev_next_ = std::exchange(other.prev_next_, nullptr);
        next_ = std::exchange(other.next_, nullptr);
        if (!prev_next_) return;
        *prev_next_ = this;
        if (next_) next_->prev_next_ = &next_;
    }
    void unlink() noexcept {
        if (!prev_next_) return;
        *prev_next_ = next_;
        if (next_) next_->prev_next_ = prev_next_;
        prev_next_ = nullptr;
        next_ = nullptr;
    }

    ResultBase* next_ = nullptr;
    ResultBase** prev_next_ = nullptr;  ///< the pointer to this in OpenResults; null: not on it
    bool streamed_ = false;
    std::size_t savepoints_at_start_ = 0;  ///< SAVEPOINTs open when its statement started
    ClosedBy closed_by_ = ClosedBy::nothing;
};

inline OpenResults& OpenResults::operator=(OpenResults&& other) noexcept {
    if (this != &other) {
        close_all();
        head_ = std::exchange(other.head_, nullptr);
        if (head_) head_->prev_next_ = &head_;
    }
    return *this;
}

inline void OpenResults::add(ResultBase& result, bool streamed, std::size_t savepoints) noexcept {
    result.streamed_ = streamed;
    result.savepoints_at_start_ = savepoints;
    result.next_ = head_;
    if (head_) head_->prev_next_ = &result.next_;
    head_ = &result;
    result.prev_next_ = &head_;
}

inline void OpenResults::close_all() noexcept {
    while (head_) {
        head_->closed_by_ = ResultBase::ClosedBy::connection_close;
        head_->close();  // unlinks it
    }
}

inline void OpenResults::close_streamed(std::size_t savepoints) noexcept {
    for (ResultBase** link = &head_; *link;) {
        ResultBase& result = **link;
        if (!result.streamed_ || result.savepoints_at_start_ < savepoints) {
            link = &result.next_;
            continue;
        }
        result.closed_by_ = ResultBase::ClosedBy::rollback;
        result.close();  // unlinks it: *link is the next one now
    }
}

[[noreturn]] void throw_no_result();
[[noreturn]] void throw_multiple_results();

/// The first column of a row: element 0 of a tuple, the row itself for a scalar.
template <class R>
auto first_column(R&& row) {
    if constexpr (requires { std::tuple_size<std::remove_cvref_t<R>>::value; })
        return std::get<0>(std::forward<R>(row));
    else return std::forward<R>(row);
}

/// "No row": a null pointer where the row is a std::shared_ptr (the Session's objects),
/// else an empty optional.
template <class Row>
inline constexpr bool pointer_row_v = false;
template <class T>
inline constexpr bool pointer_row_v<std::shared_ptr<T>> = true;
template <class Row>
using maybe_row_t = std::conditional_t<pointer_row_v<Row>, Row, std::optional<Row>>;

/// Rows already read into memory, with Result's accessors. Unlike a Result they can be
/// read any number of times.
template <class Row>
class BufferedResult {
public:
    explicit BufferedResult(std::vector<Row> rows) noexcept : rows_(std::move(rows)) {}

    const std::vector<Row>& all() const& noexcept { return rows_; }
    std::vector<Row> all() && noexcept { return std::move(rows_); }
    auto begin() const noexcept { return rows_.begin(); }
    auto end() const noexcept { return rows_.end(); }
    std::size_t size() const noexcept { return rows_.size(); }

    /// The first row, or none.
    maybe_row_t<Row> first() const {
        return rows_.empty() ? maybe_row_t<Row>() : maybe_row_t<Row>(rows_.front());
    }
    /// The only row (a copy: the result is often a temporary), else NoResultFound /
    /// MultipleResultsFound.
    Row one() const {
        if (rows_.empty()) throw_no_result();
        if (rows_.size() > 1) throw_multiple_results();
        return rows_.front();
    }
    /// The only row or none; more than one throws MultipleResultsFound.
    maybe_row_t<Row> one_or_none() const {
        if (rows_.size() > 1) throw_multiple_results();
        return first();
    }
    /// The first column of the first row, or nothing when there is no row.
    auto scalar() const {
        using column = maybe_row_t<decltype(first_column(rows_.front()))>;
        return rows_.empty() ? column() : column(first_column(rows_.front()));
    }
    /// The first column of the only row, else NoResultFound / MultipleResultsFound.
    auto scalar_one() const { return first_column(one()); }
    /// The first column of the only row, or nothing; more than one row throws
    /// MultipleResultsFound.
    auto scalar_one_or_none() const {
        if (rows_.size() > 1) throw_multiple_results();
        return scalar();
    }

private:
    std::vector<Row> rows_;
};
}  // namespace detail

/// Reader reads one Row from the cursor (default: row_traits<Row>); statements whose
/// columns need their own conversions (enums, adapted types) pass a reader of their own.
template <class Row, class Reader>
class Result : public detail::ResultBase {
    static_assert(
        requires(const Cursor& c) {
            { Reader::read(c) } -> std::same_as<Row>;
        },
        "alchemy: Result<Row> needs a Row that can be read from a cursor: a supported scalar, "
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
    auto scalar() { return first_column_of(first()); }
    /// The first column of the only row, else NoResultFound / MultipleResultsFound.
    auto scalar_one() { return detail::first_column(one()); }
    /// The first column of the only row, or nothing; more than one row throws
    /// MultipleResultsFound.
    auto scalar_one_or_none() { return first_column_of(one_or_none()); }

private:
    friend class Result<void, row_traits<void>>;
    /// Takes over an untyped result's cursor and its place among its Connection's results.
    explicit Result(ResultBase&& untyped) : ResultBase(std::move(untyped)) { check_columns(Reader::columns); }

    bool fetch() {
        if (!advance()) return false;
        current_.emplace(Reader::read(*cursor_));
        return true;
    }
    static auto first_column_of(std::optional<Row>&& row) {
        using column = decltype(detail::first_column(std::declval<Row>()));
        return row ? std::optional<column>(detail::first_column(std::move(*row))) : std::optional<column>();
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
    /// Reads the rows with a reader of the caller's (see Result's Reader).
    template <class Row, class Reader>
    Result<Row, Reader> read_with() && {
        check_not_orphaned();
        if (!cursor_) throw InvalidRequestError("alchemy: this result is already closed");
        return Result<Row, Reader>(static_cast<ResultBase&&>(*this));
    }
    /// The first column of the first row as T, or nothing when there is no row.
    template <readable_value T>
    std::optional<T> scalar() && {
        return std::move(*this).template as<T>().first();
    }
};

}  // namespace alchemy
