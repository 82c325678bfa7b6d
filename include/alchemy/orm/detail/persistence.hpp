// The statements the unit of work runs for model T — INSERT of many objects, UPDATE of
// the changed columns, DELETE and SELECT by primary key — and the per-column helpers
// they bind with. Texts whose shape depends only on T are rendered once per dialect.
#pragma once

#include "alchemy/core/dialect.hpp"
#include "alchemy/core/param_buffer.hpp"
#include "alchemy/schema/model_row.hpp"
#include "alchemy/schema/table.hpp"
#include "alchemy/sql/detail/ast.hpp"
#include "alchemy/sql/detail/sql_cache.hpp"
#include "alchemy/sql/insert.hpp"

#include <bitset>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <span>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace alchemy::detail {

/// Calls f(std::integral_constant<std::size_t, C>{}) for each column C of T.
template <class T, class F>
void for_each_column(F&& f) {
    [&]<std::size_t... C>(std::index_sequence<C...>) {
        (f(std::integral_constant<std::size_t, C>{}), ...);
    }(std::make_index_sequence<model_info<T>::column_count>{});
}

/// The field of column C.
template <std::size_t C, class T>
decltype(auto) field_of(T& obj) {
    return boost::pfr::get<model_info<std::remove_const_t<T>>::columns[C].field>(obj);
}

/// Which of T's columns an UPDATE sets.
template <class T>
using column_mask = std::bitset<model_info<T>::column_count>;

/// Equality of two field values as the database would store them; types without ==
/// (a type_adapter's) compare by their stored form.
template <class V>
bool same_value(const V& a, const V& b) {
    if constexpr (std::equality_comparable<V>) {
        return a == b;
    } else if constexpr (nullable_v<V>) {
        return a.has_value() == b.has_value() && (!a || same_value(*a, *b));
    } else {
        return type_adapter<V>::to_storage(a) == type_adapter<V>::to_storage(b);
    }
}

/// The column of T that sa::version() names, or column_count.
template <class T>
inline constexpr std::size_t version_column = [] {
    for (std::size_t c = 0; c < model_info<T>::column_count; ++c)
        if (model_info<T>::columns[c].version) return c;
    return model_info<T>::column_count;
}();
template <class T>
inline constexpr bool versioned = version_column<T> < model_info<T>::column_count;

// Identity keys -------------------------------------------------------------------------

template <class T, std::size_t... K>
auto key_tuple(std::index_sequence<K...>)
    -> std::tuple<field_type_t<T, model_info<T>::columns[model_info<T>::primary_key[K]].field>...>;

/// The identity of a row of T: its primary key values, in key order.
template <class T>
using key_type = decltype(key_tuple<T>(std::make_index_sequence<model_info<T>::primary_key_count>{}));

template <class T>
key_type<T> key_of(const T& obj) {
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
        return key_type<T>{field_of<model_info<T>::primary_key[K]>(obj)...};
    }(std::make_index_sequence<model_info<T>::primary_key_count>{});
}

template <class V>
std::size_t hash_value(const V& v) {
    if constexpr (nullable_v<V>)
        return v ? hash_value(*v) : 0x9e3779b9u;
    else if constexpr (requires { v.time_since_epoch(); })
        return std::hash<std::int64_t>{}(static_cast<std::int64_t>(v.time_since_epoch().count()));
    else if constexpr (requires { std::hash<V>{}(v); })
        return std::hash<V>{}(v);
    else
        static_assert(always_false<V>,
                      "alchemy: the Session keys its identity map by primary key; make the key "
                      "fields integers, strings, enums or time points");
}

template <class T>
struct key_hash {
    std::size_t operator()(const key_type<T>& key) const noexcept {
        return std::apply(
            [](const auto&... part) {
                std::size_t h = 0;
                ((h = h * 1000003u ^ hash_value(part)), ...);
                return h;
            },
            key);
    }
};

/// Binds the primary key columns of `obj` (in key order).
template <class T>
void bind_key(const T& obj, ParamBuffer& out) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        (column_codec<T, model_info<T>::primary_key[K]>::bind(field_of<model_info<T>::primary_key[K]>(obj), out),
         ...);
    }(std::make_index_sequence<model_info<T>::primary_key_count>{});
}
template <class T>
void bind_key_values(const key_type<T>& key, ParamBuffer& out) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        (column_codec<T, model_info<T>::primary_key[K]>::bind(std::get<K>(key), out), ...);
    }(std::make_index_sequence<model_info<T>::primary_key_count>{});
}

