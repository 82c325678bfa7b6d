// ModelOps: what the Session's compiled core needs to know about one model, as a table of
// plain functions generated once per model at compile time. The identity map, the object
// states and the unit of work (src/orm/) handle objects through it as `void*`, so their
// code is compiled once instead of instantiated for every model; what stays a template
// is this table and the typed front (ModelSet<T>).
//
// An object and its snapshot are both a T: the snapshot holds the column values as the
// database last had them, and only columns are ever copied into it or compared with it.
#pragma once

#include "alchemy/core/param_buffer.hpp"
#include "alchemy/orm/detail/merge_memo.hpp"
#include "alchemy/orm/detail/persistence.hpp"
#include "alchemy/orm/detail/relationship_ops.hpp"
#include "alchemy/orm/object_state.hpp"
#include "alchemy/schema/model_table.hpp"
#include "alchemy/schema/type_name.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace alchemy::detail {

struct ModelStatements;
class SessionCore;

/// A session's object and its state.
using ObjectAndState = std::pair<std::shared_ptr<void>, InstanceState*>;

/// Where a load hands each row's object, with its state, as soon as it is read, so that
/// what the caller does with it (find its owner, say) runs while the object is still in
/// the cache rather than in a second pass over all of them. It hands the row too, for
/// the columns as the database has them: the session's object of a row it held already
/// keeps its own values. It borrows the callable for the duration of the call.
class ObjectSink {
public:
    template <class F>
    ObjectSink(F& take) noexcept
        : callable_(&take), call_([](void* callable, ObjectAndState&& loaded, const Cursor& row) {
              (*static_cast<F*>(callable))(std::move(loaded), row);
          }) {}
    void operator()(ObjectAndState&& loaded, const Cursor& row) const {
        call_(callable_, std::move(loaded), row);
    }

private:
    void* callable_;
    void (*call_)(void* callable, ObjectAndState&& loaded, const Cursor& row);
};

// Defined with ModelSet<T> (model_set.hpp), whose typed front they use.
template <class T>
void load_rows(SessionCore& session, std::string_view sql, std::span<const Param> params, ObjectSink take);
template <class T>
void add_object(SessionCore& session, const std::shared_ptr<void>& object);
template <class T>
ObjectAndState adopt_row(SessionCore& session, const Cursor& row, int first);

template <class T>
std::shared_ptr<void> merge_object(SessionCore& session, const std::shared_ptr<void>& source,
                                   MergeMemo& memo);

/// A set of a model's column indexes.
class ColumnMask {
public:
    static constexpr std::size_t max_columns = 256;

    void set(std::size_t c) noexcept { words_[c / 64] |= std::uint64_t{1} << (c % 64); }
    bool test(std::size_t c) const noexcept { return (words_[c / 64] >> (c % 64)) & 1u; }
    ColumnMask& operator|=(const ColumnMask& other) noexcept {
        for (std::size_t i = 0; i < words_.size(); ++i) words_[i] |= other.words_[i];
        return *this;
    }
    /// The columns of this set that are not in `other`.
    ColumnMask without(const ColumnMask& other) const noexcept {
        ColumnMask out;
        for (std::size_t i = 0; i < words_.size(); ++i) out.words_[i] = words_[i] & ~other.words_[i];
        return out;
    }
    bool any() const noexcept {
        for (auto w : words_)
            if (w) return true;
        return false;
    }
    bool intersects(const ColumnMask& other) const noexcept {
        for (std::size_t i = 0; i < words_.size(); ++i)
            if (words_[i] & other.words_[i]) return true;
        return false;
    }
    std::size_t hash() const noexcept {
        std::size_t h = 0;
        for (auto w : words_) h = h * 0x9e3779b97f4a7c15u ^ static_cast<std::size_t>(w);
        return h;
    }
    friend bool operator==(const ColumnMask&, const ColumnMask&) = default;

private:
    std::array<std::uint64_t, max_columns / 64> words_{};
};

struct ColumnMaskHash {
    std::size_t operator()(const ColumnMask& mask) const noexcept { return mask.hash(); }
};

