// The relationship members a model may declare (their behaviour is the ORM's:
// alchemy/orm/relationships.hpp defines them). The schema only needs to tell them from
// columns: the mapping skips them, and `BelongsTo<X> x` beside an integer field `x_id`
// declares the foreign key x_id → X.
#pragma once

namespace alchemy {

/// Many-to-one: this row refers to one Target through a foreign-key column.
template <class Target>
class BelongsTo;
/// One-to-many: Target rows refer to this row (through Target's BelongsTo).
template <class Target>
class HasMany;
/// One-to-one: one Target row refers to this row (SQLAlchemy's uselist=False).
template <class Target>
class HasOne;
/// Many-to-many through the association model `Association`.
template <class Target, class Association>
class ManyToMany;

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
