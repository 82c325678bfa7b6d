// RelationshipOps: what the Session's compiled code needs to know about one relationship
// member of a model, generated at compile time from the struct (the relationship's kind,
// the foreign-key column, the member on the other model it pairs with), in the manner
// of ModelOps (model_ops.hpp).
//
// Pairing (SQLAlchemy's back_populates): declared in either model's mapping with
// sa::relationship(&T::x).back_populates(&X::y), else inferred among the members no
// mapping pairs: HasMany<X>/HasOne<X> in T pairs with the one BelongsTo<T> in X, whose
// `<name>_id` column is the foreign key; BelongsTo<X> in T pairs with the one
// HasMany<T>/HasOne<T> in X, if X has one (else it is a plain many-to-one, SQLAlchemy's
// `relationship('User')` without back_populates; docs/relationships.md). What cannot be
// inferred is a compile error naming both types. The mapping's other settings (cascade,
// lazy, order_by, passive_deletes, post_update) are read here too.
#pragma once

#include "alchemy/orm/detail/relationship_members.hpp"
#include "alchemy/orm/object_state.hpp"
#include "alchemy/schema/model_table.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

namespace alchemy::detail {

struct ModelOps;
template <class T>
const ModelOps& model_ops();
template <class T>
std::size_t model_id() noexcept;

enum class RelationshipKind : std::uint8_t {
    many_to_one,   ///< BelongsTo: the owner's row holds the foreign key
    one_to_many,   ///< HasMany: the target rows hold it
    one_to_one,    ///< HasOne: one target row holds it
    many_to_many,  ///< ManyToMany: rows of an association table hold a key of each side
};

struct RelationshipOps {
    std::string_view name;  ///< the member's name
    RelationshipKind kind;
    const ModelOps& (*owner)();
    std::size_t (*owner_id)();
    const ModelOps& (*target)();
    std::size_t (*target_id)();
    /// The foreign-key column referring to the owner's row: the owner's for many_to_one,
    /// the association's for many_to_many, else the target's.
    std::size_t foreign_key;
    /// many_to_many: the association model, and its column referring to the target.
    const ModelOps& (*association)();
    std::size_t association_target_key;
    /// The member of the target that pairs with this one, or null.
    const RelationshipOps* (*paired)();
    /// From sa::relationship(...) in the mapping: deleting the owner deletes the targets;
    /// merge() of the owner merges what the member holds; a child taken out of the
    /// collection is deleted; an unloaded collection is left to the database's ON DELETE;
    /// how an unloaded member loads.
    bool cascade_delete;
    bool cascade_merge;
    bool delete_orphan;
    bool passive_deletes;
    /// many_to_one: the key is written by an UPDATE where rows refer to each other in a
    /// cycle (src/orm/flush_order.cpp).
    bool post_update;
    Lazy lazy;
    /// HasMany's order_by: a column of the target, or the target's column_count.
    std::size_t order_column;
    bool order_descending;
    /// The member inside an owner object.
    RelationshipMember& (*member)(void* object);

