// Numbers as text for a reader that asked for text: the shortest spelling that reads back
// as the same value (std::to_chars), and PostgreSQL's spellings of NaN and the
// infinities, so that both backends write a number alike.
#pragma once

#include <charconv>
#include <cmath>
#include <concepts>
#include <string>

namespace alchemy::detail {

template <std::floating_point Real>
void append_real(std::string& out, Real value) {
    if (std::isnan(value)) return void(out += "NaN");
    if (std::isinf(value)) return void(out += value > 0 ? "Infinity" : "-Infinity");
    char text[32];
    out.append(text, std::to_chars(text, text + sizeof text, value).ptr);
}

template <std::integral Integer>
void append_integer(std::string& out, Integer value) {
    char text[24];
    out.append(text, std::to_chars(text, text + sizeof text, value).ptr);
}

}  // namespace alchemy::detail
