// The names of a struct's members, at compile time. With Boost >= 1.84, Boost.PFR reads
// them (boost::pfr::names_as_array); with older Boost (Debian 12 ships 1.81, the only
// version this repository is built and tested with) this file reads them itself, as below.
//
// The 1.81 reader, from __PRETTY_FUNCTION__. Cost per model: one make_index_sequence
// expansion; per field, two consteval function instantiations (no code emitted) and one
// fixed_string variable holding the name, which is all that reaches the binary.
//
// How: Boost.PFR 1.81 gives a reference to member I of an object, but not its name. Take
// that member of `reflected_model<T>`, an object that is declared and never defined, put
// its address in a member_address<> and instantiate member_name_spelling<address>(): the
// compiler spells the address inside __PRETTY_FUNCTION__, and the member's name is the
// last identifier of that spelling:
//   GCC 12:   ...[with member_address<...auto...> address = member_address<long int>{(&
//   reflected_model<ns::User>.ns::User::id)}] Clang 14: ...[address = {&reflected_model.id}]
// All of it happens in constant expressions, so the object is never odr-used at run time
// and nothing asks the linker for it, with or without -fsanitize=undefined.
// Limit (both ways): the model needs external linkage, since the object whose members are
// named must be a variable that could be defined in another translation unit (see
// has_external_linkage below).
#pragma once

#include "alchemy/schema/type_name.hpp"

#include <boost/pfr/core.hpp>
#include <boost/pfr/tuple_size.hpp>
#include <boost/version.hpp>
#if BOOST_VERSION >= 108400
#include <boost/pfr/core_name.hpp>
#endif

#include <array>
#include <cstddef>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

namespace alchemy::detail {

#if BOOST_VERSION >= 108400 && BOOST_PFR_CORE_NAME_ENABLED

/// T's member names in declaration order. T must satisfy reflectable_model (reflect.hpp
/// checks that first, with readable messages).
template <class T>
inline constexpr std::array<std::string_view, boost::pfr::tuple_size_v<T>> field_names_of =
    boost::pfr::names_as_array<T>();

#else

// Clang warns that the variable template below has no definition wherever it is used;
// not having one is the point.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wundefined-var-template"
#endif

/// Never defined: only its members' addresses are taken, in constant expressions.
/// If a compiler reports it "used but never defined" because its type has no linkage, the
/// model is a class local to a function: declare it in a named namespace instead.
template <class T>
extern const T reflected_model;

/// Wraps a member's address so it can be a template argument: Clang 14 refuses a bare
/// pointer to a subobject as a template argument, but takes a class that holds one.
template <class Field>
struct member_address {
    const Field* pointer;
};

template <member_address address>
consteval auto member_name_spelling() noexcept {
    return std::string_view{__PRETTY_FUNCTION__};
}

constexpr bool is_identifier_char(char c) noexcept {
    // Bytes >= 0x80 are parts of UTF-8 encoded identifiers.
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
}

/// The last run of identifier characters in `spelling` (it may be all digits). In a member
/// address spelling only ")}]" (GCC) or "}]" (Clang) follows the member's name.
constexpr std::string_view last_identifier(std::string_view spelling) noexcept {
    std::size_t end = spelling.size();
    while (end != 0 && !is_identifier_char(spelling[end - 1])) --end;
    std::size_t begin = end;
    while (begin != 0 && is_identifier_char(spelling[begin - 1])) --begin;
    return spelling.substr(begin, end - begin);
}

template <class T, std::size_t I>
consteval std::string_view member_name() noexcept {
    // Not a constant expression if member I is a bit-field: binding a reference to one
    // reads its value. Models cannot have bit-fields.
    constexpr const auto& member = boost::pfr::get<I>(reflected_model<T>);
    using field = std::remove_cvref_t<decltype(member)>;
    constexpr std::string_view name =
        last_identifier(member_name_spelling<member_address<field>{std::addressof(member)}>());
    static_assert(!name.empty() && !(name[0] >= '0' && name[0] <= '9'),
                  "alchemy: could not read a field name from this compiler's __PRETTY_FUNCTION__; "
                  "please report the compiler and its version");
    return name;
}

#if defined(__clang__)
#pragma clang diagnostic pop
#endif

template <class T, std::size_t I>
inline constexpr fixed_string<member_name<T, I>().size()> field_name_storage{member_name<T, I>()};

template <class T, std::size_t... I>
consteval std::array<std::string_view, sizeof...(I)> make_field_names(std::index_sequence<I...>) noexcept {
    return {field_name_storage<T, I>.view()...};
}

/// T's member names in declaration order. T must satisfy reflectable_model (reflect.hpp
/// checks that first, with readable messages).
template <class T>
inline constexpr std::array<std::string_view, boost::pfr::tuple_size_v<T>> field_names_of =
    make_field_names<T>(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});

#endif

/// False for types whose spelling shows they have no linkage (a class local to a function,
/// on GCC) or internal linkage (in an anonymous namespace): reflected_model<T> can never be
/// defined for those, and Clang refuses to take its address. Clang 14 spells a local class
/// by its bare name, so there this cannot catch local classes; Clang itself then reports
/// reflected_model<T> as used but never defined.
template <class T>
consteval bool has_external_linkage() noexcept {
    constexpr std::string_view name = qualified_type_name<T>();
    return name.find("(anonymous namespace)") == std::string_view::npos &&  // Clang
           name.find("{anonymous}") == std::string_view::npos &&            // GCC
           name.find(")::") == std::string_view::npos;                      // GCC: f()::Local
}

}  // namespace alchemy::detail
