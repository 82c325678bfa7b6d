// Reads a PostgreSQL schema from pg_catalog: the ordinary and partitioned tables of
// current_schema() (not their partitions), one query per kind of object for all tables.
//
// How PostgreSQL's answers map onto the schema types:
// - Types: boolean, smallint, integer, bigint, real, double precision, text, bytea, date
//   and timestamp with time zone map to their kinds; character varying(n) -> text with
//   length n (no length: 0). A domain column is read as the domain's base type, and the
//   domain's name kept in `domain`, which DDL writes. A collation other than the type's
//   default is kept in `collation`. Any other type (numeric(p,s),
//   timestamp without time zone, timestamptz(3), character(n), jsonb, uuid, arrays, ...)
//   keeps format_type()'s spelling in database_type, with the nearest kind (timestamp,
//   double_precision, text), so that it compares unequal to every model type.
// - An identity column, or an integer column whose default calls nextval() (serial),
//   is autoincrement and has no server_default.
// - server_default is pg_get_expr(..., pretty) without enclosing parentheses (as on
//   SQLite), with one more rewrite: when the whole default is a quoted literal cast to
//   a type ('x'::text, '-1'::integer), the cast is dropped, and for the numeric types
//   (smallint, integer, bigint, numeric, real, double precision) a literal that is a
//   plain number loses its quotes as well. So 'active', 'it''s', 18, -1, 5000000000, 0,
//   1.5, CURRENT_TIMESTAMP and now() come back as written, TRUE and FALSE as true and
//   false, and other expressions as PostgreSQL prints them.
// - A CHECK expression is what pg_get_constraintdef(..., pretty) puts inside CHECK (...),
//   less any parentheses around the whole of it. PostgreSQL stores the parsed
//   expression, not the text: identifiers lose needless quotes, literals gain casts and
//   IN lists become = ANY (ARRAY[...]), so only simple expressions such as "age >= 0"
//   come back exactly as written. Compare check constraints by name.
#include "drivers/postgresql/pg_migrate.hpp"
#include "migrate/inspect_backend.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace alchemy::detail {
namespace {

using Tables = std::map<std::string, Table, std::less<>>;

// Every query reads the same set of tables; excluded ones are dropped afterwards.
constexpr std::string_view tables_in_schema =
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition ";

template <class... Ts>
auto rows(Connection& conn, std::string sql) {
    return conn.execute(text(std::move(sql)).columns<Ts...>()).all();
}

// --- types and defaults ------------------------------------------------------------

constexpr int varlena_header = 4;  // a character type's typmod is its length plus this

/// `formatted` is format_type()'s spelling, kept where no kind matches exactly: the
/// models cannot hold such a column, and a change to it must show, not be read as the
/// nearest kind and so compare equal.
ColumnType postgresql_type(std::string_view name, std::int64_t typmod, std::string formatted) {
    if (name == "bool") return {TypeKind::boolean, 0};
    if (name == "int2") return {TypeKind::small_integer, 0};
    if (name == "int4") return {TypeKind::integer, 0};
    if (name == "int8") return {TypeKind::big_integer, 0};
    if (name == "float4") return {TypeKind::single_precision, 0};
    if (name == "float8") return {TypeKind::double_precision, 0};
    if (name == "bytea") return {TypeKind::blob, 0};
    if (name == "date") return {TypeKind::date, 0};
    if (name == "text") return {TypeKind::text, 0};
    if (name == "varchar")
        return {TypeKind::text, typmod >= varlena_header ? static_cast<int>(typmod - varlena_header) : 0};
    if (name == "timestamptz" && typmod < 0) return {TypeKind::timestamp, 0};
    if (name == "timestamptz" || name == "timestamp") return {TypeKind::timestamp, 0, std::move(formatted)};
    if (name == "numeric") return {TypeKind::double_precision, 0, std::move(formatted)};
    if (name == "bpchar" && typmod >= varlena_header)
        return {TypeKind::text, static_cast<int>(typmod - varlena_header), std::move(formatted)};
    return {TypeKind::text, 0, std::move(formatted)};
}

/// The offset just past the single-quoted literal starting at `at` ('' stands for ').
std::size_t end_of_literal(std::string_view sql, std::size_t at) {
    for (auto i = at + 1; i < sql.size(); ++i) {
        if (sql[i] != '\'') continue;
        if (i + 1 < sql.size() && sql[i + 1] == '\'') ++i;
        else return i + 1;
    }
    return std::string_view::npos;
}

/// A type name as PostgreSQL prints it in a cast: "text", "character varying",
/// "numeric(10,2)", "timestamp with time zone".
bool is_type_name(std::string_view type) {
    return !type.empty() && std::ranges::all_of(type, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ' ' || c == '(' ||
               c == ')' || c == ',';
    });
}

bool is_numeric_type(std::string_view type) {
    const auto base = type.substr(0, type.find('('));
    return base == "smallint" || base == "integer" || base == "bigint" || base == "numeric" ||
           base == "real" || base == "double precision";
}