/// The per-model table; see the file comment. `values` arguments are objects or
/// snapshots (a T either way).
struct ModelOps {
    std::string_view model_name;
    std::size_t model_id;  ///< model_id<T>(): how a Session finds the model's set and engine
    const Table& (*table)();
    ModelStatements& statements;  ///< its SQL texts, rendered once per dialect
    std::size_t column_count;
    std::span<const ColumnSpec> columns;  ///< model_info<T>::columns (sa::onupdate()'s SQL among them)
    std::span<const std::size_t> primary_key;
    /// The columns the database fills when an INSERT leaves them out
    /// (schema/model_row.hpp's fillable_columns): bit i of an insert shape is fillable[i].
    std::span<const std::size_t> fillable;
    std::size_t generated_column;  ///< the autoincrement column, or column_count
    std::size_t version_column;    ///< sa::version()'s column, or column_count
    ColumnMask onupdate;           ///< the columns with sa::onupdate()'s SQL
    /// The columns of the primary key and of unique constraints and indexes: an UPDATE of
    /// many rows at once could collide where the rows, updated one by one in the order the
    /// session holds them, would not (ids renumbered upwards, say).
    ColumnMask unique;

    /// True when every column but the version has the same value in both.
    bool (*same_columns)(const void* a, const void* b);
    /// Sets in `out` the columns (never the version) whose values differ.
    void (*changed_columns)(const void* object, const void* snapshot, ColumnMask& out);
    /// Copies every column value from `from` into `to`.
    void (*copy_columns)(void* to, const void* from);
    /// Puts the snapshot's values back into the object's columns that differ.
    void (*discard_changes)(void* object, const void* snapshot);
    /// A freshly read row for an expired object: each column the program did not change
    /// since takes the row's value; the snapshot takes all of them.
    void (*take_row)(void* object, void* snapshot, void* row);

    std::size_t (*hash_key)(const void* values);
    bool (*same_key)(const void* a, const void* b);
    /// The key as a number, for a model whose key is one integer column (else null): the
    /// identity map keeps such keys in a window indexed by key when they come close
    /// together. Null when the column is an empty optional.
    std::optional<std::int64_t> (*integer_key)(const void* values);
    /// True when the object leaves its generated key to the database (0 or empty).
    bool (*needs_generated_key)(const void* object);
    /// The first primary-key column the database does not generate whose std::optional
    /// field is empty, or column_count.
    std::size_t (*null_given_key)(const void* object);
    /// The object's insert shape: the fillable columns it leaves to the database
    /// (schema/model_row.hpp's left_to_database()).
    std::uint64_t (*left_to_database)(const void* object);

    /// Binds the columns in `columns`, in column order.
    void (*bind_columns)(const void* values, const ColumnMask& columns, ParamBuffer& out);
    /// Reads the columns in `columns`, in column order, from the row's first columns
    /// (a RETURNING clause).
    void (*read_columns)(void* values, const ColumnMask& columns, const Cursor& row);
    /// Reads every column, from the row's columns [first, first + column_count).
    void (*read_row)(void* values, const Cursor& row, int first);
    /// Moves each column's value out and drops it, so that what it held besides itself (a
    /// string's buffer) is freed; the columns keep their moved-from values.
    void (*release_columns)(void* values);
    /// Copies the values of the columns in `columns` from `from` into `to`.
    void (*copy_some)(void* to, const void* from, const ColumnMask& columns);
    /// Empties the std::optional fields of the columns in `columns`.
    void (*clear_columns)(void* values, const ColumnMask& columns);
    /// Binds the primary key columns, in key order.
    void (*bind_key)(const void* values, ParamBuffer& out);
    /// The value of integer column `c` (the generated key, the version); nullopt if NULL.
    std::optional<std::int64_t> (*integer)(const void* values, std::size_t c);
    /// Throws DataError when `value` does not fit the field (a generated key of a narrow field).
    void (*set_integer)(void* values, std::size_t c, std::optional<std::int64_t> value);

    /// A new session-made object with the values and state of `released`, whose last
    /// shared_ptr the program dropped; see ModelSetCore::revive.
    std::shared_ptr<void> (*revive)(InstanceState& released, InstanceState*& revived);

