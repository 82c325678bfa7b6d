// Generated column names of subqueries (detail::complete_column_names in
// include/alchemy/sql/subquery.hpp), compiled once rather than per query type.
#include "alchemy/sql/subquery.hpp"

#include <fmt/format.h>

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
    std::vector<bool> generate(count);
    for (std::size_t i = 0; i < count; ++i)
        generate[i] =
            names[i].empty() || std::find(names.begin(), names.begin() + i, names[i]) != names.begin() + i;
    for (std::size_t i = 0; i < count; ++i)
        if (generate[i]) names[i] = {};
    for (std::size_t i = 0; i < count; ++i) {
        if (!generate[i]) continue;
        for (std::size_t n = i + 1;; n += count) {
            auto candidate = fmt::format("col_{}", n);
            if (std::find(names.begin(), names.end(), candidate) == names.end()) {
                names[i] = kept(std::move(candidate));
                break;
            }
        }
    }
}

}  // namespace alchemy::detail
