// The row order of a self-referencing table's INSERTs: parents before children.
#include "alchemy/orm/detail/model_set.hpp"

#include <cstring>
#include <string>
#include <unordered_map>

namespace alchemy::detail {
namespace {

/// A hashable spelling of a non-NULL parameter value.
std::string key_text(const Param& p) {
    std::string out(1, static_cast<char>(p.type));
    if (p.type == ParamType::text || p.type == ParamType::blob) {
        out.append(p.bytes);
    } else {
        char raw[sizeof(std::int64_t)];
        std::memcpy(raw, &p.integer, sizeof raw);  // the union's widest member; Param() zeroes it
        out.append(raw, sizeof raw);
    }
    return out;
}

}  // namespace

std::vector<std::size_t> parents_first(std::span<const Param> keys, std::span<const Param> parents) {
    const std::size_t n = keys.size();
    // parent_of[i]: the row whose key row i's foreign key names, or n.
    std::vector<std::size_t> parent_of(n, n);
    std::unordered_map<std::string, std::size_t> row_of_key;
    for (std::size_t j = 0; j < n; ++j)
        if (keys[j].type != ParamType::null) row_of_key.emplace(key_text(keys[j]), j);
    for (std::size_t i = 0; i < n; ++i) {
        if (parents[i].type == ParamType::null) continue;  // NULL refers to nothing
        auto it = row_of_key.find(key_text(parents[i]));
        if (it != row_of_key.end() && it->second != i) parent_of[i] = it->second;
    }
    // Depth-first: a row is placed after its parent chain; `visiting` stops at cycles,
    // which the database then reports.
    std::vector<std::size_t> order;
    order.reserve(n);
    std::vector<char> mark(n, 0);  // 0 new, 1 visiting, 2 placed
    for (std::size_t start = 0; start < n; ++start) {
        std::vector<std::size_t> chain;
        for (std::size_t i = start; i < n && mark[i] == 0; i = parent_of[i]) {
            mark[i] = 1;
            chain.push_back(i);
        }
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
            mark[*it] = 2;
            order.push_back(*it);
        }
    }
    return order;
}

}  // namespace alchemy::detail
