// Renders the statement tree (sql/statement_tree.hpp) as SQL text for one dialect.
// Placeholders are numbered in text order, which is the order in which the typed
// statements bind their values.
#include "alchemy/sql/statement_tree.hpp"

#include "alchemy/core/error.hpp"

#include <fmt/format.h>

namespace alchemy::detail::ast {
namespace {

class Renderer {
public:
    explicit Renderer(const Dialect& dialect) : dialect_(dialect) {}

    std::string take() { return std::move(out_); }

    /// `where_true`: every SELECT core gets a WHERE, "WHERE true" when it has no
    /// condition (see insert()).
    void select(const Select& s, bool where_true = false) {
        if (!s.ctes.empty()) {
            out_ += s.recursive ? "WITH RECURSIVE " : "WITH ";
            for (std::size_t i = 0; i < s.ctes.size(); ++i) {
                if (i) out_ += ", ";
                identifier(s.ctes[i].name);
                out_ += " AS (";
                select(*s.ctes[i].select);
                out_ += ')';
            }
            out_ += ' ';
        }
        out_ += s.distinct ? "SELECT DISTINCT " : "SELECT ";
        for (std::size_t i = 0; i < s.columns.size(); ++i) {
            if (i) out_ += ", ";
            node(s.columns[i]);
            if (i < s.labels.size() && !s.labels[i].empty()) {
                out_ += " AS ";
                identifier(s.labels[i]);
            }
        }
        from(s.from);
        for (const auto& join : s.joins) {
            out_ += join.left ? " LEFT OUTER JOIN " : " JOIN ";
            table(join.table);
            out_ += " ON ";
            node(join.on);
        }
        if (where_true && s.where.empty()) out_ += " WHERE true";
        else conjunction(" WHERE ", s.where);
        if (!s.group_by.empty()) {
            out_ += " GROUP BY ";
            comma_list(s.group_by);
        }
        conjunction(" HAVING ", s.having);
        for (const auto& [op, other] : s.compound) {
            out_ += ' ';
            out_ += op;
            out_ += ' ';
            select(*other, where_true);
        }
        if (!s.order_by.empty()) {
            out_ += " ORDER BY ";
            order(s.order_by);
        }
        if (s.limit) {
            out_ += " LIMIT ";
            parameter();
        } else if (s.offset) {
            out_ += dialect_.limit_before_lone_offset();
        }
        if (s.offset) {
            out_ += " OFFSET ";
            parameter();
        }
    }

    void insert(const Insert& s) {
        out_ += "INSERT INTO ";
        identifier(s.table);
        if (!s.columns.empty()) {
            out_ += " (";
            names(s.columns);
            out_ += ')';
        }
        if (s.from_select) {
            out_ += ' ';
            select(*s.from_select,
                   s.conflict != Insert::Conflict::none && dialect_.upsert_select_needs_where());
        } else if (s.columns.empty()) {
            out_ += " DEFAULT VALUES";
        } else if (!s.values.empty()) {
            out_ += " VALUES (";
            comma_list(s.values);
            out_ += ')';
        } else {
            out_ += " VALUES ";
            for (std::size_t r = 0; r < s.rows; ++r) {
                out_ += r ? ", (" : "(";
                for (std::size_t c = 0; c < s.columns.size(); ++c) {
                    if (c) out_ += ", ";
                    parameter();
                }
                out_ += ')';
            }
        }
        if (s.conflict != Insert::Conflict::none) {
            if (dialect_.upsert_syntax() == UpsertSyntax::none) unsupported("an upsert (ON CONFLICT)");
            out_ += " ON CONFLICT";
            if (!s.conflict_columns.empty()) {
                out_ += " (";
                names(s.conflict_columns);
                out_ += ')';
            }
            if (s.conflict == Insert::Conflict::do_nothing) {
                out_ += " DO NOTHING";
            } else {
                out_ += " DO UPDATE SET ";
                assignments(s.conflict_set);
            }
        }
        returning(s.returning);
    }

