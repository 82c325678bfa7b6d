// The enumerators of an enum and their names, read at compile time from
// __PRETTY_FUNCTION__ of a template instantiated on each candidate value: a named
// enumerator is spelled "ns::Color::red", any other value as a cast "(ns::Color)5".
// Only enums stored as text (sa::enum_as_text) need this.
// Cost: one consteval instantiation per candidate value — 256 per enum type (values
// -128..127, or 0..255 for an unsigned underlying type); enumerators outside that
// range cannot be stored as text (a static_assert says so when none is found).
#pragma once

#include "alchemy/schema/detail/field_names.hpp"

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

namespace alchemy::detail {

template <auto Value>
consteval auto enum_value_spelling() noexcept {  // auto: GCC then prints no alias list
    return std::string_view{__PRETTY_FUNCTION__};
}

/// The enumerator's name, or empty when `Value` is not a named enumerator.
template <auto Value>
consteval std::string_view enum_value_name() noexcept {
    constexpr std::string_view spelling = enum_value_spelling<Value>();
    constexpr std::string_view name = last_identifier(spelling);
    // A cast spelling ends in digits: last_identifier() returns a number then.
    if constexpr (name.empty() || (name[0] >= '0' && name[0] <= '9')) return {};
    else {
        // The character before a real name is ':' (scoped or namespaced) or ' ' / '='.
        constexpr std::size_t at = spelling.rfind(name);
        if constexpr (at > 0 && spelling[at - 1] == ')') return {};
        else return name;
    }
}

template <class E>
inline constexpr int enum_scan_first = std::is_signed_v<std::underlying_type_t<E>> ? -128 : 0;

template <class E, std::size_t... I>
consteval std::size_t count_enumerators(std::index_sequence<I...>) {
    return (std::size_t{0} + ... +
            (enum_value_name<static_cast<E>(enum_scan_first<E> + static_cast<int>(I))>().empty() ? 0 : 1));
}

template <class E>
struct enum_entry {
    E value;
    std::string_view name;
};

template <class E, std::size_t N, std::size_t... I>
consteval std::array<enum_entry<E>, N> list_enumerators(std::index_sequence<I...>) {
    std::array<enum_entry<E>, N> out{};
    std::size_t next = 0;
    (
        [&] {
            constexpr E value = static_cast<E>(enum_scan_first<E> + static_cast<int>(I));
            constexpr std::string_view name = enum_value_name<value>();
            if (!name.empty()) out[next++] = {value, name};
        }(),
        ...);
    return out;
}

template <class E>
consteval auto make_enum_entries() {
    using scan = std::make_index_sequence<256>;
    constexpr std::size_t n = count_enumerators<E>(scan{});
    static_assert(n > 0,
                  "alchemy: no enumerator of this enum was found between -128 and 127 (0 and 255 "
                  "for an unsigned underlying type), so it cannot be stored as text; store it as "
                  "an integer (drop sa::enum_as_text)");
    return list_enumerators<E, n>(scan{});
}

/// E's named enumerators in value order, with their names (static storage).
template <class E>
inline constexpr auto enum_entries = make_enum_entries<E>();

}  // namespace alchemy::detail
