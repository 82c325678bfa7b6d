// sa::text("SELECT ... WHERE name = :name").bind("name", v): hand-written SQL with
// named parameters. Values are always bound, never spliced into the SQL: each ":name"
// becomes the dialect's placeholder ("?" or "$n"). Colons inside quoted strings,
// quoted identifiers, comments and PostgreSQL "::" casts are left alone; write "\:"
// for a literal colon before a name.
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/core/result.hpp"
#include "alchemy/core/value.hpp"
#include "alchemy/core/value_traits.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace alchemy {

class Connection;

namespace detail {
/// A text() clause rendered for one dialect: SQL with placeholders and, for each
/// placeholder in order, the name of the value it takes.
struct CompiledText {
    const Dialect* dialect = nullptr;
    std::string sql;
    std::vector<std::string> names;
};
CompiledText compile_text(std::string_view sql, const Dialect& dialect);

/// The last dialect's CompiledText of one text() clause. A const clause may be executed
/// by many threads at once (one shared by a thread pool), so the memo is read and
/// replaced under a lock, and each caller keeps the text it got alive while it runs.
class CompiledTextMemo {
public:
    CompiledTextMemo() = default;
    CompiledTextMemo(const CompiledTextMemo& other);
    CompiledTextMemo& operator=(const CompiledTextMemo& other);
    std::shared_ptr<const CompiledText> get(std::string_view sql, const Dialect& dialect) const;

private:
    mutable std::mutex mutex_;
    mutable std::shared_ptr<const CompiledText> text_;
};
}  // namespace detail

/// Hand-written SQL with named parameters; Row is the row type of its result
/// (void: untyped, see columns<Ts...>()).
template <class Row = void>
class TextClause {
public:
    explicit TextClause(std::string sql) : sql_(std::move(sql)) {}

    /// Binds `value` to every ":name" in the SQL (replacing an earlier binding).
    template <bindable_value T>
    TextClause& bind(std::string_view name, const T& value) & {
        set(name, Value(to_param(value)));
        return *this;
    }
    template <bindable_value T>
    TextClause&& bind(std::string_view name, const T& value) && {
        return std::move(bind(name, value));
    }

    /// The same SQL, with rows read as Ts... (one type: scalars; several: tuples).
    template <class... Ts>
    TextClause<row_of_t<Ts...>> columns() const {
        TextClause<row_of_t<Ts...>> typed(sql_);
        typed.binds_ = binds_;
        return typed;
    }

    const std::string& text() const noexcept { return sql_; }
    /// The SQL as sent to `dialect` (placeholders in place of names).
    std::string sql(const Dialect& dialect) const { return compiled_.get(sql_, dialect)->sql; }

    /// Executes on `conn`; Connection::execute(text) calls this.
    auto execute_on(Connection& conn) const;

private:
    template <class>
    friend class TextClause;

    void set(std::string_view name, Value v) {
        for (auto& [n, old] : binds_)
            if (n == name) {
                old = std::move(v);
                return;
            }
        binds_.emplace_back(std::string(name), std::move(v));
    }
    std::string sql_;
    std::vector<std::pair<std::string, Value>> binds_;
    detail::CompiledTextMemo compiled_;
};

/// Hand-written SQL; see TextClause.
inline TextClause<> text(std::string sql) { return TextClause<>(std::move(sql)); }

namespace detail {
/// Orders the bound values as the placeholders need them; throws ArgumentError for a
/// placeholder without a value or a value without a placeholder.
std::vector<Param> order_text_params(const CompiledText& compiled,
                                     const std::vector<std::pair<std::string, Value>>& binds);
}  // namespace detail

}  // namespace alchemy
