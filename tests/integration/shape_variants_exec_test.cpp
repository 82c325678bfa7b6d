// Statements that embed a query with limit_offset() anywhere (a set operation's member,
// GROUP BY, ORDER BY, a NOT or AND around EXISTS or IN, a function, a CAST) keep their SQL
// in the cache once per combination of LIMIT and OFFSET (sql/shape_variant.hpp).
// For each, every combination runs twice on both backends: the rows are right, the
// statement type's cache rendered one text per combination and no more, and the texts
// the echo sink saw are one per combination, none shared.
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace sa = alchemy;
using sa::test::backends;

namespace svx {

/// Only this file uses the models, so their statement types are rendered by this file alone.
struct Item {
    std::int64_t id = 0;
    std::int32_t n = 0;
};
struct Other {
    std::int64_t id = 0;
    std::int32_t n = 0;
};

}  // namespace svx

template <>
inline constexpr auto sa::mapping<svx::Item> = sa::table("sv_items");
template <>
inline constexpr auto sa::mapping<svx::Other> = sa::table("sv_others");

using svx::Item;
using svx::Other;

namespace {

constexpr auto item_n = sa::col<&Item::n>;
constexpr auto other_n = sa::col<&Other::n>;

using Limit = std::optional<std::int64_t>;

/// One combination of LIMIT and OFFSET, each given or not.
struct Combination {
    Limit limit;
    Limit offset;
};
/// Over the rows n = 2..5 that limited() reads, they find {2, 3, 4, 5}, {2, 3}, nothing
/// and {3, 4}.
const std::array<Combination, 4> combinations{{{{}, {}}, {2, {}}, {{}, 9}, {2, 1}}};
const std::array<std::vector<std::int32_t>, 4> found{{{2, 3, 4, 5}, {2, 3}, {}, {3, 4}}};

/// The query every statement here embeds: n of the rows with n > 1, with whichever of
/// LIMIT and OFFSET `c` gives.
template <class Model>
auto limited(const Combination& c) {
    constexpr auto n = sa::col<&Model::n>;
    return sa::select(n).where(n > 1).order_by(n).limit_offset(c.limit, c.offset);
}

/// Whether `v` is among `values`.
bool among(std::int32_t v, const std::vector<std::int32_t>& values) {
    return std::find(values.begin(), values.end(), v) != values.end();
}

struct Fixture {
    sa::test::EchoCapture capture;
    sa::Engine engine;
    sa::Connection conn;

    explicit Fixture(const sa::test::Backend& backend)
        : engine(backend.engine({.echo = true, .echo_sink = capture.sink()})), conn(make(engine)) {}

    static sa::Connection make(sa::Engine& engine) {
        sa::metadata<Item, Other>().create_all(engine);
        auto conn = engine.connect();
        for (std::int32_t n = 1; n <= 5; ++n) {
            conn.execute(sa::insert<Item>().values(Item{.n = n}));
            conn.execute(sa::insert<Other>().values(Other{.n = n}));
        }
        conn.commit();
        return conn;
    }

