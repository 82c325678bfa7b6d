// The name of a type as a compile-time string with static storage ("User" for ns::User),
// read from __PRETTY_FUNCTION__, and fixed_string<N>, the static storage it lives in.
// Cost per type: one pretty_name<T>() instantiation (consteval, no code emitted) and one
// fixed_string<N> variable holding the unqualified name.
#pragma once

#include <cstddef>
#include <string_view>

namespace alchemy::detail {

/// N characters and a terminating NUL, usable as a non-type template argument.
/// Names computed at compile time are copied into one of these so that what reaches the
/// binary is the name alone, not the whole __PRETTY_FUNCTION__ string it was cut from.
template <std::size_t N>
struct fixed_string {
    char chars[N + 1] = {};  // public: a structural type, so it can be a template argument

    constexpr fixed_string() = default;
    constexpr fixed_string(const char (&literal)[N + 1]) {
        for (std::size_t i = 0; i != N; ++i) chars[i] = literal[i];
    }
    /// Copies the first N characters of `text`, which has at least N.
    consteval explicit fixed_string(std::string_view text) {
        for (std::size_t i = 0; i != N; ++i) chars[i] = text[i];
    }

    /// The N characters; the NUL after them is there for C APIs.
    constexpr std::string_view view() const noexcept { return {chars, N}; }
};

template <std::size_t N>
fixed_string(const char (&)[N]) -> fixed_string<N - 1>;

/// The whole __PRETTY_FUNCTION__; its text around T's spelling is the same for every T.
/// The return type is `auto` so that GCC prints no "[with ...; std::string_view = ...]"
/// alias list after the template argument.
template <class T>
consteval auto pretty_name() noexcept {
    return std::string_view{__PRETTY_FUNCTION__};
}

/// T as the compiler spells it, e.g. "ns::User", "(anonymous namespace)::Tag" (Clang) or
/// "{anonymous}::Tag" and "f()::Local" (GCC). The text around the type is measured on
/// `int`, so the same code reads GCC's "[with T = ...]" and Clang's "[T = ...]".
template <class T>
consteval std::string_view qualified_type_name() noexcept {
    constexpr std::string_view probe = pretty_name<int>();
    constexpr std::size_t prefix = probe.rfind("int");
    constexpr std::size_t suffix = probe.size() - prefix - std::string_view{"int"}.size();
    constexpr std::string_view pretty = pretty_name<T>();
    return pretty.substr(prefix, pretty.size() - prefix - suffix);
}

/// `qualified` without its enclosing namespaces and classes: what follows the last "::"
/// that is not inside <>, (), {} or [] ("Box<ns::Item>" for "ns::Box<ns::Item>").
constexpr std::string_view unqualified_name(std::string_view qualified) noexcept {
    std::size_t start = 0;
    int depth = 0;
    for (std::size_t i = 0; i != qualified.size(); ++i) {
        switch (qualified[i]) {
        case '<':
        case '(':
        case '{':
        case '[': ++depth; break;
        case '>':
        case ')':
        case '}':
        case ']': --depth; break;
        case ':':
            if (depth == 0 && i + 1 != qualified.size() && qualified[i + 1] == ':') {
                start = i + 2;
                ++i;
            }
            break;
        default: break;
        }
    }
    return qualified.substr(start);
}

template <class T>
inline constexpr fixed_string<unqualified_name(qualified_type_name<T>()).size()> type_name_storage{
    unqualified_name(qualified_type_name<T>())};

}  // namespace alchemy::detail
