// snake_case of a type name, the conventional table name: "UserProfile" -> "user_profile",
// "HTTPRequest" -> "http_request", "UserGroup2" -> "user_group2".
// Cost: snake_case_of<Name> is one fixed_string variable per distinct name; snake_case_name<T>
// adds one to type_name_storage<T>.
#pragma once

#include "alchemy/schema/type_name.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace alchemy::detail {

constexpr bool is_ascii_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
constexpr bool is_ascii_lower(char c) noexcept { return c >= 'a' && c <= 'z'; }
constexpr bool is_ascii_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// Whether an underscore goes before name[i]: a capital after a lower-case letter or digit
/// starts a word ("userProfile", "Md5Hash"), and so does the last capital of an acronym
/// followed by a lower-case letter ("HTTPRequest" -> "HTTP" + "Request").
constexpr bool starts_word(std::string_view name, std::size_t i) noexcept {
    if (i == 0 || !is_ascii_upper(name[i])) return false;
    const char before = name[i - 1];
    if (is_ascii_lower(before) || is_ascii_digit(before)) return true;
    return is_ascii_upper(before) && i + 1 < name.size() && is_ascii_lower(name[i + 1]);
}

/// The length of the snake_case form of `name`.
constexpr std::size_t snake_case_size(std::string_view name) noexcept {
    std::size_t size = name.size();
    for (std::size_t i = 0; i != name.size(); ++i) size += starts_word(name, i) ? 1U : 0U;
    return size;
}

/// Writes the snake_case form of `name` to out[0, snake_case_size(name)). Capitals become
/// lower case; every other character, '_' included, is copied as it is.
constexpr void snake_case_to(std::string_view name, char* out) noexcept {
    for (std::size_t i = 0; i != name.size(); ++i) {
        if (starts_word(name, i)) *out++ = '_';
        const char c = name[i];
        *out++ = is_ascii_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
    }
}

/// The snake_case form of `name`. A constant expression only where std::string is usable
/// in one (GCC 12, not Clang 14 with libstdc++ 12); snake_case_of works everywhere.
constexpr std::string snake_case(std::string_view name) {
    std::string result(snake_case_size(name), '\0');
    snake_case_to(name, result.data());
    return result;
}

template <fixed_string Name>
consteval auto make_snake_case() noexcept {
    fixed_string<snake_case_size(Name.view())> result;
    snake_case_to(Name.view(), result.chars);
    return result;
}

/// The snake_case form of Name, computed at compile time and kept in static storage:
/// snake_case_of<"HTTPRequest">.view() == "http_request".
template <fixed_string Name>
inline constexpr auto snake_case_of = make_snake_case<Name>();

/// Letters, digits and '_' only: the name of a class, not of a template specialization.
constexpr bool is_plain_identifier(std::string_view name) noexcept {
    for (const char c : name) {
        if (!is_ascii_upper(c) && !is_ascii_lower(c) && !is_ascii_digit(c) && c != '_') return false;
    }
    return !name.empty();
}

template <class T>
consteval std::string_view checked_snake_case_name() noexcept {
    static_assert(is_plain_identifier(type_name_storage<T>.view()),
                  "alchemy: no table name can be derived from the name of a class template "
                  "specialization; name the table in its mapping: sa::table(\"name\")");
    return snake_case_of<type_name_storage<T>>.view();
}

/// The snake_case form of T's unqualified name, with static storage: the default table name.
template <class T>
inline constexpr std::string_view snake_case_name = checked_snake_case_name<T>();

}  // namespace alchemy::detail
