// Relationship members of a model. They are not columns: the mapping skips them, and
// `BelongsTo<X> x` beside an integer field `x_id` declares the foreign key x_id → X.
// Their loading behaviour (lazy, selectin, joined) belongs to the ORM layer; here they
// only need to exist so models can be written as DESIGN §2 shows, with targets that
// may still be incomplete types.
#pragma once

#include <type_traits>

namespace alchemy {

/// Many-to-one: this row refers to one Target through a foreign-key column.
template <class Target>
struct BelongsTo {
    using target_type = Target;
};

/// One-to-many: Target rows refer to this row (through Target's BelongsTo).
template <class Target>
struct HasMany {
    using target_type = Target;
};

/// One-to-one: one Target row refers to this row (SQLAlchemy's uselist=False).
template <class Target>
struct HasOne {
    using target_type = Target;
};

/// Many-to-many through the association table `Association`.
template <class Target, class Association>
struct ManyToMany {
    using target_type = Target;
    using association_type = Association;
};

template <class T>
inline constexpr bool is_relationship_v = false;
template <class T>
inline constexpr bool is_relationship_v<BelongsTo<T>> = true;
template <class T>
inline constexpr bool is_relationship_v<HasMany<T>> = true;
template <class T>
inline constexpr bool is_relationship_v<HasOne<T>> = true;
template <class T, class A>
inline constexpr bool is_relationship_v<ManyToMany<T, A>> = true;

template <class T>
inline constexpr bool is_belongs_to_v = false;
template <class T>
inline constexpr bool is_belongs_to_v<BelongsTo<T>> = true;

}  // namespace alchemy