    bool to_one() const noexcept { return kind == RelationshipKind::many_to_one; }
    ToOne& reference(void* object) const { return static_cast<ToOne&>(member(object)); }
    Children& children(void* object) const { return static_cast<Children&>(member(object)); }
    Associated& associated(void* object) const { return static_cast<Associated&>(member(object)); }
};

namespace relationship_impl {

template <class T, std::size_t I>
using field_t = field_type_t<T, I>;

/// The fields of T whose type satisfies Pred<field type>::value.
template <class T, template <class> class Pred>
consteval auto fields_where() {
    constexpr std::size_t n = []<std::size_t... I>(std::index_sequence<I...>) {
        return (std::size_t{0} + ... + (Pred<field_t<T, I>>::value ? 1 : 0));
    }(std::make_index_sequence<field_count<T>>{});
    std::array<std::size_t, n> out{};
    std::size_t next = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((Pred<field_t<T, I>>::value ? void(out[next++] = I) : void()), ...);
    }(std::make_index_sequence<field_count<T>>{});
    return out;
}

template <class Of>
struct belongs_to_of {
    template <class F>
    struct test : std::is_same<F, BelongsTo<Of>> {};
};
template <class Of>
struct referenced_by_of {
    template <class F>
    struct test : std::bool_constant<std::is_same_v<F, HasMany<Of>> || std::is_same_v<F, HasOne<Of>>> {};
};

template <class F>
struct is_relationship : std::bool_constant<is_relationship_v<F>> {};
template <class T>
inline constexpr auto relationship_fields = fields_where<T, is_relationship>();

template <class F>
inline constexpr bool is_many_to_many_v = false;
template <class X, class A>
inline constexpr bool is_many_to_many_v<ManyToMany<X, A>> = true;
template <class Of, class Through>
struct many_to_many_of {
    template <class F>
    struct test : std::is_same<F, ManyToMany<Of, Through>> {};
};

/// The BelongsTo<Side> field of association model A: exactly one.
template <class A, class Side>
consteval std::size_t association_side() {
    constexpr auto found = fields_where<A, belongs_to_of<Side>::template test>();
    static_assert(found.size() == 1,
                  "alchemy: ManyToMany<X, A> needs the association model A to have exactly one "
                  "BelongsTo<T> and one BelongsTo<X> (T, X and A are in the instantiation above), or "
                  "the mapping to name them: sa::relationship(&T::member).through(&A::owner_side, "
                  "&A::target_side)");
    return found[0];
}

/// ManyToMany<X, A> in T pairs with X's one (other) ManyToMany<T, A>, if it has one.
template <class T, std::size_t Field, class X, class A>
consteval std::size_t reverse_many_to_many() {
    constexpr auto all = fields_where<X, many_to_many_of<T, A>::template test>();
    constexpr std::size_t mine = std::is_same_v<T, X> ? 1 : 0;  // a model with itself lists this member too
    static_assert(all.size() < 2 + mine,
                  "alchemy: ManyToMany<X, A> in T is ambiguous: X has several ManyToMany<T, A> (T, X and "
                  "A are in the instantiation above); pair them with .back_populates(&X::member)");
    for (auto f : all)
        if (!mine || f != Field) return f;
    return field_count<X>;
}

template <class T, std::size_t Field>
consteval std::size_t relationship_index() {
    for (std::size_t r = 0; r < relationship_fields<T>.size(); ++r)
        if (relationship_fields<T>[r] == Field) return r;
    return relationship_fields<T>.size();
}

/// The field of X that T's mapping pairs with field `Field` of T (back_populates), or
/// field_count<X>; field_count<X> + 1 when it names a member of another model.
template <class T, std::size_t Field, class X>
consteval std::size_t declared_back() {
    constexpr std::size_t i = relationship_settings_index<T, Field>();
    if constexpr (i == mapping_option_count<T>) {
        return field_count<X>;
    } else {
        constexpr const auto& o = std::get<i>(mapping<T>.options);
        using B = typename std::remove_cvref_t<decltype(o)>::back_type;
        if constexpr (std::is_null_pointer_v<B>) return field_count<X>;
        else if constexpr (!std::is_same_v<model_of_t<B>, X>) return field_count<X> + 1;
        else return field_index_of<X>(o.back);
    }
}

/// The field of X whose mapping names field `Field` of T as its back_populates, or
/// field_count<X>.
template <class T, std::size_t Field, class X>
consteval std::size_t claimed_by() {
    return std::apply(
        [](const auto&... options) {
            std::size_t found = field_count<X>;
            [[maybe_unused]] auto read = [&](const auto& o) {
                using O = std::remove_cvref_t<decltype(o)>;
                if constexpr (O::kind == option_kind::relationship) {
                    if constexpr (!std::is_null_pointer_v<typename O::back_type>) {
                        if constexpr (std::is_same_v<model_of_t<typename O::back_type>, T>)
                            if (field_index_of<T>(o.back) == Field) found = field_index_of<X>(o.field);
                    }
                }
            };
            (read(options), ...);
            return found;
        },
        mapping<X>.options);
}

/// Whether a mapping pairs field `Field` of T (whose target is X) explicitly.
template <class T, std::size_t Field, class X>
consteval bool paired_by_mapping() {
    return declared_back<T, Field, X>() != field_count<X> || claimed_by<T, Field, X>() != field_count<X>;
}

/// The fields of `candidates` (fields of X, relationships to T) that no mapping pairs.
template <class X, class T, auto Candidates>
consteval auto unpaired() {
    constexpr std::size_t n = []<std::size_t... I>(std::index_sequence<I...>) {
        return (std::size_t{0} + ... + (paired_by_mapping<X, Candidates[I], T>() ? 0 : 1));
    }(std::make_index_sequence<Candidates.size()>{});
    std::array<std::size_t, n> out{};
    std::size_t next = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((paired_by_mapping<X, Candidates[I], T>() ? void() : void(out[next++] = Candidates[I])), ...);
    }(std::make_index_sequence<Candidates.size()>{});
    return out;
}