/// -12, 3.5, 1e-3: a number as SQL spells it without quotes.
bool is_plain_number(std::string_view literal) {
    std::size_t i = 0;
    const auto at = [&](char c) { return i < literal.size() && literal[i] == c; };
    const auto digits = [&] {
        const auto from = i;
        while (i < literal.size() && literal[i] >= '0' && literal[i] <= '9') ++i;
        return i > from;
    };
    if (at('-')) ++i;
    if (!digits()) return false;
    if (at('.')) {
        ++i;
        if (!digits()) return false;
    }
    if (at('e') || at('E')) {
        ++i;
        if (at('+') || at('-')) ++i;
        if (!digits()) return false;
    }
    return i == literal.size();
}

/// See the file comment: (1 + 2) -> 1 + 2, 'x'::text -> 'x', '-1'::integer -> -1.
std::string normalise_default(std::string_view pg_expression) {
    std::string expression(without_enclosing_parens(pg_expression));
    if (!expression.starts_with('\'')) return expression;
    const auto end = end_of_literal(expression, 0);
    if (end == std::string_view::npos) return expression;
    const std::string_view rest = std::string_view(expression).substr(end);
    if (!rest.starts_with("::") || !is_type_name(rest.substr(2))) return expression;
    const auto literal = std::string_view(expression).substr(0, end);
    const auto unquoted = literal.substr(1, literal.size() - 2);
    if (is_numeric_type(rest.substr(2)) && is_plain_number(unquoted)) return std::string(unquoted);
    return std::string(literal);
}

// --- check expressions -------------------------------------------------------------

/// "CHECK (age >= 0) NOT VALID" -> "age >= 0".
std::string check_expression(std::string_view definition) {
    auto open = definition.find('(');
    auto close = open == std::string_view::npos ? open : closing_paren(definition, open);
    if (close == std::string_view::npos) return std::string(definition);
    return std::string(without_enclosing_parens(definition.substr(open + 1, close - open - 1)));
}

ReferentialAction postgresql_action(std::string_view code) {
    if (code == "r") return ReferentialAction::restrict;
    if (code == "c") return ReferentialAction::cascade;
    if (code == "n") return ReferentialAction::set_null;
    if (code == "d") return ReferentialAction::set_default;
    return ReferentialAction::no_action;  // "a"
}

// --- the catalog queries -----------------------------------------------------------

Tables read_columns(Connection& conn) {
    Tables tables;
    // A domain column is described by the domain's base type and its typmod; format_type()
    // spells the domain's name as DDL must write it (quoted, qualified where needed).
    for (auto& [table_name, name, type, typmod, formatted, domain, collation, not_null, identity,
                generated_always, default_sql] :
         rows<std::string, std::string, std::string, std::int64_t, std::string, std::optional<std::string>,
              std::optional<std::string>, bool, bool, bool, std::optional<std::string>>(
             conn,
             "SELECT c.relname::text, a.attname::text, "
             "COALESCE(base.typname, t.typname)::text, "
             "CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END, "
             "format_type(COALESCE(base.oid, t.oid), CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE "
             "a.atttypmod END), "
             "CASE WHEN t.typtype = 'd' THEN format_type(a.atttypid, a.atttypmod) END, "
             "CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END, "
             "a.attnotnull, a.attidentity IN ('a', 'd'), a.attidentity = 'a', "
             "CASE WHEN a.attgenerated <> 's' THEN pg_get_expr(d.adbin, d.adrelid, true) END "
             "FROM pg_catalog.pg_class c "
             "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid "
             "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
             "LEFT JOIN pg_catalog.pg_type base ON t.typtype = 'd' AND base.oid = t.typbasetype "
             "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum " +
                 std::string(tables_in_schema) +
                 "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum")) {
        auto& table = tables[table_name];
        table.name = table_name;
        auto& column = table.columns.emplace_back();
        column.name = std::move(name);
        column.type = postgresql_type(type, typmod, std::move(formatted));
        column.type.domain = domain.value_or("");
        column.type.collation = collation.value_or("");
        column.nullable = !not_null;
        const bool serial =
            is_integer_kind(column.type.kind) && default_sql && default_sql->starts_with("nextval(");
        column.autoincrement = identity || serial;
        column.generated_always = generated_always;
        if (default_sql && !column.autoincrement) column.server_default = normalise_default(*default_sql);
    }
    return tables;
}

/// Calls visit(first, last) for each run of rows that describe one object: rows whose
/// first two columns (table name, object name) agree.
template <class Rows, class Visit>
void for_each_object(const Rows& all, Visit visit) {
    for (auto first = all.begin(); first != all.end();) {
        const auto last = std::find_if_not(first, all.end(), [&](const auto& row) {
            return std::get<0>(row) == std::get<0>(*first) && std::get<1>(row) == std::get<1>(*first);
        });
        visit(first, last);
        first = last;
    }
}

