// A statement's SQL is fixed by its type (`fixed_shape`), or by its type and a small
// run-time shape variant: a limit_offset() clause's LIMIT and OFFSET are each there or
// not (sql/select.hpp). A part with variants has `shape_variants` > 1 and
// `shape_variant()` below it; a part that holds others (a subquery, an EXISTS, a clause,
// the SELECT list, the SELECT itself) has the product of theirs and combines their
// variants. So a statement embedding a limited query, however deep, keeps its SQL in the
// cache (sql_cache.hpp) once per combination, and two combinations never share a text.
#pragma once

#include <cstddef>

namespace alchemy::detail {

/// How many run-time shapes part P has; 1 when its SQL is fixed by its type, or not at all.
template <class P>
inline constexpr std::size_t shape_variants_of = [] {
    if constexpr (requires { P::shape_variants; }) return std::size_t{P::shape_variants};
    else return std::size_t{1};
}();

/// Whether P's SQL is fixed by its type and shape variant.
template <class P>
inline constexpr bool fixed_per_variant_v = P::fixed_shape || shape_variants_of<P> > 1;

/// The shape variants of parts Ps together: the product of theirs when each is fixed by
/// its variant; 1 otherwise, since then the SQL is not fixed and nothing is cached.
template <class... Ps>
inline constexpr std::size_t combined_shape_variants =
    (fixed_per_variant_v<Ps> && ...) ? (std::size_t{1} * ... * shape_variants_of<Ps>) : std::size_t{1};

template <class P>
std::size_t shape_variant_of(const P& part) noexcept {
    if constexpr (shape_variants_of<P> > 1) return part.shape_variant();
    else return 0;
}

/// Which of combined_shape_variants<Ps...> `parts` are in.
template <class... Ps>
std::size_t combined_shape_variant(const Ps&... parts) noexcept {
    if constexpr (combined_shape_variants<Ps...> == 1) {
        return 0;
    } else {
        std::size_t variant = 0;
        ((variant = variant * shape_variants_of<Ps> + shape_variant_of(parts)), ...);
        return variant;
    }
}

}  // namespace alchemy::detail
