// Generated column names of subqueries (detail::complete_column_names in
// include/alchemy/sql/subquery.hpp), compiled once rather than per query type.
#include "alchemy/sql/subquery.hpp"

#include <fmt/format.h>
#include "core/ascii.hpp"

#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace alchemy::detail {
namespace {

/// `name`, kept for the program's life: statement trees and cached texts refer to it.
std::string_view kept(std::string name) {
    static std::mutex mutex;
    static std::set<std::string, std::less<>> names;
    std::lock_guard lock(mutex);
    return *names.insert(std::move(name)).first;
}

}  // namespace

void complete_column_names(std::span<std::string_view> names) {
    const auto count = names.size();
    // SQLite compares column names without regard to ASCII case, even quoted: "NAME" would
    // read the column "name".
    const auto taken = [&](std::size_t end, std::string_view name) {
        return std::any_of(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(end),
                           [&](std::string_view other) { return equals_ignoring_ascii_case(other, name); });
    };
    std::vector<bool> generate(count);
    for (std::size_t i = 0; i < count; ++i) generate[i] = names[i].empty() || taken(i, names[i]);
    for (std::size_t i = 0; i < count; ++i)
        if (generate[i]) names[i] = {};
    for (std::size_t i = 0; i < count; ++i) {
        if (!generate[i]) continue;
        for (std::size_t n = i + 1;; n += count) {
            auto candidate = fmt::format("col_{}", n);
            if (!taken(count, candidate)) {
                names[i] = kept(std::move(candidate));
                break;
            }
        }
    }
}

}  // namespace alchemy::detail
