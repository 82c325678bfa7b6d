// The layers as docs/architecture.md draws them, checked on every public header and on
// every file of src/: a file of layer <layer> (under include/alchemy/<layer>/ or
// src/<layer>/) includes only its own layer and the layers under it, and another layer's
// detail/ headers never (those are private to their layer; what the layers above need
// lives in the layer's public folder). The rule is a function, tested first on lines that
// break it, so the scan of the tree cannot pass by finding nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

/// Bottom to top: each may include those before it. The drivers (src/drivers/) come last:
/// they implement interfaces of core, schema and migrate, and no public header is theirs.
constexpr std::array<std::string_view, 6> layers{"core", "schema", "sql", "orm", "migrate", "drivers"};
/// The layers with public headers, include/alchemy/<layer>/.
constexpr std::span<const std::string_view> public_layers = std::span(layers).first(5);

/// What the layers below may include of the drivers: the built-in drivers' entry points,
/// which schema's DDL and migrate's backends pair with their own code for each backend.
constexpr std::string_view drivers_entry_points = "drivers/drivers.hpp";

std::optional<std::size_t> layer_index(std::string_view name) {
    const auto it = std::find(layers.begin(), layers.end(), name);
    if (it == layers.end()) return std::nullopt;
    return static_cast<std::size_t>(it - layers.begin());
}

/// The layer a header at the top of include/alchemy/ belongs to: a layer's umbrella
/// (alchemy/orm.hpp) to that layer; format.hpp (formatters of core's types) and fwd.hpp
/// (declarations only) to core; alchemy.hpp, every layer together, above them all.
std::optional<std::size_t> top_header_layer(std::string_view name) {
    if (name == "format" || name == "fwd") return 0;
    if (name == "alchemy") return layers.size();
    if (name == "drivers") return std::nullopt;
    return layer_index(name);
}

/// Why `line` of a file of `layer` breaks the layering; empty when it does not.
/// `public_header`: the file is under include/, which is installed without src/.
///
/// Two kinds of include are checked. A public header, alchemy/<layer>/..., as above. A
/// header of src/, "<layer>/..." (quoted, relative to src/): those are the compiled
/// library's own, never installed, so a layer may include those of the layers under it
/// (schema/ddl/ddl.hpp's DdlRenderer, which migrate and the drivers use), but not those of
/// a layer above, except drivers_entry_points.
std::string layering_violation(std::string_view layer, const std::string& line, bool public_header = false) {
    static const std::regex any_include(R"re(^\s*#\s*include\s*[<"]([^>"]*)[>"])re");
    static const std::regex top_header(R"(^\s*#\s*include\s*[<"]alchemy/(\w+)\.hpp[>"])");
    static const std::regex include(R"(^\s*#\s*include\s*[<"]alchemy/(\w+)/(detail/)?)");
    static const std::regex src_include(R"re(^\s*#\s*include\s*"((\w+)/[^"]*)")re");
    const auto own = layer_index(layer);
    if (!own) return "a file of an unknown layer: " + std::string(layer);
    std::smatch m;
    if (std::regex_search(line, m, any_include) && m[1].str().find("..") != std::string::npos)
        return "a path that climbs out of its folder: " + line;
    if (std::regex_search(line, m, top_header)) {
        const auto target = top_header_layer(m[1].str());
        if (!target) return "an unknown header: " + line;
        if (*target > *own) return "a layer above: " + line;
        return {};
    }
    if (std::regex_search(line, m, include)) {
        const auto target = layer_index(m[1].str());
        if (!target || m[1].str() == "drivers") return "an unknown layer: " + line;
        if (*target > *own) return "a layer above: " + line;
        if (m[2].matched && *target != *own) return "another layer's detail header: " + line;
        return {};
    }
    if (std::regex_search(line, m, src_include) && m[2].str() != "alchemy") {
        if (public_header) return "a header of src/, which is not installed: " + line;
        const auto target = layer_index(m[2].str());
        if (!target) return "an unknown folder of src/: " + line;
        if (*target > *own && m[1].str() != drivers_entry_points) return "a layer above: " + line;
    }
    return {};
}

/// The violations in the files under `root`/<layer>/ for each of `scanned`, with the
/// extensions `extensions`; `files` counts the files read. A folder of `root` that is no
/// layer is a violation too, since its files would go unchecked.
std::vector<std::string> violations_under(const std::filesystem::path& root,
                                          std::span<const std::string_view> scanned,
                                          std::initializer_list<std::string_view> extensions,
                                          bool public_headers, std::size_t& files) {
    std::vector<std::string> violations;
    for (const auto& entry : std::filesystem::directory_iterator(root))
        if (entry.is_directory() &&
            std::find(scanned.begin(), scanned.end(), entry.path().filename().string()) == scanned.end())
            violations.push_back(entry.path().filename().string() + "/: a folder that is no layer");
    for (const auto& layer : scanned) {
        for (const auto& entry : std::filesystem::recursive_directory_iterator(root / layer)) {
            const auto extension = entry.path().extension().string();
            if (!entry.is_regular_file() ||
                std::find(extensions.begin(), extensions.end(), extension) == extensions.end())
                continue;
            ++files;
            std::ifstream in(entry.path());
            for (std::string line; std::getline(in, line);)
                if (auto why = layering_violation(layer, line, public_headers); !why.empty())
                    violations.push_back(entry.path().lexically_relative(root).string() + ": " + why);
        }
    }
    return violations;
}

}  // namespace

