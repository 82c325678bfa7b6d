// Compile-time reflection of plain structs: which types can be models, and their field
// count, field types, field names and type name. No macros: Boost.PFR 1.81 gives count,
// types and access by index; names come from detail/field_names.hpp.
// Cost per model: the concept check (a few traits and one aggregate-initialization probe)
// plus what each accessor's detail/ file notes, once; later uses find the same variables.
#pragma once

#include "alchemy/schema/detail/field_names.hpp"
#include "alchemy/schema/type_name.hpp"

#include <boost/pfr/core.hpp>
#include <boost/pfr/tuple_size.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace alchemy {

namespace detail {

/// Converts only to a proper base class of Derived, and is not copyable (so it does not
/// slip into types like std::any that take any copyable value): `Derived{base_probe{}}`
/// compiles exactly when Derived's first aggregate element is a base class. A struct
/// whose first member has an unconstrained converting constructor template would be taken
/// for one with a base class.
template <class Derived>
struct base_probe {
    base_probe() = default;
    base_probe(const base_probe&) = delete;

    template <class Base>
        requires(std::is_base_of_v<Base, Derived> && !std::is_same_v<Base, Derived>)
    operator Base() const noexcept;
};

// One concept per requirement, each including the ones before it, so that the checks in
// require_reflectable() fire one at a time and a type is only probed once it is known to
// be an aggregate class.
template <class T>
concept unqualified_type = std::is_same_v<T, std::remove_cvref_t<T>>;

template <class T>
concept struct_type = unqualified_type<T> && std::is_class_v<T> && !std::is_union_v<T>;

template <class T>
concept aggregate_struct = struct_type<T> && std::is_aggregate_v<T>;

template <class T>
concept base_free_aggregate = aggregate_struct<T> && !requires { T{base_probe<T>{}}; };

template <class T>
concept assignable_aggregate =
    base_free_aggregate<T> && std::is_move_constructible_v<T> && std::is_move_assignable_v<T>;

}  // namespace detail

/// A struct whose fields alchemy can enumerate: an aggregate class (no user-declared
/// constructors, virtual functions, or private data), without base classes, whose fields
/// are all assignable (no const or reference members), declared in a named namespace
/// (field names cannot be read from a local class or one in an anonymous namespace).
/// Not detected here, so reported by the compiler in Boost.PFR or detail/field_names.hpp
/// rather than by a static_assert: C array members and bit-fields, which models cannot have.
template <class T>
concept reflectable_model = detail::assignable_aggregate<T> && detail::has_external_linkage<T>();

namespace detail {

/// reflectable_model<T>; if false, a static_assert has named the first requirement T fails.
template <class T>
consteval bool require_reflectable() noexcept {
    static_assert(unqualified_type<T>,
                  "alchemy: reflect the struct itself, not a reference to it or a const or "
                  "volatile version of it; pass std::remove_cvref_t<T>");
    static_assert(!unqualified_type<T> || struct_type<T>,
                  "alchemy: only a struct or class can be a model; unions, enums, pointers and "
                  "built-in types cannot be reflected");
    static_assert(!struct_type<T> || aggregate_struct<T>,
                  "alchemy: a model must be an aggregate; remove its constructors, virtual "
                  "functions and private or protected data members so it can be built as T{...}");
    static_assert(!aggregate_struct<T> || base_free_aggregate<T>,
                  "alchemy: a model cannot have a base class (its fields cannot be reflected); "
                  "embed the base as a member instead (a mixin: its fields become the model's columns)");
    static_assert(!base_free_aggregate<T> || assignable_aggregate<T>,
                  "alchemy: every field of a model must be assignable; remove const and "
                  "reference members (store the value, or the id of what it refers to)");
    static_assert(!assignable_aggregate<T> || has_external_linkage<T>(),
                  "alchemy: a model must be declared in a named namespace, or field names cannot "
                  "be read; move it out of the function or the anonymous namespace");
    return reflectable_model<T>;
}

template <class T>
consteval std::size_t checked_field_count() noexcept {
    if constexpr (require_reflectable<T>()) return boost::pfr::tuple_size_v<T>;
    else return 0;
}

template <class T>
consteval auto checked_field_names() noexcept {
    if constexpr (require_reflectable<T>()) return field_names_of<T>;
    else return std::array<std::string_view, 0>{};
}

/// Whether I indexes a field of T; if not, a static_assert has said why.
template <class T, std::size_t I>
consteval bool require_field_index() noexcept {
    if constexpr (require_reflectable<T>()) {
        static_assert(I < boost::pfr::tuple_size_v<T>,
                      "alchemy: field index out of range; the fields of T are 0 to field_count<T> - 1");
        return I < boost::pfr::tuple_size_v<T>;
    } else {
        return false;
    }
}

template <class T, std::size_t I, bool = require_field_index<T, I>()>
struct field_type {};  // require_field_index() has said what is wrong

template <class T, std::size_t I>
struct field_type<T, I, true> {
    using type = boost::pfr::tuple_element_t<I, T>;
};

}  // namespace detail

/// The number of fields of T.
template <class T>
inline constexpr std::size_t field_count = detail::checked_field_count<T>();

/// The type of T's field I (0-based, in declaration order).
template <class T, std::size_t I>
using field_type_t = typename detail::field_type<T, I>::type;

/// The names of T's fields in declaration order. The views have static storage and each
/// is followed by a NUL.
template <class T>
inline constexpr std::array<std::string_view, field_count<T>> field_names = detail::checked_field_names<T>();

/// T's name without its namespaces or enclosing classes: "User" for ns::User. Template
/// arguments are kept as the compiler spells them, which differs between compilers
/// ("Box<std::basic_string_view<char> >" on GCC 12, "...<char>>" on Clang 14). The view
/// has static storage and is followed by a NUL.
template <class T>
constexpr std::string_view type_name() noexcept {
    return detail::type_name_storage<T>.view();
}

}  // namespace alchemy