    /// Runs make(i) for each i < Variants twice, checks its rows against expected(i), and
    /// that the statement type's cache rendered one text per variant for this dialect
    /// and that each variant sent a text of its own (the one statement the echo sink saw).
    template <std::size_t Variants, class Make, class Expected>
    void check_each_variant(Make make, Expected expected) {
        check_each_variant<Variants>(make, expected,
                                     [this](const auto& statement) { return conn.execute(statement).all(); });
    }
    /// The same, the rows read by run(statement).
    template <std::size_t Variants, class Make, class Expected, class Run>
    void check_each_variant(Make make, Expected expected, Run run) {
        using Statement = decltype(make(std::size_t{}));
        STATIC_REQUIRE(Statement::shape_variants == Variants);
        using Cache = sa::detail::sql_cache<Statement, Variants>;
        const auto renders_before = Cache::renders();
        std::map<std::size_t, std::set<std::string>> sent;
        for (int round = 0; round < 2; ++round) {
            for (std::size_t i = 0; i < Variants; ++i) {
                INFO("variant " << i << ", round " << round);
                capture.lines.clear();
                CHECK(run(make(i)) == expected(i));
                for (const auto& line : capture.lines)
                    for (std::string_view verb : {"SELECT", "INSERT", "UPDATE", "DELETE"})
                        if (line.starts_with(verb)) sent[i].insert(line);
            }
        }
        CHECK(Cache::renders() - renders_before == Variants);
        std::set<std::string> distinct;
        for (const auto& [i, texts] : sent) {
            INFO("variant " << i);
            CHECK(texts.size() == 1);  // one statement, one text, both rounds
            distinct.insert(texts.begin(), texts.end());
        }
        CHECK(sent.size() == Variants);
        CHECK(distinct.size() == Variants);
    }
};

/// found[i] ∩ (n > 2), the rows of 1..5 that are.
std::vector<std::int32_t> above_two_in(std::size_t i) {
    std::vector<std::int32_t> out;
    for (std::int32_t n = 1; n <= 5; ++n)
        if (n > 2 && among(n, found[i])) out.push_back(n);
    return out;
}

/// Variant i of a set operation's members: the first reads the limited query with
/// combination i % 4, the second with combination i / 4.
auto first_member(std::size_t i) {
    return sa::select(item_n).where(item_n.in_(limited<Other>(combinations[i % 4])));
}
auto second_member(std::size_t i) {
    return sa::select(other_n).where(other_n.in_(limited<Item>(combinations[i / 4])));
}
/// What the set operation `combine` (std::set_union, ...) makes of the two members' rows.
template <class Combine>
auto combined_rows(Combine combine) {
    return [combine](std::size_t i) {
        const auto& a = found[i % 4];
        const auto& b = found[i / 4];
        std::vector<std::int32_t> out;
        combine(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
        return out;
    };
}

}  // namespace

TEST_CASE("NOT EXISTS and AND around a limited query are cached once per LIMIT and OFFSET combination") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    const std::vector<std::int32_t> all{1, 2, 3, 4, 5};

    f.check_each_variant<4>(
        [](std::size_t i) {
            return sa::select(item_n).where(!sa::exists(limited<Other>(combinations[i]))).order_by(item_n);
        },
        [&](std::size_t i) { return found[i].empty() ? all : std::vector<std::int32_t>{}; });

    f.check_each_variant<4>(
        [](std::size_t i) {
            return sa::select(item_n)
                .where(item_n > 2 && item_n.in_(limited<Other>(combinations[i])))
                .order_by(item_n);
        },
        above_two_in);
}

TEST_CASE("GROUP BY and ORDER BY of a limited query are cached once per LIMIT and OFFSET combination") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);

    // Rows grouped by whether the limited query finds their n: the groups' sizes.
    f.check_each_variant<4>(
        [](std::size_t i) {
            return sa::select(sa::count(item_n))
                .group_by(item_n.in_(limited<Other>(combinations[i])))
                .order_by(sa::count(item_n));
        },
        [](std::size_t i) {
            const auto in = static_cast<std::int64_t>(found[i].size());
            std::vector<std::int64_t> sizes{in, 5 - in};
            std::erase(sizes, 0);
            std::sort(sizes.begin(), sizes.end());
            return sizes;
        });

    // The rows the limited query finds first, then the others, each in order of n.
    f.check_each_variant<4>(
        [](std::size_t i) {
            return sa::select(item_n).order_by(item_n.in_(limited<Other>(combinations[i])).desc(), item_n);
        },
        [](std::size_t i) {
            std::vector<std::int32_t> order = found[i];
            for (std::int32_t n = 1; n <= 5; ++n)
                if (!among(n, found[i])) order.push_back(n);
            return order;
        });
}