// Statement texts -------------------------------------------------------------------------

/// PostgreSQL's UPDATE of many rows in one statement: SET each of `set_columns` from a
/// VALUES list joined on `match_columns` (indexes into table.columns). Each VALUES row
/// binds the set values, then the match values: UPDATE t SET a = v.column1 FROM
/// (VALUES (CAST($1 AS ...), CAST($2 AS ...)), ($3, $4)) AS v WHERE t.id = v.column2.
std::string render_update_from_values(const Dialect& dialect, const Table& table,
                                      std::span<const std::size_t> set_columns,
                                      std::span<const std::size_t> match_columns, std::size_t rows);

/// `"column" = ?` for each primary key column (and the version column), ANDed by the renderer.
template <class T>
void key_conditions(std::vector<ast::Node>& where, bool with_version) {
    auto match = [&](std::size_t c) {
        ast::Node n{ast::Kind::binary, "="};
        n.children.emplace_back(ast::Kind::column, model_info<T>::columns[c].name);
        n.children.emplace_back(ast::Kind::parameter);
        where.push_back(std::move(n));
    };
    for (auto c : model_info<T>::primary_key) match(c);
    if constexpr (versioned<T>)
        if (with_version) match(version_column<T>);
}

/// INSERT INTO t (columns) VALUES (...) x rows, RETURNING the generated key when `generated`.
template <class T>
std::string render_insert(const Dialect& dialect, bool generated, std::size_t rows) {
    ast::Insert s;
    s.table = model_info<T>::table_name;
    for (const auto& column : model_info<T>::columns)
        if (!(generated && column.autoincrement)) s.columns.push_back(column.name);
    s.rows = rows;
    if (generated)
        for (const auto& column : model_info<T>::columns)
            if (column.autoincrement) s.returning.emplace_back(ast::Kind::column, column.name);
    return ast::render(dialect, s);
}

template <class T, bool Generated, bool Batch>
struct insert_shape {};

/// The INSERT text for `rows` objects: cached for one row and for a full batch.
template <class T>
std::string insert_sql(const Dialect& dialect, bool generated, std::size_t rows) {
    constexpr std::size_t batch = Insert<T>::max_batch_rows;
    auto cached = [&]<bool G, bool B>() -> const std::string& {
        return sql_cache<insert_shape<T, G, B>>::get(dialect, [&](const Dialect& d) { return render_insert<T>(d, G, B ? batch : 1); });
    };
    if (rows == 1) return generated ? cached.template operator()<true, false>() : cached.template operator()<false, false>();
    if (rows == batch) return generated ? cached.template operator()<true, true>() : cached.template operator()<false, true>();
    return render_insert<T>(dialect, generated, rows);
}

/// UPDATE t SET changed columns [, version] WHERE key [AND version]: binds the changed
/// values in column order, the new version, the key, then the old version.
template <class T>
std::string render_update(const Dialect& dialect, const column_mask<T>& changed) {
    ast::Update u;
    u.table = model_info<T>::table_name;
    for (std::size_t c = 0; c < model_info<T>::column_count; ++c)
        if (changed[c] || c == version_column<T>)
            u.set.push_back({model_info<T>::columns[c].name, ast::Node(ast::Kind::parameter)});
    key_conditions<T>(u.where, true);
    return ast::render(dialect, u);
}

template <class T>
struct delete_shape {};
/// DELETE FROM t WHERE key [AND version].
template <class T>
const std::string& delete_sql(const Dialect& dialect) {
    return sql_cache<delete_shape<T>>::get(dialect, [](const Dialect& d) {
        ast::Delete del;
        del.table = model_info<T>::table_name;
        key_conditions<T>(del.where, true);
        return ast::render(d, del);
    });
}

template <class T>
struct select_by_key_shape {};
/// SELECT every column FROM t WHERE key.
template <class T>
const std::string& select_by_key_sql(const Dialect& dialect) {
    return sql_cache<select_by_key_shape<T>>::get(dialect, [](const Dialect& d) {
        ast::Select s;
        for (const auto& column : model_info<T>::columns)
            s.columns.emplace_back(ast::Kind::column, column.name, model_info<T>::table_name);
        s.from.push_back({model_info<T>::table_name, {}, nullptr});
        std::vector<ast::Node> where;
        key_conditions<T>(where, false);
        for (auto& n : where) n.children.front().qualifier = model_info<T>::table_name;
        s.where = std::move(where);
        return ast::render(d, s);
    });
}

}  // namespace alchemy::detail
