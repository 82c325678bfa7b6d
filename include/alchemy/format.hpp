// fmt formatters for alchemy's types, kept out of the headers that declare the types so
// that including those costs no fmt: `fmt::print("{}", url)` needs this header (or the
// umbrella alchemy/alchemy.hpp, which includes it). It includes only fmt/core.h, which
// also gives fmt::print and fmt::format of the built-in types; fmt::join, fmt::ptr and
// the other helpers of fmt/format.h need that header.
#pragma once

#include "alchemy/core/url.hpp"

#include <fmt/core.h>

#include <string_view>

/// Prints the URL with its passwords masked, as URL::to_string(); takes string specs
/// ("{:>40}").
template <>
struct fmt::formatter<alchemy::URL> : fmt::formatter<std::string_view> {
    // Compiled in src/core/format.cpp: fmt/core.h declares formatter<string_view>::format
    // but only fmt/format.h defines it.
    format_context::iterator format(const alchemy::URL& url, format_context& ctx) const;
};