    void update(const Update& s) {
        out_ += "UPDATE ";
        identifier(s.table);
        out_ += " SET ";
        assignments(s.set);
        from(s.from);
        conjunction(" WHERE ", s.where);
        returning(s.returning);
    }

    void remove(const Delete& s) {
        out_ += "DELETE FROM ";
        identifier(s.table);
        conjunction(" WHERE ", s.where);
        returning(s.returning);
    }

private:
    void node(const Node& n) {
        switch (n.kind) {
        case Kind::column:
            if (!n.qualifier.empty()) {
                identifier(n.qualifier);
                out_ += '.';
            }
            identifier(n.text);
            break;
        case Kind::star: out_ += '*'; break;
        case Kind::parameter: parameter(); break;
        case Kind::null: out_ += "NULL"; break;
        case Kind::keyword: out_ += n.text; break;
        case Kind::prefix:
            out_ += n.text;
            out_ += ' ';
            grouped(n.children[0]);
            break;
        case Kind::postfix:
            grouped(n.children[0]);
            out_ += ' ';
            out_ += n.text;
            break;
        case Kind::binary:
            grouped(n.children[0]);
            out_ += ' ';
            out_ += dialect_.operator_spelling(n.text);
            out_ += ' ';
            grouped(n.children[1]);
            break;
        case Kind::function:
            out_ += n.text;
            out_ += n.flag ? "(DISTINCT " : "(";
            comma_list(n.children);
            out_ += ')';
            break;
        case Kind::list:
            out_ += '(';
            comma_list(n.children);
            out_ += ')';
            break;
        case Kind::between:
            grouped(n.children[0]);
            out_ += ' ';
            out_ += n.text;
            out_ += ' ';
            grouped(n.children[1]);
            out_ += " AND ";
            grouped(n.children[2]);
            break;
        case Kind::like: like(n); break;
        case Kind::cast:
            if (n.text == "BOOLEAN" && n.qualifier == "TEXT" && !dialect_.casts_text_to_boolean())
                throw ArgumentError(
                    "alchemy: this database has no boolean type, and its CAST of a text to BOOLEAN reads "
                    "the text as a number ('true' becomes false); compare the text instead, as in "
                    "sa::lower(x) == \"true\"");
            out_ += "CAST(";
            node(n.children[0]);
            out_ += " AS ";
            out_ += n.flag ? n.text : dialect_.cast_type(n.text);
            out_ += ')';
            break;
        case Kind::case_when: case_when(n); break;
        case Kind::subquery:
            out_ += '(';
            select(*n.select);
            out_ += ')';
            break;
        case Kind::exists:
            out_ += "EXISTS (";
            select(*n.select);
            out_ += ')';
            break;
        case Kind::window: window(n); break;
        }
    }

    /// Operands that are themselves operators get parentheses, so precedence never
    /// depends on the dialect's operator table.
    void grouped(const Node& n) {
        const bool needs = n.kind == Kind::binary || n.kind == Kind::prefix || n.kind == Kind::postfix ||
                           n.kind == Kind::between || n.kind == Kind::like;
        if (needs) out_ += '(';
        node(n);
        if (needs) out_ += ')';
    }

    void like(const Node& n) {
        grouped(n.children[0]);
        out_ += ' ';
        out_ += dialect_.operator_spelling(n.text);
        out_ += ' ';
        grouped(n.children[1]);
        if (n.children.size() > 2) {
            out_ += " ESCAPE ";
            node(n.children[2]);
        }
    }

    void case_when(const Node& n) {
        out_ += "CASE";
        const std::size_t pairs = (n.children.size() - (n.flag ? 1 : 0)) / 2;
        for (std::size_t i = 0; i < pairs; ++i) {
            out_ += " WHEN ";
            node(n.children[2 * i]);
            out_ += " THEN ";
            node(n.children[2 * i + 1]);
        }
        if (n.flag) {
            out_ += " ELSE ";
            node(n.children.back());
        }
        out_ += " END";
    }

