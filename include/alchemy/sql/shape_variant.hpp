// A statement's SQL is fixed by its type (`fixed_shape`), or by its type and a small
// run-time shape variant: a limit_offset() clause's LIMIT and OFFSET are each there or
// not (sql/select.hpp). A part with variants has `shape_variants` > 1 and
// `shape_variant()` below it; a part that holds others (a subquery, an EXISTS, a clause,
// the SELECT list, the SELECT itself) has the product of theirs and combines their
// variants. So a statement embedding a limited query, however deep, keeps its SQL in the
// cache (sql_cache.hpp) once per combination, and two combinations never share a text.
// Every part that holds others does it the same way: `shape_variants` is
// combined_shape_variants<its parts...> and `shape_variant()` combined_shape_variant(its
// parts...), in the same order.
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

/// The most run-time shapes one statement type keeps texts for. Each is a slot per dialect
/// in the type's cache (sql_cache.hpp), so where the variants of the parts multiply past
/// it (a union of three members that each embed a limited query has 4 * 4 * 4 = 64, of
/// four 256) the statement renders on each execution instead, as one not fixed at all.
inline constexpr std::size_t max_shape_variants = 64;

/// The shape variants of parts Ps together: the product of theirs when each is fixed by
/// its variant and the product is at most max_shape_variants; 1 otherwise, since then
/// the SQL is not fixed and nothing is cached.
template <class... Ps>
inline constexpr std::size_t combined_shape_variants = [] {
    // Nested, so that the common case, parts fixed by their types, asks nothing more.
    if constexpr ((Ps::fixed_shape && ...)) {
        return std::size_t{1};
    } else if constexpr (!(fixed_per_variant_v<Ps> && ...)) {
        return std::size_t{1};
    } else {
        // Saturates at max_shape_variants + 1, so that no product overflows.
        std::size_t n = 1;
        ((n = n * shape_variants_of<Ps> > max_shape_variants ? max_shape_variants + 1
                                                             : n * shape_variants_of<Ps>),
         ...);
        return n > max_shape_variants ? std::size_t{1} : n;
    }
}();

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