    /// T's relationships (relationship_ops.hpp).
    std::span<const RelationshipOps* const> relationships;
    /// A default T, whose key fields the Session sets to look keys up.
    std::shared_ptr<void> (*make_probe)();
    /// `count` default Ts side by side, `values_size` bytes apart: a block of the column
    /// values a ModelSetCore keeps for a rollback (its Rewrite entries).
    std::shared_ptr<void> (*make_values)(std::size_t count);
    std::size_t values_size;
    /// A new session-made T of default values (make_tracked), and its state.
    std::shared_ptr<void> (*make_object)(InstanceState*& state);
    InstanceState* (*state_of)(const std::shared_ptr<void>& object);
    /// Runs a SELECT of every column of T, in column order, and hands `take` the session's
    /// object for each row, and the row, in the order of the rows.
    void (*load_rows)(SessionCore& session, std::string_view sql, std::span<const Param> params,
                      ObjectSink take);
    /// session.add() of a T: the save-update cascade adds targets of relationships.
    void (*add_object)(SessionCore& session, const std::shared_ptr<void>& object);
    /// The session's object for T's columns [first, first + column_count) of the current
    /// row, and its state; nulls when its key is NULL (a LEFT OUTER JOIN that found nothing).
    ObjectAndState (*adopt_row)(SessionCore& session, const Cursor& row, int first);
    /// session.merge() of a T reached through a relationship with the merge cascade.
    std::shared_ptr<void> (*merge_object)(SessionCore& session, const std::shared_ptr<void>& source,
                                          MergeMemo& memo);
};

template <class T>
inline constexpr std::size_t generated_column = [] {
    for (std::size_t c = 0; c < model_info<T>::column_count; ++c)
        if (model_info<T>::columns[c].autoincrement) return c;
    return model_info<T>::column_count;
}();

namespace model_ops_impl {

template <class T>
const T& as(const void* p) noexcept {
    return *static_cast<const T*>(p);
}
template <class T>
T& as(void* p) noexcept {
    return *static_cast<T*>(p);
}

template <class T>
bool same_columns(const void* a, const void* b) {
    bool same = true;
    for_each_column<T>([&](auto c) {
        if constexpr (c.value != version_column<T>)
            same = same && same_value(field_of<c.value>(as<T>(a)), field_of<c.value>(as<T>(b)));
    });
    return same;
}

template <class T>
void changed_columns(const void* object, const void* snapshot, ColumnMask& out) {
    for_each_column<T>([&](auto c) {
        if constexpr (c.value != version_column<T>)
            if (!same_value(field_of<c.value>(as<T>(object)), field_of<c.value>(as<T>(snapshot))))
                out.set(c.value);
    });
}

template <class T>
void copy_columns(void* to, const void* from) {
    for_each_column<T>([&](auto c) { field_of<c.value>(as<T>(to)) = field_of<c.value>(as<T>(from)); });
}

template <class T>
void discard_changes(void* object, const void* snapshot) {
    for_each_column<T>([&](auto c) {
        auto& field = field_of<c.value>(as<T>(object));
        const auto& old = field_of<c.value>(as<T>(snapshot));
        if (!same_value(field, old)) field = old;
    });
}

template <class T>
void take_row(void* object, void* snapshot, void* row) {
    for_each_column<T>([&](auto c) {
        auto& field = field_of<c.value>(as<T>(object));
        auto& old = field_of<c.value>(as<T>(snapshot));
        if (same_value(field, old)) field = field_of<c.value>(as<T>(row));
        old = std::move(field_of<c.value>(as<T>(row)));
    });
}

template <class T>
std::size_t hash_key(const void* values) {
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
        std::size_t h = 0;
        ((h = h * 1000003u ^ hash_value(field_of<model_info<T>::primary_key[K]>(as<T>(values)))), ...);
        return h;
    }(std::make_index_sequence<model_info<T>::primary_key_count>{});
}

template <class T>
bool same_key(const void* a, const void* b) {
    bool same = true;
    for_each_column<T>([&](auto c) {
        if constexpr (model_info<T>::columns[c.value].primary_key)
            same = same && same_value(field_of<c.value>(as<T>(a)), field_of<c.value>(as<T>(b)));
    });
    return same;
}

template <class T>
bool needs_key(const void* object) {
    return needs_generated_key(as<T>(object));
}

