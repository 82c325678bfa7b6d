// The relationship members a model may declare (their behaviour is the ORM's:
// alchemy/orm/relationships.hpp defines them). The schema only needs to tell them from
// columns: the mapping skips them, and `BelongsTo<X> x` beside an integer field `x_id`
// declares the foreign key x_id → X.
#pragma once

#include "alchemy/fwd.hpp"  // BelongsTo, HasMany, HasOne, ManyToMany

namespace alchemy {

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