TEST_CASE("the layering rule rejects an include of a layer above or of another layer's detail") {
    CHECK(layering_violation("orm", R"(#include "alchemy/sql/detail/like_pattern.hpp")") != "");
    CHECK(layering_violation("orm", "#include <alchemy/sql/detail/like_pattern.hpp>") != "");
    CHECK(layering_violation("sql", R"(#include "alchemy/orm.hpp")") != "");
    CHECK(layering_violation("migrate", "#include <alchemy/alchemy.hpp>") != "");
    CHECK(layering_violation("core", R"(#include "alchemy/schema.hpp")") != "");
    CHECK(layering_violation("sql", R"(#include "alchemy/../alchemy/orm/session.hpp")") != "");
    CHECK(layering_violation("sql", R"(#include "core/printable.hpp")", true) != "");
    CHECK(layering_violation("orm", R"(#include "alchemy/sql.hpp")") == "");
    CHECK(layering_violation("core", R"(#include "alchemy/format.hpp")") == "");
    CHECK(layering_violation("sql", R"(#include "alchemy/orm/session.hpp")") != "");
    CHECK(layering_violation("core", R"(  #  include "alchemy/schema/model.hpp")") != "");
    CHECK(layering_violation("sql", R"(#include "alchemy/magic/thing.hpp")") != "");
    CHECK(layering_violation("orm", R"(#include "alchemy/sql/statement_tree.hpp")") == "");
    CHECK(layering_violation("orm", R"(#include "alchemy/orm/detail/model_set.hpp")") == "");
    CHECK(layering_violation("sql", R"(#include "alchemy/core/dialect.hpp")") == "");
    CHECK(layering_violation("sql", "#include <vector>") == "");
}

TEST_CASE("the layering rule holds src/ to the layers, and lets src/ headers point down only") {
    CHECK(layering_violation("orm", R"(#include "alchemy/sql/detail/batching.hpp")") != "");
    CHECK(layering_violation("migrate", R"(#include "alchemy/orm/detail/model_ops.hpp")") != "");
    CHECK(layering_violation("schema", R"(#include "migrate/backend.hpp")") != "");
    CHECK(layering_violation("core", R"(#include "sql/whatever.hpp")") != "");
    CHECK(layering_violation("sql", R"(#include "orm/model_statements.hpp")") != "");
    CHECK(layering_violation("orm", R"(#include "magic/thing.hpp")") != "");
    CHECK(layering_violation("drivers", R"(#include "alchemy/core/detail/anything.hpp")") != "");
    CHECK(layering_violation("drivers", R"(#include "alchemy/drivers/sqlite.hpp")") != "");
    CHECK(layering_violation("core", R"(#include "drivers/sqlite/sqlite_dialect.hpp")") != "");
    CHECK(layering_violation("orm", R"(#include "orm/model_statements.hpp")") == "");
    CHECK(layering_violation("migrate", R"(#include "schema/ddl/ddl.hpp")") == "");
    CHECK(layering_violation("migrate", R"(#include "core/sql_lexer.hpp")") == "");
    CHECK(layering_violation("schema", R"(#include "drivers/drivers.hpp")") == "");
    CHECK(layering_violation("drivers", R"(#include "migrate/backend.hpp")") == "");
    CHECK(layering_violation("drivers", R"(#include "alchemy/schema/model.hpp")") == "");
    CHECK(layering_violation("core", R"(#include "echo.hpp")") == "");
    CHECK(layering_violation("core", "#include <fmt/format.h>") == "");
}

TEST_CASE("no public header includes a layer above it or another layer's detail headers") {
    const std::filesystem::path root = std::filesystem::path(ALCHEMY_SOURCE_DIR) / "include" / "alchemy";
    REQUIRE(std::filesystem::is_directory(root));
    std::size_t headers = 0;
    const auto violations = violations_under(root, public_layers, {".hpp"}, true, headers);
    CHECK(headers > 50);  // the scan found the headers it is meant to check
    INFO(violations.size() << " violations");
    for (const auto& v : violations) UNSCOPED_INFO(v);
    CHECK(violations.empty());
}

TEST_CASE("no file of src/ includes a layer above it or another layer's detail headers") {
    const std::filesystem::path root = std::filesystem::path(ALCHEMY_SOURCE_DIR) / "src";
    REQUIRE(std::filesystem::is_directory(root));
    std::size_t files = 0;
    const auto violations = violations_under(root, layers, {".hpp", ".cpp"}, false, files);
    CHECK(files > 80);  // the scan found the files it is meant to check
    INFO(violations.size() << " violations");
    for (const auto& v : violations) UNSCOPED_INFO(v);
    CHECK(violations.empty());
}
