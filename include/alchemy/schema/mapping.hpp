// sa::mapping<T>: what the conventions do not say about a model, declared at compile
// time outside the struct:
//
//   template <> inline constexpr auto sa::mapping<User> = sa::table("users",
//       sa::unique(&User::email),
//       sa::index(&User::name),
//       sa::max_length(&User::name, 80),
//       sa::server_default(&User::created_at, "CURRENT_TIMESTAMP"),
//       sa::onupdate(&User::updated_at, "CURRENT_TIMESTAMP"),
//       sa::check("age_not_negative", "age >= 0"));
//
// Each option names fields by member pointer, so a misspelt field is a compile error
// and renaming a field renames its column everywhere. model.hpp reads the options.
#pragma once

#include "alchemy/schema/table.hpp"

#include <concepts>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace alchemy {

namespace detail {
/// Tells the options apart when model.hpp reads them.
enum class option_kind {
    primary_key,
    autoincrement,
    unique,
    index,
    foreign_key,
    server_default,
    onupdate,
    max_length,
    check,
    enum_as_text,
    renamed_from,
    version,
    relationship,
};

template <class M>
struct member_pointer_traits;
template <class F, class T>
struct member_pointer_traits<F T::*> {
    using model = T;
    using field = F;
};

/// A column that a mixin struct embedded in a model contributes: `outer` is the model's
/// member holding the mixin (&User::stamps), `inner` the mixin's field
/// (&Timestamps::created_at). sa::col<&User::stamps, &Timestamps::created_at> names one.
template <class Outer, class Inner>
struct embedded_member {
    Outer outer;
    Inner inner;
};
template <class Outer, class Inner>
struct member_pointer_traits<embedded_member<Outer, Inner>> {
    using model = typename member_pointer_traits<Outer>::model;
    using field = typename member_pointer_traits<Inner>::field;
};

// A class-type template parameter such as an embedded_member is a const object.
template <class M>
struct member_pointer_traits<const M> : member_pointer_traits<M> {};

template <class M>
inline constexpr bool is_embedded_member_v = false;
template <class Outer, class Inner>
inline constexpr bool is_embedded_member_v<embedded_member<Outer, Inner>> = true;
template <class M>
inline constexpr bool is_embedded_member_v<const M> = is_embedded_member_v<M>;
}  // namespace detail

/// A pointer to a data member, such as &User::email.
template <class M>
concept field_pointer = std::is_member_object_pointer_v<M>;

/// What names one column of a model: a member pointer, or a member of a mixin the model
/// embeds (detail::embedded_member).
template <class M>
concept column_pointer = field_pointer<M> || detail::is_embedded_member_v<M>;

/// The struct a member pointer belongs to; for a mixin's member, the model embedding it.
template <column_pointer M>
using model_of_t = typename detail::member_pointer_traits<M>::model;

/// Columns of the primary key in the key's order (default: the field named "id"). A
/// mapping holds at most one; a composite key lists all its fields in it.
template <field_pointer... Ms>
struct primary_key_option {
    static constexpr detail::option_kind kind = detail::option_kind::primary_key;
    std::tuple<Ms...> fields;
};
template <field_pointer... Ms>
constexpr primary_key_option<Ms...> primary_key(Ms... fields) {
    static_assert(sizeof...(Ms) > 0, "alchemy: primary_key() needs at least one field");
    return {{fields...}};
}

/// Turns database-generated values on or off for an integer primary key
/// (default: on for a single integer primary key).
template <field_pointer M>
struct autoincrement_option {
    static constexpr detail::option_kind kind = detail::option_kind::autoincrement;
    M field;
    bool enabled;
};
template <field_pointer M>
constexpr autoincrement_option<M> autoincrement(M field, bool enabled = true) {
    return {field, enabled};
}

/// A UNIQUE constraint over one or more columns.
template <field_pointer... Ms>
struct unique_option {
    static constexpr detail::option_kind kind = detail::option_kind::unique;
    std::tuple<Ms...> fields;
};
template <field_pointer... Ms>
constexpr unique_option<Ms...> unique(Ms... fields) {
    static_assert(sizeof...(Ms) > 0, "alchemy: unique() needs at least one field");
    return {{fields...}};
}

