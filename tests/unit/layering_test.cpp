// The layers as docs/architecture.md draws them, checked on every public header: a header
// under include/alchemy/<layer>/ includes only its own layer and the layers under it, and
// another layer's detail/ headers never (those are private to their layer; what the
// layers above need lives in the layer's public folder). The rule is a function, tested
// first on lines that break it, so the scan of the tree cannot pass by finding nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace {

/// Bottom to top: each may include those before it.
constexpr std::array<std::string_view, 5> layers{"core", "schema", "sql", "orm", "migrate"};

std::optional<std::size_t> layer_index(std::string_view name) {
    const auto it = std::find(layers.begin(), layers.end(), name);
    if (it == layers.end()) return std::nullopt;
    return static_cast<std::size_t>(it - layers.begin());
}

/// Why `line` of a header in `layer` breaks the layering; empty when it does not.
std::string layering_violation(std::string_view layer, const std::string& line) {
    static const std::regex include(R"(^\s*#\s*include\s*[<"]alchemy/(\w+)/(detail/)?)");
    std::smatch m;
    if (!std::regex_search(line, m, include)) return {};
    const auto own = layer_index(layer);
    const auto target = layer_index(m[1].str());
    if (!own || !target) return "an unknown layer: " + line;
    if (*target > *own) return "a layer above: " + line;
    if (m[2].matched && *target != *own) return "another layer's detail header: " + line;
    return {};
}

}  // namespace

TEST_CASE("the layering rule rejects an include of a layer above or of another layer's detail") {
    CHECK(layering_violation("orm", R"(#include "alchemy/sql/detail/sql_cache.hpp")") != "");
    CHECK(layering_violation("orm", "#include <alchemy/sql/detail/sql_cache.hpp>") != "");
    CHECK(layering_violation("sql", R"(#include "alchemy/orm/session.hpp")") != "");
    CHECK(layering_violation("core", R"(  #  include "alchemy/schema/model.hpp")") != "");
    CHECK(layering_violation("sql", R"(#include "alchemy/magic/thing.hpp")") != "");
    CHECK(layering_violation("orm", R"(#include "alchemy/sql/statement_tree.hpp")") == "");
    CHECK(layering_violation("orm", R"(#include "alchemy/orm/detail/model_set.hpp")") == "");
    CHECK(layering_violation("sql", R"(#include "alchemy/core/dialect.hpp")") == "");
    CHECK(layering_violation("sql", "#include <vector>") == "");
}

TEST_CASE("no public header includes a layer above it or another layer's detail headers") {
    const std::filesystem::path root = std::filesystem::path(ALCHEMY_SOURCE_DIR) / "include" / "alchemy";
    REQUIRE(std::filesystem::is_directory(root));
    std::size_t headers = 0;
    std::vector<std::string> violations;
    for (const auto& layer : layers) {
        for (const auto& entry : std::filesystem::recursive_directory_iterator(root / layer)) {
            if (!entry.is_regular_file() || entry.path().extension() != ".hpp") continue;
            ++headers;
            std::ifstream in(entry.path());
            for (std::string line; std::getline(in, line);)
                if (auto why = layering_violation(layer, line); !why.empty())
                    violations.push_back(entry.path().lexically_relative(root).string() + ": " + why);
        }
    }
    CHECK(headers > 50);  // the scan found the headers it is meant to check
    INFO(violations.size() << " violations");
    for (const auto& v : violations) UNSCOPED_INFO(v);
    CHECK(violations.empty());
}