    void window(const Node& n) {
        node(n.children[0]);
        out_ += " OVER (";
        bool space = false;
        if (n.partition_count > 0) {
            out_ += "PARTITION BY ";
            for (int i = 1; i <= n.partition_count; ++i) {
                if (i > 1) out_ += ", ";
                node(n.children[static_cast<std::size_t>(i)]);
            }
            space = true;
        }
        if (!n.order.empty()) {
            if (space) out_ += ' ';
            out_ += "ORDER BY ";
            const auto first = static_cast<std::size_t>(n.partition_count) + 1;
            for (std::size_t i = 0; i < n.order.size(); ++i) {
                if (i) out_ += ", ";
                node(n.children[first + i]);
                ordering(n.order[i]);
            }
        }
        out_ += ')';
    }

    void order(const std::vector<OrderItem>& items) {
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i) out_ += ", ";
            node(items[i].expression);
            ordering(items[i].ordering);
        }
    }

    void ordering(const Ordering& o) {
        if (o.descending) out_ += " DESC";
        if (o.nulls == Ordering::Nulls::first) out_ += " NULLS FIRST";
        if (o.nulls == Ordering::Nulls::last) out_ += " NULLS LAST";
    }

    void from(const std::vector<TableRef>& tables) {
        if (tables.empty()) return;
        out_ += " FROM ";
        for (std::size_t i = 0; i < tables.size(); ++i) {
            if (i) out_ += ", ";
            table(tables[i]);
        }
    }

    void table(const TableRef& t) {
        if (t.subquery) {
            out_ += '(';
            select(*t.subquery);
            out_ += ')';
        } else if (!t.values.empty()) {
            out_ += "(VALUES ";
            comma_list(t.values);
            out_ += ')';
        } else {
            identifier(t.name);
        }
        if (!t.alias.empty()) {
            out_ += " AS ";
            identifier(t.alias);
        }
    }

    void conjunction(std::string_view keyword, const std::vector<Node>& terms) {
        if (terms.empty()) return;
        out_ += keyword;
        for (std::size_t i = 0; i < terms.size(); ++i) {
            if (i) out_ += " AND ";
            if (terms.size() > 1) grouped(terms[i]);
            else node(terms[i]);
        }
    }

    void assignments(const std::vector<Assignment>& set) {
        for (std::size_t i = 0; i < set.size(); ++i) {
            if (i) out_ += ", ";
            identifier(set[i].column);
            out_ += " = ";
            node(set[i].value);
        }
    }

    void returning(const std::vector<Node>& columns) {
        if (columns.empty()) return;
        if (!dialect_.supports_returning()) unsupported("RETURNING");
        out_ += " RETURNING ";
        comma_list(columns);
    }

    void comma_list(const std::vector<Node>& nodes) {
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            if (i) out_ += ", ";
            node(nodes[i]);
        }
    }

    void names(const std::vector<std::string_view>& list) {
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (i) out_ += ", ";
            identifier(list[i]);
        }
    }

    [[noreturn]] void unsupported(std::string_view feature) const {
        throw CompileError(
            fmt::format("alchemy: the {} dialect does not support {}", dialect_.name(), feature));
    }

    void identifier(std::string_view name) { dialect_.append_identifier(out_, name); }
    void parameter() { dialect_.append_placeholder(out_, ++placeholders_); }

    const Dialect& dialect_;
    std::string out_;
    int placeholders_ = 0;
};

}  // namespace

std::string render(const Dialect& dialect, const Select& select) {
    Renderer r(dialect);
    r.select(select);
    return r.take();
}

std::string render(const Dialect& dialect, const Insert& insert) {
    Renderer r(dialect);
    r.insert(insert);
    return r.take();
}

std::string render(const Dialect& dialect, const Update& update) {
    Renderer r(dialect);
    r.update(update);
    return r.take();
}

std::string render(const Dialect& dialect, const Delete& del) {
    Renderer r(dialect);
    r.remove(del);
    return r.take();
}

}  // namespace alchemy::detail::ast