/// An index over one or more columns; named by the naming convention unless given a name.
template <field_pointer... Ms>
struct index_option {
    static constexpr detail::option_kind kind = detail::option_kind::index;
    std::string_view name;
    bool unique;
    std::tuple<Ms...> fields;
};
template <field_pointer... Ms>
constexpr index_option<Ms...> index(Ms... fields) {
    static_assert(sizeof...(Ms) > 0, "alchemy: index() needs at least one field");
    return {{}, false, {fields...}};
}
template <field_pointer... Ms>
constexpr index_option<Ms...> index(std::string_view name, Ms... fields) {
    static_assert(sizeof...(Ms) > 0, "alchemy: index() needs at least one field");
    return {name, false, {fields...}};
}
template <field_pointer... Ms>
constexpr index_option<Ms...> unique_index(Ms... fields) {
    static_assert(sizeof...(Ms) > 0, "alchemy: unique_index() needs at least one field");
    return {{}, true, {fields...}};
}

inline constexpr ReferentialAction no_action = ReferentialAction::no_action;
inline constexpr ReferentialAction restrict = ReferentialAction::restrict;
inline constexpr ReferentialAction cascade = ReferentialAction::cascade;
inline constexpr ReferentialAction set_null = ReferentialAction::set_null;
inline constexpr ReferentialAction set_default = ReferentialAction::set_default;

/// A foreign key from `field` to `referred` (a field of another model, usually its id):
///   sa::foreign_key(&Post::author_id, &User::id).on_delete(sa::cascade)
template <field_pointer M, field_pointer R>
struct foreign_key_option {
    static constexpr detail::option_kind kind = detail::option_kind::foreign_key;
    M field;
    R referred;
    ReferentialAction delete_action = ReferentialAction::no_action;
    ReferentialAction update_action = ReferentialAction::no_action;

    constexpr foreign_key_option on_delete(ReferentialAction action) const {
        auto copy = *this;
        copy.delete_action = action;
        return copy;
    }
    constexpr foreign_key_option on_update(ReferentialAction action) const {
        auto copy = *this;
        copy.update_action = action;
        return copy;
    }
};
template <field_pointer M, field_pointer R>
constexpr foreign_key_option<M, R> foreign_key(M field, R referred) {
    return {field, referred};
}

/// The SQL expression the database uses when an INSERT omits the column.
template <field_pointer M>
struct server_default_option {
    static constexpr detail::option_kind kind = detail::option_kind::server_default;
    M field;
    std::string_view sql;
};
template <field_pointer M>
constexpr server_default_option<M> server_default(M field, std::string_view sql) {
    return {field, sql};
}

/// The SQL expression every UPDATE the Session's unit of work emits sets the column to,
/// unless the flush changed the column itself (SQLAlchemy's onupdate=func.now()). The
/// text is fixed at compile time, like server_default's; the value the database chose
/// is read back into the object (RETURNING).
template <field_pointer M>
struct onupdate_option {
    static constexpr detail::option_kind kind = detail::option_kind::onupdate;
    M field;
    std::string_view sql;
};
template <field_pointer M>
constexpr onupdate_option<M> onupdate(M field, std::string_view sql) {
    return {field, sql};
}

/// VARCHAR(n) instead of TEXT for a string column (SQLAlchemy's String(n)).
template <field_pointer M>
struct max_length_option {
    static constexpr detail::option_kind kind = detail::option_kind::max_length;
    M field;
    int max_length;
};
template <field_pointer M>
constexpr max_length_option<M> max_length(M field, int n) {
    return {field, n};
}

/// A CHECK constraint; `name` becomes ck_<table>_<name>.
struct check_option {
    static constexpr detail::option_kind kind = detail::option_kind::check;
    std::string_view name;
    std::string_view sql;
};
constexpr check_option check(std::string_view name, std::string_view sql) { return {name, sql}; }