TEST_CASE(
    "a function and a CAST around IN of a limited query are cached once per LIMIT and OFFSET combination") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);

    // For each n of 1..5: 1 when the limited query finds it, else 0.
    f.check_each_variant<4>(
        [](std::size_t i) {
            return sa::select(
                       sa::coalesce(sa::cast<std::int32_t>(item_n.in_(limited<Other>(combinations[i]))), 0))
                .order_by(item_n);
        },
        [](std::size_t i) {
            std::vector<std::int32_t> out;
            for (std::int32_t n = 1; n <= 5; ++n) out.push_back(among(n, found[i]) ? 1 : 0);
            return out;
        });
}

TEST_CASE("a window partitioned by IN of a limited query is cached once per LIMIT and OFFSET combination") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);

    // Each n with the size of its window: the rows the limited query finds, or the others.
    f.check_each_variant<4>(
        [](std::size_t i) {
            return sa::select(item_n, sa::count(item_n).over(
                                          sa::partition_by(item_n.in_(limited<Other>(combinations[i])))))
                .order_by(item_n);
        },
        [](std::size_t i) {
            const auto in = static_cast<std::int64_t>(found[i].size());
            std::vector<std::tuple<std::int32_t, std::int64_t>> out;
            for (std::int32_t n = 1; n <= 5; ++n) out.emplace_back(n, among(n, found[i]) ? in : 5 - in);
            return out;
        });
}

TEST_CASE("UPDATE, DELETE and INSERT ... SELECT of a limited query are cached once per combination") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    // Each run is rolled back, so that every run starts from 1..5.
    const auto sorted_returned = [&](const auto& statement) {
        auto rows = f.conn.execute(statement).all();
        f.conn.rollback();
        std::sort(rows.begin(), rows.end());
        return rows;
    };
    const auto found_plus = [](std::int32_t added) {
        return [added](std::size_t i) {
            auto out = found[i];
            for (auto& n : out) n += added;
            return out;
        };
    };

    f.check_each_variant<4>(
        [](std::size_t i) {
            return sa::delete_<Item>().where(item_n.in_(limited<Other>(combinations[i]))).returning(item_n);
        },
        found_plus(0), sorted_returned);

    f.check_each_variant<4>(
        [](std::size_t i) {
            return sa::update<Item>()
                .values(item_n = item_n + 10)
                .where(item_n.in_(limited<Other>(combinations[i])))
                .returning(item_n);
        },
        found_plus(10), sorted_returned);

    // The limited query in SET: each row's n becomes 1 when the query finds it, else 0.
    f.check_each_variant<4>(
        [](std::size_t i) {
            return sa::update<Item>()
                .values(item_n = sa::cast<std::int32_t>(item_n.in_(limited<Other>(combinations[i]))))
                .returning(item_n);
        },
        [](std::size_t i) {
            std::vector<std::int32_t> out(5 - found[i].size(), 0);
            out.resize(5, 1);
            return out;
        },
        sorted_returned);

    f.check_each_variant<4>(
        [](std::size_t i) {
            return sa::insert<Item>().from_select(limited<Other>(combinations[i]), item_n).returning(item_n);
        },
        found_plus(0), sorted_returned);
}

TEST_CASE("UNION and EXCEPT of members that embed limited queries are cached once per combination of all") {
    auto backend = GENERATE(from_range(backends()));
    Fixture f(backend);
    using It = std::vector<std::int32_t>::const_iterator;
    using Out = std::back_insert_iterator<std::vector<std::int32_t>>;

    f.check_each_variant<16>(
        [](std::size_t i) { return sa::union_(first_member(i), second_member(i)).order_by(item_n); },
        combined_rows(std::set_union<It, It, Out>));
    f.check_each_variant<16>(
        [](std::size_t i) { return sa::except_(first_member(i), second_member(i)).order_by(item_n); },
        combined_rows(std::set_difference<It, It, Out>));
}