// Primary keys, unique constraints and foreign keys: one row per column, in key order.
void read_key_constraints(Connection& conn, Tables& tables) {
    const auto key_rows = rows<std::string, std::string, std::string, std::string, std::optional<std::string>,
                               std::optional<std::string>, std::string, std::string, bool, bool>(
        conn,
        "SELECT c.relname::text, con.conname::text, con.contype::text, a.attname::text, "
        "rc.relname::text, ra.attname::text, con.confdeltype::text, con.confupdtype::text, "
        "con.condeferrable, con.condeferred "
        "FROM pg_catalog.pg_constraint con "
        "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
        "CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, position) "
        "JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
        "LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid "
        "LEFT JOIN pg_catalog.pg_attribute ra "
        "ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[k.position] " +
            std::string(tables_in_schema) +
            "AND con.contype IN ('p', 'u', 'f') ORDER BY c.relname, con.conname, k.position");
    for_each_object(key_rows, [&](auto first, auto last) {
        const auto table = tables.find(std::get<0>(*first));
        if (table == tables.end()) return;
        const auto& name = std::get<1>(*first);
        const auto& type = std::get<2>(*first);
        std::vector<std::string> columns;
        std::vector<std::string> referred_columns;
        for (auto row = first; row != last; ++row) {
            columns.push_back(std::get<3>(*row));
            if (std::get<5>(*row)) referred_columns.push_back(*std::get<5>(*row));
        }
        if (type == "p") {
            table->second.primary_key = {name, std::move(columns)};
        } else if (type == "u") {
            table->second.unique_constraints.push_back({name, std::move(columns)});
        } else {
            table->second.foreign_keys.push_back(
                {name, std::move(columns), std::get<4>(*first).value_or(""), std::move(referred_columns),
                 postgresql_action(std::get<6>(*first)), postgresql_action(std::get<7>(*first)),
                 std::get<8>(*first), std::get<9>(*first)});
        }
    });
}

void read_check_constraints(Connection& conn, Tables& tables) {
    for (const auto& [table_name, name, definition] : rows<std::string, std::string, std::string>(
             conn,
             "SELECT c.relname::text, con.conname::text, pg_get_constraintdef(con.oid, true) "
             "FROM pg_catalog.pg_constraint con "
             "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid " +
                 std::string(tables_in_schema) + "AND con.contype = 'c'")) {
        const auto table = tables.find(table_name);
        if (table != tables.end())
            table->second.check_constraints.push_back({name, check_expression(definition)});
    }
}

// Indexes behind a primary key, unique or exclusion constraint belong to the constraint.
// A key column without a name is an expression: such indexes are left out.
// Only what Index describes: a B-tree over plain columns in their own collation and
// ascending order, without WHERE or INCLUDE. Any other index is left out, as SQLite's
// inspection leaves out its own (sqlite_inspect.cpp): read as an Index, its drop's
// downgrade would create a different one.
void read_indexes(Connection& conn, Tables& tables) {
    const auto index_rows = rows<std::string, std::string, bool, std::optional<std::string>, bool>(
        conn,
        "SELECT c.relname::text, ic.relname::text, i.indisunique, a.attname::text, "
        "COALESCE(i.indoption[k.position] = 0 AND i.indcollation[k.position] IN (0, a.attcollation), false) "
        "FROM pg_catalog.pg_index i "
        "JOIN pg_catalog.pg_class c ON c.oid = i.indrelid "
        "JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
        "JOIN pg_catalog.pg_am am ON am.oid = ic.relam "
        "CROSS JOIN LATERAL generate_series(0, i.indnkeyatts - 1) AS k(position) "
        "LEFT JOIN pg_catalog.pg_attribute a "
        "ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k.position] " +
            std::string(tables_in_schema) +
            "AND am.amname = 'btree' AND i.indpred IS NULL AND i.indnatts = i.indnkeyatts "
            "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con "
            "WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')) "
            "ORDER BY c.relname, ic.relname, k.position");
    for_each_object(index_rows, [&](auto first, auto last) {
        const auto table = tables.find(std::get<0>(*first));
        if (table == tables.end()) return;
        Index index{std::get<1>(*first), {}, std::get<2>(*first)};
        for (auto row = first; row != last; ++row) {
            if (!std::get<3>(*row) || !std::get<4>(*row)) return;  // an expression, DESC, a collation
            index.columns.push_back(*std::get<3>(*row));
        }
        table->second.indexes.push_back(std::move(index));
    });
}

}  // namespace

std::vector<Table> inspect_postgresql(Connection& conn, std::span<const std::string> exclude) {
    // A table without columns has nothing the schema types can describe; it never shows
    // up here because tables are found through their columns.
    auto tables = read_columns(conn);
    std::erase_if(tables, [&](const auto& entry) { return is_excluded(entry.first, exclude); });
    read_key_constraints(conn, tables);
    read_check_constraints(conn, tables);
    read_indexes(conn, tables);
    std::vector<Table> out;
    out.reserve(tables.size());
    for (auto& [name, table] : tables) out.push_back(std::move(table));
    return out;
}

}  // namespace alchemy::detail