/// HasMany<X>/HasOne<X> in T needs exactly one BelongsTo<T> in X.
template <class T, class X>
consteval std::size_t reverse_belongs_to() {
    constexpr auto found = unpaired<X, T, fields_where<X, belongs_to_of<T>::template test>()>();
    static_assert(found.size() > 0,
                  "alchemy: HasMany<X>/HasOne<X> in T finds no BelongsTo<T> in X to hold its foreign "
                  "key (T and X are in the instantiation above); add `sa::BelongsTo<T> t` and an "
                  "integer `t_id` to X, or pair it in the mapping with .back_populates(&X::member)");
    static_assert(found.size() < 2,
                  "alchemy: HasMany<X>/HasOne<X> in T is ambiguous: X has several BelongsTo<T> (T and X "
                  "are in the instantiation above); pair them in the mapping: "
                  "sa::relationship(&T::member).back_populates(&X::member)");
    return found[0];
}

/// BelongsTo<X> in T pairs with X's one HasMany<T>/HasOne<T>, if T has one BelongsTo<X>.
template <class T, class X>
consteval std::size_t reverse_collection() {
    constexpr auto mine = unpaired<T, X, fields_where<T, belongs_to_of<X>::template test>()>();
    constexpr auto theirs = unpaired<X, T, fields_where<X, referenced_by_of<T>::template test>()>();
    static_assert(theirs.size() < 2,
                  "alchemy: BelongsTo<X> in T is ambiguous: X has several HasMany<T>/HasOne<T> (T and X "
                  "are in the instantiation above); pair them in the mapping: "
                  "sa::relationship(&X::member).back_populates(&T::member)");
    if constexpr (theirs.size() == 1 && mine.size() == 1) return theirs[0];
    return field_count<X>;
}

/// Whether the mapping names the association's sides of field `Field` (.through(...)).
template <class T, std::size_t Field>
consteval bool declares_sides() {
    constexpr std::size_t i = relationship_settings_index<T, Field>();
    if constexpr (i < mapping_option_count<T>)
        return !std::is_null_pointer_v<
            typename std::remove_cvref_t<decltype(std::get<i>(mapping<T>.options))>::sides_type>;
    else return false;
}

/// ManyToMany field `Field` of T: the association's BelongsTo referring to the owner and
/// the one referring to the target, from the mapping's .through(...) or by their types.
template <class T, std::size_t Field>
consteval std::pair<std::size_t, std::size_t> association_fields() {
    using F = field_t<T, Field>;
    using X = typename F::target_type;
    using A = typename F::association_type;
    if constexpr (declares_sides<T, Field>()) {
        constexpr const auto& o = std::get<relationship_settings_index<T, Field>()>(mapping<T>.options);
        using Mine = decltype(o.sides.mine);
        using Theirs = decltype(o.sides.theirs);
        static_assert(std::is_same_v<model_of_t<Mine>, A> && std::is_same_v<model_of_t<Theirs>, A> &&
                          std::is_same_v<typename member_pointer_traits<Mine>::field, BelongsTo<T>> &&
                          std::is_same_v<typename member_pointer_traits<Theirs>::field, BelongsTo<X>>,
                      "alchemy: .through(&A::owner_side, &A::target_side) names the association model's "
                      "BelongsTo<T> and BelongsTo<X> (T, X and A are in the instantiation above)");
        constexpr std::size_t mine = field_index_of<A>(o.sides.mine);
        constexpr std::size_t theirs = field_index_of<A>(o.sides.theirs);
        static_assert(mine != theirs, "alchemy: .through() names the same BelongsTo for both sides");
        return {mine, theirs};
    } else {
        static_assert(!std::is_same_v<T, X>,
                      "alchemy: a ManyToMany of a model with itself needs the mapping to say which BelongsTo "
                      "of the association refers to the owner: sa::relationship(&T::member).through("
                      "&A::owner_side, &A::target_side) (T and A are in the instantiation above)");
        return {association_side<A, T>(), association_side<A, X>()};
    }
}

/// Whether member type B is a relationship whose target is T.
template <class B, class T>
consteval bool relationship_to() {
    if constexpr (is_relationship_v<B>) return std::is_same_v<typename B::target_type, T>;
    else return false;
}