template <class T>
std::size_t null_given_key(const void* object) {
    std::size_t found = model_info<T>::column_count;
    for_each_column<T>([&](auto c) {
        constexpr const ColumnSpec& spec = model_info<T>::columns[c.value];
        const auto& field = field_of<c.value>(as<T>(object));
        if constexpr (spec.primary_key && !spec.autoincrement && nullable_v<decltype(field)>)
            if (!field && found == model_info<T>::column_count) found = c.value;
    });
    return found;
}

template <class T>
void bind_columns(const void* values, const ColumnMask& columns, ParamBuffer& out) {
    for_each_column<T>([&](auto c) {
        if (columns.test(c.value)) column_codec<T, c.value>::bind(field_of<c.value>(as<T>(values)), out);
    });
}

template <class T>
std::uint64_t left_to_database_of(const void* object) {
    return left_to_database(as<T>(object));
}

template <class T>
void read_columns(void* values, const ColumnMask& columns, const Cursor& row) {
    int position = 0;
    for_each_column<T>([&](auto c) {
        if (columns.test(c.value))
            column_codec<T, c.value>::read(row, position++, field_of<c.value>(as<T>(values)));
    });
}

template <class T>
void read_row(void* values, const Cursor& row, int first) {
    alchemy::read_columns(row, as<T>(values), first);
}

template <class T>
void release_columns(void* values) {
    for_each_column<T>(
        [&](auto c) { [[maybe_unused]] const auto dropped = std::move(field_of<c.value>(as<T>(values))); });
}

template <class T>
void copy_some(void* to, const void* from, const ColumnMask& columns) {
    for_each_column<T>([&](auto c) {
        if (columns.test(c.value)) field_of<c.value>(as<T>(to)) = field_of<c.value>(as<T>(from));
    });
}

template <class T>
void clear_columns(void* values, const ColumnMask& columns) {
    for_each_column<T>([&](auto c) {
        auto& field = field_of<c.value>(as<T>(values));
        if constexpr (nullable_v<decltype(field)>)
            if (columns.test(c.value)) field.reset();
    });
}

template <class T>
void bind_key(const void* values, ParamBuffer& out) {
    alchemy::detail::bind_key(as<T>(values), out);
}

template <class F>
std::optional<std::int64_t> integer_of(const F& field) {
    if constexpr (nullable_v<F>)
        return field ? std::optional<std::int64_t>(static_cast<std::int64_t>(*field)) : std::nullopt;
    else return static_cast<std::int64_t>(field);
}

template <class T>
std::optional<std::int64_t> integer(const void* values, std::size_t column) {
    std::optional<std::int64_t> out;
    for_each_column<T>([&](auto c) {
        using F = std::remove_cvref_t<decltype(field_of<c.value>(as<T>(values)))>;
        if constexpr (std::is_integral_v<without_optional_t<F>>)
            if (c.value == column) out = integer_of(field_of<c.value>(as<T>(values)));
    });
    return out;
}

/// ModelOps::integer_key for T: set when T's key is one integer column.
template <class T>
constexpr auto integer_key_of() {
    constexpr std::size_t k = model_info<T>::primary_key[0];
    using F = std::remove_cvref_t<decltype(field_of<k>(std::declval<const T&>()))>;
    if constexpr (model_info<T>::primary_key_count == 1 && std::is_integral_v<without_optional_t<F>>)
        return +[](const void* values) { return integer_of(field_of<k>(as<T>(values))); };
    else return static_cast<std::optional<std::int64_t> (*)(const void*)>(nullptr);
}

template <class T>
void set_integer(void* values, std::size_t column, std::optional<std::int64_t> value) {
    for_each_column<T>([&](auto c) {
        using F = std::remove_cvref_t<decltype(field_of<c.value>(as<T>(values)))>;
        using V = without_optional_t<F>;
        if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>) {
            if (c.value != column) return;
            if (value && !std::in_range<V>(*value)) [[unlikely]]
                throw_field_out_of_range(type_name<T>(), model_info<T>::columns[c.value].name, *value);
            auto& field = field_of<c.value>(as<T>(values));
            if constexpr (nullable_v<F>) field = value ? F(static_cast<V>(*value)) : F();
            else field = static_cast<V>(value.value_or(0));
        }
    });
}

