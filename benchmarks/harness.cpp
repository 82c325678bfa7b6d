#include "harness.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>

namespace bench {

std::string describe(const Check& c) {
    return fmt::format("users={} ids={} ages={} emails={} text={} posts={}", c.users, c.ids, c.ages, c.emails,
                       c.text, c.posts);
}

std::optional<double> median(std::vector<double> values) {
    if (values.empty()) return std::nullopt;
    std::sort(values.begin(), values.end());
    const auto mid = values.size() / 2;
    return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

std::optional<double> Measured::median() const {
    if (!error.empty()) return std::nullopt;
    return bench::median(ms);
}

std::map<std::string, Measured> run_variants(std::string_view backend, const std::vector<Variant>& variants,
                                             int reps) {
    std::map<std::string, Measured> results;
    for (int rep = 1; rep <= reps; ++rep) {
        std::string timings;
        for (const auto& variant : variants) {
            auto& measured = results[variant.key];
            if (!measured.error.empty()) continue;
            try {
                Stopwatch stopwatch;
                const Check got = variant.run(stopwatch);
                if (got != variant.expected) {
                    measured.error = fmt::format("wrong result: got {}, expected {}", describe(got),
                                                 describe(variant.expected));
                } else {
                    measured.ms.push_back(stopwatch.ms());
                    timings += fmt::format(" {}={:.1f}", variant.key, stopwatch.ms());
                }
            } catch (const std::exception& e) {
                measured.error = fmt::format("threw: {}", e.what());
            }
            if (!measured.error.empty())
                fmt::print(stderr, "[{}] {} FAILED: {}\n", backend, variant.key, measured.error);
        }
        fmt::print(stderr, "[{}] repetition {}/{} (ms):{}\n", backend, rep, reps, timings);
    }
    return results;
}

namespace {

std::string ms_cell(const std::map<std::string, Measured>& results, const std::string& key) {
    const auto found = results.find(key);
    if (found == results.end()) return "n/a";
    if (!found->second.error.empty()) return "FAILED";
    const auto median = found->second.median();
    return median ? fmt::format("{:.1f}", *median) : "n/a";
}

/// The median, over the repetitions, of alchemy's time divided by raw's in the same
/// repetition. The two run moments apart, so a slow spell of the machine that lasts
/// longer than one repetition (seen here: whole repetitions 1.5x slower than the rest)
/// slows both and cancels out, where a ratio of the two medians would compare times
/// taken in different spells.
std::optional<double> paired_ratio(const std::map<std::string, Measured>& results, const std::string& raw_key,
                                   const std::string& alchemy_key) {
    const auto raw = results.find(raw_key);
    const auto alchemy = results.find(alchemy_key);
    if (raw == results.end() || alchemy == results.end() || !raw->second.error.empty() ||
        !alchemy->second.error.empty() || raw->second.ms.size() != alchemy->second.ms.size())
        return std::nullopt;
    std::vector<double> ratios;
    for (std::size_t rep = 0; rep < raw->second.ms.size(); ++rep)
        if (raw->second.ms[rep] > 0) ratios.push_back(alchemy->second.ms[rep] / raw->second.ms[rep]);
    return bench::median(std::move(ratios));
}

}  // namespace

void print_table(std::string_view title, const std::vector<Comparison>& rows,
                 const std::map<std::string, Measured>& results) {
    std::size_t work_width = 4, variant_width = 7;
    for (const auto& row : rows) {
        work_width = std::max(work_width, row.work.size());
        variant_width = std::max(variant_width, row.variant.size());
    }
    const auto line = [&](std::string_view work, std::string_view variant, std::string_view raw,
                          std::string_view alchemy, std::string_view ratio, std::string_view target,
                          std::string_view verdict) {
        return fmt::format("{:<{}}  {:<{}}  {:>8}  {:>10}  {:>5}  {:>7}  {}", work, work_width, variant,
                           variant_width, raw, alchemy, ratio, target, verdict);
    };
    const auto header = line("work", "variant", "raw ms", "alchemy ms", "ratio", "target", "result");
    fmt::print("\n{}\n{}\n{}\n", title, header, std::string(header.size(), '-'));
    for (const auto& row : rows) {
        std::string ratio = "-";
        std::string verdict;
        if (const auto r = paired_ratio(results, row.raw_key, row.alchemy_key)) {
            ratio = fmt::format("{:.2f}", *r);
            if (row.max_ratio) verdict = *r <= *row.max_ratio ? "met" : "MISSED";
        }
        const std::string target = row.max_ratio ? fmt::format("<= {:.2f}", *row.max_ratio) : "-";
        fmt::print("{}\n", line(row.work, row.variant, ms_cell(results, row.raw_key),
                                ms_cell(results, row.alchemy_key), ratio, target, verdict));
    }
}

}  // namespace bench