/// The field of X that relationship field `Field` of T pairs with, or field_count<X>.
template <class T, std::size_t Field>
consteval std::size_t partner() {
    using F = field_t<T, Field>;
    using X = typename F::target_type;
    constexpr std::size_t declared = declared_back<T, Field, X>();
    static_assert(declared <= field_count<X>,
                  "alchemy: .back_populates(&X::member) names a member of a model other than the "
                  "relationship's target (T and the field are in the instantiation above)");
    constexpr std::size_t claimed = claimed_by<T, Field, X>();
    if constexpr (declared < field_count<X> || claimed < field_count<X>) {
        constexpr std::size_t back = declared < field_count<X> ? declared : claimed;
        static_assert(declared == field_count<X> || claimed == field_count<X> || declared == claimed,
                      "alchemy: the two mappings pair this relationship with different members (T and "
                      "the field are in the instantiation above)");
        using B = field_t<X, back>;
        static_assert(relationship_to<B, T>(),
                      "alchemy: .back_populates(&X::member) must name a relationship of X whose target "
                      "is T (T, X and the fields are in the instantiation above)");
        constexpr bool fits = is_belongs_to_v<F>
                                  ? (std::is_same_v<B, HasMany<T>> || std::is_same_v<B, HasOne<T>>)
                              : is_many_to_many_v<F> ? is_many_to_many_v<B>
                                                     : is_belongs_to_v<B>;
        static_assert(fits,
                      "alchemy: .back_populates pairs a BelongsTo with a HasMany/HasOne and a ManyToMany "
                      "with a ManyToMany (T, X and the fields are in the instantiation above)");
        return back;
    } else if constexpr (is_belongs_to_v<F>) {
        return reverse_collection<T, X>();
    } else if constexpr (is_many_to_many_v<F>) {
        return reverse_many_to_many<T, Field, X, typename F::association_type>();
    } else {
        return reverse_belongs_to<T, X>();
    }
}

template <class T, std::size_t Field>
void read_settings(RelationshipOps& r) {
    using F = field_t<T, Field>;
    using X = typename F::target_type;
    r.cascade_delete = false;
    r.cascade_merge = true;
    r.delete_orphan = false;
    r.passive_deletes = false;
    r.post_update = false;
    r.lazy = Lazy::select;
    r.order_column = model_info<X>::column_count;
    r.order_descending = false;
    constexpr std::size_t i = relationship_settings_index<T, Field>();
    if constexpr (i < mapping_option_count<T>) {
        constexpr const auto& o = std::get<i>(mapping<T>.options);
        using O = std::remove_cvref_t<decltype(o)>;
        static_assert(detail::includes(o.cascades, Cascade::save_update),
                      "alchemy: a cascade without save_update is not supported; write sa::all, or "
                      "sa::all | sa::delete_orphan");
        static_assert(!detail::includes(o.cascades, Cascade::delete_orphan) || !is_belongs_to_v<F>,
                      "alchemy: delete_orphan applies to the parent's side (HasMany, HasOne); put it on "
                      "the collection the BelongsTo pairs with");
        static_assert(!detail::includes(o.cascades, Cascade::delete_orphan) || !is_many_to_many_v<F>,
                      "alchemy: delete_orphan is not supported on a ManyToMany (an object there may have "
                      "many parents)");
        r.cascade_delete = detail::includes(o.cascades, Cascade::delete_);
        r.cascade_merge = detail::includes(o.cascades, Cascade::merge);
        r.delete_orphan = detail::includes(o.cascades, Cascade::delete_orphan);
        static_assert(!o.post || is_belongs_to_v<F>,
                      "alchemy: post_update() applies to a BelongsTo (the foreign key written after the "
                      "INSERTs); put it on the BelongsTo side of the relationship");
        if constexpr (is_belongs_to_v<F> && o.post)
            static_assert(model_info<T>::columns[belongs_to_column<T, Field>()].nullable,
                          "alchemy: a post_update() BelongsTo is inserted as NULL and set afterwards, so "
                          "its foreign-key field must be std::optional");
        r.passive_deletes = o.passive;
        r.post_update = o.post;
        r.lazy = o.loading;
        if constexpr (!std::is_null_pointer_v<typename O::order_type>) {
            static_assert(std::is_same_v<F, HasMany<X>>,
                          "alchemy: order_by() applies to a HasMany (T and the field are in the "
                          "instantiation above)");
            static_assert(std::is_same_v<model_of_t<typename O::order_type>, X>,
                          "alchemy: a relationship's order_by() names a field of the target model");
            static_assert(check_option_field<X, typename O::order_type>());
            constexpr std::size_t column = column_index_of<o.order>;
            r.order_column = column;
            r.order_descending = o.order_direction == Direction::descending;
        }
    }
}

template <class T, std::size_t R>
const RelationshipOps& relationship_ops();