template <class T>
std::shared_ptr<void> revive(InstanceState& released, InstanceState*& revived) {
    auto [object, made] = make_tracked(std::move(as<T>(released.object)));
    auto& state = *made;
    static_cast<InstanceState&>(state) = released;  // flags, depths, slot; pointers set below
    state.object = object.get();
    state.snapshot = &state.snapshot_value;
    copy_columns<T>(state.snapshot, released.snapshot);
    revived = &state;
    return object;
}

template <class T>
std::shared_ptr<void> make_probe() {
    return std::make_shared<T>();
}

template <class T>
std::shared_ptr<void> make_values(std::size_t count) {
    auto block = std::make_shared<T[]>(count);
    return std::shared_ptr<void>(block, block.get());
}

template <class T>
std::shared_ptr<void> make_object(InstanceState*& state) {
    auto [object, made] = make_tracked<T>();
    state = made;
    return object;
}

template <class T>
InstanceState* state_of_object(const std::shared_ptr<void>& object) {
    // The session's own objects without a shared_ptr<T> made and dropped for the lookup.
    if (auto* d = std::get_deleter<tracked_deleter<T>>(object)) return &d->state();
    return find_state(std::static_pointer_cast<T>(object));
}

template <class T>
const Table& table() {
    static const Table t = table_of<T>();
    return t;
}

}  // namespace model_ops_impl

/// The statement texts of one model, shared by every Session (src/orm/model_statements.cpp).
ModelStatements& new_model_statements();
/// The columns with sa::onupdate()'s SQL.
ColumnMask columns_with_onupdate(std::span<const ColumnSpec> columns) noexcept;
/// ModelOps::unique of `table`.
ColumnMask columns_in_unique_keys(const Table& table);

/// T's table of operations.
template <class T>
const ModelOps& model_ops() {
    static_assert(model_info<T>::column_count <= ColumnMask::max_columns,
                  "alchemy: the Session handles models of at most 256 columns");
    namespace impl = model_ops_impl;
    static const ModelOps ops = [] {
        return ModelOps{
            .model_name = type_name<T>(),
            .model_id = model_id<T>(),
            .table = &impl::table<T>,
            .statements = new_model_statements(),
            .column_count = model_info<T>::column_count,
            .columns = model_info<T>::columns,
            .primary_key = model_info<T>::primary_key,
            .fillable = fillable_columns<T>,
            .generated_column = generated_column<T>,
            .version_column = version_column<T>,
            .onupdate = columns_with_onupdate(model_info<T>::columns),
            .unique = columns_in_unique_keys(impl::table<T>()),
            .same_columns = &impl::same_columns<T>,
            .changed_columns = &impl::changed_columns<T>,
            .copy_columns = &impl::copy_columns<T>,
            .discard_changes = &impl::discard_changes<T>,
            .take_row = &impl::take_row<T>,
            .hash_key = &impl::hash_key<T>,
            .same_key = &impl::same_key<T>,
            .integer_key = impl::integer_key_of<T>(),
            .needs_generated_key = &impl::needs_key<T>,
            .null_given_key = &impl::null_given_key<T>,
            .left_to_database = &impl::left_to_database_of<T>,
            .bind_columns = &impl::bind_columns<T>,
            .read_columns = &impl::read_columns<T>,
            .read_row = &impl::read_row<T>,
            .release_columns = &impl::release_columns<T>,
            .copy_some = &impl::copy_some<T>,
            .clear_columns = &impl::clear_columns<T>,
            .bind_key = &impl::bind_key<T>,
            .integer = &impl::integer<T>,
            .set_integer = &impl::set_integer<T>,
            .revive = &impl::revive<T>,
            .relationships = relationships_of<T>(),
            .make_probe = &impl::make_probe<T>,
            .make_values = &impl::make_values<T>,
            .values_size = sizeof(T),
            .make_object = &impl::make_object<T>,
            .state_of = &impl::state_of_object<T>,
            .load_rows = &load_rows<T>,
            .add_object = &add_object<T>,
            .adopt_row = &adopt_row<T>,
            .merge_object = &merge_object<T>,
        };
    }();
    return ops;
}

}  // namespace alchemy::detail