/// Stores an enum field as its enumerator names (VARCHAR plus a CHECK listing them)
/// instead of its integer value.
template <field_pointer M>
struct enum_as_text_option {
    static constexpr detail::option_kind kind = detail::option_kind::enum_as_text;
    M field;
};
template <field_pointer M>
constexpr enum_as_text_option<M> enum_as_text(M field) {
    return {field};
}

/// An integer column the Session uses for optimistic concurrency: each UPDATE sets it
/// to the old value + 1 and matches the old value, so a lost update raises
/// StaleDataError instead of overwriting another transaction's change.
template <field_pointer M>
struct version_option {
    static constexpr detail::option_kind kind = detail::option_kind::version;
    M field;
};
template <field_pointer M>
constexpr version_option<M> version(M field) {
    return {field};
}

/// SQLAlchemy's cascades, combined with |: `sa::all | sa::delete_orphan`. save_update
/// (a related object joins the session) is always on; the default is save_update | merge.
enum class Cascade : unsigned {
    save_update = 1,
    merge = 2,
    delete_ = 4,        ///< deleting the owner deletes the related objects
    delete_orphan = 8,  ///< a child removed from its parent is deleted
    all = 1 | 2 | 4,    ///< save_update | merge | delete_ (SQLAlchemy's "all")
};
constexpr Cascade operator|(Cascade a, Cascade b) noexcept {
    return static_cast<Cascade>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
namespace detail {
constexpr bool includes(Cascade set, Cascade c) noexcept {
    return (static_cast<unsigned>(set) & static_cast<unsigned>(c)) == static_cast<unsigned>(c);
}
}  // namespace detail
inline constexpr Cascade save_update = Cascade::save_update;
inline constexpr Cascade all = Cascade::all;
inline constexpr Cascade delete_orphan = Cascade::delete_orphan;

/// Ascending or descending, for a relationship's order_by().
enum class Direction : bool { ascending, descending };
inline constexpr Direction ascending = Direction::ascending;
inline constexpr Direction descending = Direction::descending;

/// How a relationship loads when nothing else was asked (SQLAlchemy's lazy=...).
enum class Lazy : unsigned char {
    select,    ///< on first access, with the other objects of the same query (the default)
    selectin,  ///< with every query of the owner, in one more statement
    joined,    ///< in every query of the owner, by a LEFT OUTER JOIN (elsewhere as selectin)
    raise,     ///< never implicitly: reading it unloaded is an InvalidRequestError
};

/// What conventions cannot say about a relationship member (SQLAlchemy's relationship()
/// arguments), e.g.
///   sa::relationship(&User::posts).cascade(sa::all | sa::delete_orphan).order_by(&Post::id)
///   sa::relationship(&User::reviewed).back_populates(&Post::reviewer)
///   sa::relationship(&Post::reviewer).foreign_key(&Post::reviewed_by)
/// `Back`, `ForeignKey` and `Order` are std::nullptr_t until given; the ORM reads them
/// (alchemy/orm/detail/relationship_ops.hpp).
/// The two BelongsTo of an association model a ManyToMany goes through: the one that
/// refers to the owner, then the one that refers to the target.
template <field_pointer Mine, field_pointer Theirs>
struct association_sides {
    Mine mine;
    Theirs theirs;
};

template <field_pointer M, class Back = std::nullptr_t, class ForeignKey = std::nullptr_t,
          class Order = std::nullptr_t, class Sides = std::nullptr_t>
struct relationship_option {
    static constexpr detail::option_kind kind = detail::option_kind::relationship;
    using back_type = Back;
    using key_type = ForeignKey;
    using order_type = Order;
    using sides_type = Sides;
    M field;
    Back back{};
    ForeignKey key{};
    Order order{};
    Sides sides{};
    Cascade cascades = Cascade::save_update | Cascade::merge;
    Lazy loading = Lazy::select;
    bool passive = false;
    bool post = false;
    Direction order_direction = ascending;

    constexpr relationship_option cascade(Cascade set) const {
        auto copy = *this;
        copy.cascades = set;
        return copy;
    }
    constexpr relationship_option lazy(Lazy how) const {
        auto copy = *this;
        copy.loading = how;
        return copy;
    }
    /// Deleting the owner leaves the rows of an unloaded collection to the database's
    /// ON DELETE (declare it with sa::foreign_key(...).on_delete(sa::cascade)).
    constexpr relationship_option passive_deletes() const {
        auto copy = *this;
        copy.passive = true;
        return copy;
    }
    /// BelongsTo: where new rows refer to each other in a cycle (a widget's favourite
    /// entry, each entry naming its widget), the flush inserts this foreign key as NULL
    /// and sets it by an UPDATE after the INSERTs, and sets it to NULL before deleting
    /// rows of such a cycle (SQLAlchemy's post_update=True). Its field must be optional.
    constexpr relationship_option post_update() const {
        auto copy = *this;
        copy.post = true;
        return copy;
    }
    /// The member of the other model this one pairs with (when inference is ambiguous).
    template <field_pointer B>
    constexpr relationship_option<M, B, ForeignKey, Order, Sides> back_populates(B other) const {
        return {field, other, key, order, sides, cascades, loading, passive, post, order_direction};
    }
    /// BelongsTo: the foreign-key field, when it is not named <relationship>_id.
    template <field_pointer F>
    constexpr relationship_option<M, Back, F, Order, Sides> foreign_key(F column) const {
        return {field, back, column, order, sides, cascades, loading, passive, post, order_direction};
    }
    /// HasMany: the order of the loaded collection, by a field of the target.
    template <field_pointer O>
    constexpr relationship_option<M, Back, ForeignKey, O, Sides> order_by(
        O target_field, Direction direction = ascending) const {
        return {field, back, key, target_field, sides, cascades, loading, passive, post, direction};
    }
    /// ManyToMany: the association's BelongsTo that refers to the owner, and the one that
    /// refers to the target; needed when both refer to one model (SQLAlchemy's
    /// primaryjoin/secondaryjoin for a many-to-many of a model with itself).
    template <field_pointer Mine, field_pointer Theirs>
    constexpr relationship_option<M, Back, ForeignKey, Order, association_sides<Mine, Theirs>> through(
        Mine mine, Theirs theirs) const {
        return {field, back, key, order, {mine, theirs}, cascades, loading, passive, post, order_direction};
    }
};
template <field_pointer M>
constexpr relationship_option<M> relationship(M member) {
    return {member};
}

/// One of the sa::primary_key/unique/index/foreign_key/... options above.
template <class O>
concept mapping_option = requires {
    { O::kind } -> std::convertible_to<detail::option_kind>;
};

/// Tells autogenerate that a column was renamed (rather than dropped and added):
///   sa::renamed_from(&User::nickname, "nick")
template <field_pointer M>
struct column_renamed_option {
    static constexpr detail::option_kind kind = detail::option_kind::renamed_from;
    M field;
    std::string_view old_name;
};
template <field_pointer M>
constexpr column_renamed_option<M> renamed_from(M field, std::string_view old_name) {
    return {field, old_name};
}
/// Tells autogenerate that the table was renamed: sa::renamed_from("people").
struct table_renamed_option {
    static constexpr detail::option_kind kind = detail::option_kind::renamed_from;
    std::string_view old_name;
};
constexpr table_renamed_option renamed_from(std::string_view old_name) { return {old_name}; }

/// A model's table name and options. An empty name means the convention
/// (snake_case of the type name).
template <mapping_option... Options>
struct table_mapping {
    std::string_view name;
    std::tuple<Options...> options;
};
template <mapping_option... Options>
constexpr table_mapping<Options...> table(std::string_view name, Options... options) {
    return {name, {options...}};
}
template <mapping_option... Options>
constexpr table_mapping<Options...> table(Options... options) {
    return {{}, {options...}};
}
/// The options of a mixin (a struct of columns that models embed as a member); they apply
/// to those columns in every model that embeds it. Column options only: server_default,
/// onupdate, max_length, enum_as_text, version, index, unique.
template <mapping_option... Options>
constexpr table_mapping<Options...> mixin(Options... options) {
    return {{}, {options...}};
}

/// Specialise for a model to override the conventions; see the file comment.
template <class T>
inline constexpr auto mapping = table_mapping<>{};

}  // namespace alchemy