template <class T, std::size_t R>
const RelationshipOps* paired() {
    constexpr std::size_t field = relationship_fields<T>[R];
    using X = typename field_t<T, field>::target_type;
    constexpr std::size_t back = partner<T, field>();
    if constexpr (back == field_count<X>) return nullptr;
    else return &relationship_ops<X, relationship_index<X, back>()>();
}

template <class T, std::size_t Field>
RelationshipMember& member(void* object) {
    return relationship_access::member(boost::pfr::get<Field>(*static_cast<T*>(object)));
}

template <class T, std::size_t R>
const RelationshipOps& relationship_ops() {
    constexpr std::size_t field = relationship_fields<T>[R];
    using F = field_t<T, field>;
    using X = typename F::target_type;
    static_assert(reflectable_model<X>,
                  "alchemy: a relationship of T names X, which is not a model struct (T and X are in "
                  "the instantiation above)");
    static const RelationshipOps ops = [] {
        RelationshipOps r{};
        r.name = field_names<T>[field];
        r.owner = &model_ops<T>;
        r.owner_id = &model_id<T>;
        r.target = &model_ops<X>;
        r.target_id = &model_id<X>;
        r.paired = &paired<T, R>;
        r.member = &member<T, field>;
        read_settings<T, field>(r);
        if constexpr (is_belongs_to_v<F>) {
            r.kind = RelationshipKind::many_to_one;
            r.foreign_key = belongs_to_column<T, field>();
        } else if constexpr (is_many_to_many_v<F>) {
            using A = typename F::association_type;
            constexpr auto sides = association_fields<T, field>();
            r.kind = RelationshipKind::many_to_many;
            r.association = &model_ops<A>;
            r.foreign_key = belongs_to_column<A, sides.first>();
            r.association_target_key = belongs_to_column<A, sides.second>();
        } else {
            r.kind =
                std::is_same_v<F, HasOne<X>> ? RelationshipKind::one_to_one : RelationshipKind::one_to_many;
            r.foreign_key = belongs_to_column<X, partner<T, field>()>();
        }
        return r;
    }();
    return ops;
}

}  // namespace relationship_impl

/// The relationships of T, in field order.
template <class T>
std::span<const RelationshipOps* const> relationships_of() {
    static const auto all = []<std::size_t... R>(std::index_sequence<R...>) {
        return std::array<const RelationshipOps*, sizeof...(R)>{
            &relationship_impl::relationship_ops<T, R>()...};
    }(std::make_index_sequence<relationship_impl::relationship_fields<T>.size()>{});
    return all;
}

/// The RelationshipOps of the relationship member `Member` of T.
template <class T, auto Member>
const RelationshipOps& relationship_of() {
    constexpr std::size_t field = field_index_of<T>(Member);
    constexpr std::size_t r = relationship_impl::relationship_index<T, field>();
    static_assert(r < relationship_impl::relationship_fields<T>.size(),
                  "alchemy: this member is not a BelongsTo, HasMany or HasOne relationship of the model");
    return relationship_impl::relationship_ops<T, r>();
}

/// Lets go of what T's relationships hold (the program dropped the object; see
/// relationship_members.hpp on ownership).
template <class T>
void release_relationships(T& object) noexcept {
    [&]<std::size_t... R>(std::index_sequence<R...>) {
        (([&] {
             auto& field = boost::pfr::get<relationship_impl::relationship_fields<T>[R]>(object);
             auto& m = relationship_access::member(field);
             using F = std::remove_cvref_t<decltype(field)>;
             if constexpr (is_belongs_to_v<F>) static_cast<ToOne&>(m).unload();
             else if constexpr (relationship_impl::is_many_to_many_v<F>)
                 static_cast<Associated&>(m).unload(false);
             else static_cast<Children&>(m).unload(false);
         }()),
         ...);
    }(std::make_index_sequence<relationship_impl::relationship_fields<T>.size()>{});
}

/// Counts a drop of an object with relationships, in any Session (Departures::dropped in
/// relationship_members.hpp); compiled in src/orm/session_core.cpp.
void count_drop() noexcept;

/// The program dropped its last pointer to a session-made object, on any thread. The drop
/// is counted for the collections that may hold the object weakly. What its relationships
/// hold is let go here if no Session holds the object; else the Session lets go on its own
/// thread when it lets the object go (ModelSetCore::detach), so nothing here writes what
/// the Session's thread may be reading. An object without relationships is left as it is.
template <class T>
void object_dropped(T& object, InstanceState& state) noexcept {
    if constexpr (!relationship_impl::relationship_fields<T>.empty()) {
        count_drop();
        if (state.drop.drop_while_attached()) return;
        state.self.reset();
        release_relationships(object);
    }
}

}  // namespace alchemy::detail
