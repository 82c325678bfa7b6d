// The non-template statement tree that typed statements lower into, and the entry
// points that render it for a dialect (src/sql/render_ast.cpp).
//
// Why a tree: typed expressions carry the compile-time checks; once checked, a statement
// becomes this small tree, built only when its SQL is not cached yet, and compiled code
// renders it. Dialect differences (placeholders, ILIKE on SQLite, upsert spelling,
// boolean literals) are decided in one place instead of in every template.
//
// Names are string_views into static storage (model and column names, operators,
// function names) or into the statement object being rendered.
//
// The tree is the sql layer's interface to the layers above, not a detail of it: the ORM
// builds its own statements with it (src/orm/model_statements.cpp, joinedload's joins in
// src/orm/joined_loader.cpp, query<T>()'s bulk UPDATE and DELETE). Users write typed
// statements instead.
#pragma once

#include "alchemy/core/dialect.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy::detail::ast {

enum class Kind : std::uint8_t {
    column,     ///< qualifier.text
    star,       ///< *
    parameter,  ///< one bound value
    null,       ///< NULL
    keyword,    ///< text as is: CURRENT_TIMESTAMP, DEFAULT
    prefix,     ///< text child (NOT x, -x)
    postfix,    ///< child text (x IS NULL)
    binary,     ///< child0 text child1
    function,   ///< text(child, ...); distinct flag for count(DISTINCT x)
    list,       ///< (child, child, ...)
    between,    ///< child0 BETWEEN child1 AND child2 (text: "BETWEEN" / "NOT BETWEEN")
    like,       ///< child0 text child1 [ESCAPE child2]; text: LIKE, NOT LIKE, ILIKE
    cast,       ///< CAST(child AS text): text a portable type name (sql/case_cast.hpp),
                ///< or with flag the dialect's own (schema/sql_type_name.hpp)
    case_when,  ///< CASE WHEN c0 THEN c1 ... [ELSE cN] END; flag has_else
    subquery,   ///< (SELECT ...) from `select`
    exists,     ///< EXISTS (SELECT ...)
    window,     ///< child0 OVER (PARTITION BY the next partition_count children
                ///< ORDER BY the remaining children, with `order` flags)
};

struct Select;

/// How one ORDER BY term sorts.
struct Ordering {
    bool descending = false;
    enum class Nulls : std::uint8_t { unspecified, first, last } nulls = Nulls::unspecified;
};

// The special members of Node and Select are compiled (src/sql/statement_tree.cpp), and
// children are added through add(): every typed expression's lower() builds nodes, and
// inline vector code in each of them was a large part of a query's compile time.
struct Node {
    Node() noexcept;
    explicit Node(Kind k, std::string_view t = {}, std::string_view q = {}) noexcept;
    Node(const Node&);
    Node(Node&&) noexcept;
    Node& operator=(const Node&);
    Node& operator=(Node&&) noexcept;
    ~Node();

    /// Appends `child` to children.
    void add(Node child);

    Kind kind = Kind::null;
    std::string_view text;
    std::string_view qualifier;
    std::vector<Node> children;
    std::shared_ptr<const Select> select;  ///< subquery / exists
    std::vector<Ordering> order;           ///< window: one per ORDER BY child
    int partition_count = 0;               ///< window: children[1..partition_count]
    bool flag = false;                     ///< DISTINCT in functions; ELSE present in CASE;
                                           ///< a cast's type is the dialect's own
};

struct OrderItem {
    Node expression;
    Ordering ordering;
};

struct TableRef {
    std::string_view name;                   ///< table name, or CTE name
    std::string_view alias;                  ///< empty: none
    std::shared_ptr<const Select> subquery;  ///< FROM (SELECT ...) AS alias
    std::vector<Node> values;                ///< FROM (VALUES row, ...) AS alias; each row a Kind::list
    /// A model's table: detail::model_identity<T>(), which tells two models apart that
    /// name one table (on two engines); else null.
    const void* model = nullptr;
};

struct Join {
    bool left = false;
    TableRef table;
    Node on;
};

struct Cte {
    std::string_view name;
    std::shared_ptr<const Select> select;
};

struct Select {
    Select() noexcept;
    Select(const Select&);
    Select(Select&&) noexcept;
    Select& operator=(const Select&);
    Select& operator=(Select&&) noexcept;
    ~Select();

    std::vector<Cte> ctes;
    bool recursive = false;
    bool distinct = false;
    std::vector<Node> columns;
    std::vector<std::string_view> labels;  ///< per column; empty: none
    std::vector<TableRef> from;
    std::vector<Join> joins;
    std::vector<Node> where;  ///< ANDed
    std::vector<Node> group_by;
    std::vector<Node> having;  ///< ANDed
    std::vector<OrderItem> order_by;
    bool limit = false;   ///< LIMIT takes the next parameter
    bool offset = false;  ///< OFFSET takes the next parameter
    /// UNION / UNION ALL / INTERSECT / EXCEPT with further selects (compound select).
    std::vector<std::pair<std::string_view, std::shared_ptr<const Select>>> compound;
};

struct Assignment {
    std::string_view column;
    Node value;
};

struct Insert {
    std::string_view table;
    std::vector<std::string_view> columns;
    std::size_t rows = 1;                       ///< rows of parameters (VALUES)
    std::vector<Node> values;                   ///< one row of expressions instead, when given
    std::shared_ptr<const Select> from_select;  ///< INSERT ... SELECT
    enum class Conflict : std::uint8_t { none, do_nothing, do_update } conflict = Conflict::none;
    std::vector<std::string_view> conflict_columns;
    std::vector<Assignment> conflict_set;
    std::vector<Node> returning;
};

struct Update {
    std::string_view table;
    std::vector<Assignment> set;
    std::vector<TableRef> from;  ///< UPDATE ... FROM: further tables the SET and WHERE read
    std::vector<Node> where;
    std::vector<Node> returning;
};

struct Delete {
    std::string_view table;
    std::vector<Node> where;
    std::vector<Node> returning;
};

std::string render(const Dialect& dialect, const Select& select);
std::string render(const Dialect& dialect, const Insert& insert);
std::string render(const Dialect& dialect, const Update& update);
std::string render(const Dialect& dialect, const Delete& del);

}  // namespace alchemy::detail::ast
