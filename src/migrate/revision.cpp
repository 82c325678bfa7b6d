// Revision files: reading and validating the chain in <dir>/versions/, writing new files,
// and splitting a section's SQL into statements.
#include "alchemy/migrate/revision.hpp"

#include "alchemy/core/error.hpp"
#include "core/sql_lexer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>

namespace alchemy::migrate {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view first_line = "-- alchemy revision";
constexpr std::string_view upgrade_marker = "-- upgrade";
constexpr std::string_view downgrade_marker = "-- downgrade";

using alchemy::detail::is_space;

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

// ---------------------------------------------------------------------------------------
// SQL scanning: where the statements of a section end.

/// The statement-ending ';' positions of `sql` (found in code, src/core/sql_lexer.hpp)
/// and, for each piece between them, whether it holds anything but whitespace and
/// comments.
struct Scan {
    struct Piece {
        std::size_t begin = 0;
        std::size_t end = 0;  ///< position of the ';' or the end of the text
        bool has_code = false;
    };
    std::vector<Piece> pieces;
    bool ends_in_line_comment = false;
    std::optional<detail::SqlSpan> unterminated;  ///< a string or comment never closed, if any
};

Scan scan_sql(std::string_view sql, SqlLexicon lexicon = {}) {
    Scan scan;
    Scan::Piece piece;
    const auto spans = detail::lex_sql(sql, lexicon);
    const auto ends = detail::statement_ends(sql, spans, lexicon);
    auto next_end = ends.begin();
    for (const auto& span : spans) {
        if (span.unterminated) scan.unterminated = span;
        switch (span.kind) {
        case detail::SqlSpanKind::line_comment:
        case detail::SqlSpanKind::block_comment: break;
        case detail::SqlSpanKind::code:
            for (auto i = span.begin; i < span.end; ++i) {
                if (next_end != ends.end() && i == *next_end) {
                    ++next_end;
                    piece.end = i;
                    scan.pieces.push_back(piece);
                    piece = {i + 1, i + 1, false};
                } else if (!is_space(sql[i])) {
                    piece.has_code = true;
                }
            }
            break;
        case detail::SqlSpanKind::string:
        case detail::SqlSpanKind::quoted_identifier:
        case detail::SqlSpanKind::dollar_quoted: piece.has_code = true; break;
        }
    }
    piece.end = sql.size();
    scan.pieces.push_back(piece);
    scan.ends_in_line_comment = !spans.empty() && spans.back().kind == detail::SqlSpanKind::line_comment;
    return scan;
}

// ---------------------------------------------------------------------------------------
// Reading a file.

[[noreturn]] void fail_at(const fs::path& path, std::size_t line, std::string_view problem) {
    throw MigrationError(fmt::format("alchemy: {}:{}: {}", path.string(), line, problem));
}

/// 1 to 32 letters, digits or underscores: fits the version table's VARCHAR(32) and can
/// be written into SQL as a plain literal. The words the commands reserve are refused.
bool valid_revision_id(std::string_view id) {
    if (id.empty() || id.size() > 32) return false;
    if (id == "head" || id == "heads" || id == "base" || id == "none") return false;
    return std::all_of(id.begin(), id.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; });
}

std::vector<std::string> read_lines(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw MigrationError(fmt::format("alchemy: cannot read revision file {}", path.string()));
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();  // files edited on Windows
        lines.push_back(std::move(line));
    }
    return lines;
}

std::string join_section(const std::vector<std::string>& lines, std::size_t begin, std::size_t end) {
    std::string text;
    for (auto i = begin; i < end; ++i) {
        text += lines[i];
        text += '\n';
    }
    return std::string(trim(text));
}

Revision parse_revision(const fs::path& path) {
    const auto lines = read_lines(path);
    if (lines.empty() || trim(lines[0]) != first_line)
        fail_at(path, 1, fmt::format("expected '{}' as the first line", first_line));

    Revision revision;
    revision.path = path;
    bool has_id = false;
    bool has_parent = false;
    std::set<std::string> seen;
    std::size_t i = 1;
    for (; i < lines.size(); ++i) {
        const auto line = trim(lines[i]);
        if (line == upgrade_marker) break;
        if (line.empty()) continue;
        const auto number = i + 1;
        if (!line.starts_with("--"))
            fail_at(path, number,
                    fmt::format("SQL before the '{}' line; the header holds only '-- field: value' lines",
                                upgrade_marker));
        const auto body = trim(line.substr(2));
        const auto colon = body.find(':');
        if (colon == std::string_view::npos)
            fail_at(path, number, fmt::format("expected '-- field: value' in the header, found '{}'", line));
        const auto key = std::string(trim(body.substr(0, colon)));
        const auto value = std::string(trim(body.substr(colon + 1)));
        // The --sql script writes the message into a "--" comment, which a carriage
        // return would end: what follows it would run.
        if (std::ranges::any_of(line, [](char c) { return (c >= 0 && c < ' ' && c != '\t') || c == 0x7f; }))
            fail_at(path, number,
                    "the header holds a control character (such as a carriage return); take it out");
        if (key != "note" && !seen.insert(key).second)
            fail_at(path, number, fmt::format("the header names '{}' twice", key));
        if (key == "revision") {
            if (!valid_revision_id(value))
                fail_at(
                    path, number,
                    fmt::format("'{}' is not a revision id (1 to 32 letters, digits or underscores)", value));
            revision.id = value;
            has_id = true;
        } else if (key == "down_revision") {
            if (value != "none" && !valid_revision_id(value))
                fail_at(path, number, fmt::format("'{}' is not a revision id or 'none'", value));
            if (value != "none") revision.down_revision = value;
            has_parent = true;
        } else if (key == "message") {
            revision.message = value;
        } else if (key == "created") {
            revision.created = value;
        } else if (key != "note") {
            fail_at(path, number,
                    fmt::format("unknown header field '{}' (expected revision, down_revision, message, "
                                "created or note)",
                                key));
        }
    }
    if (i == lines.size())
        fail_at(path, lines.size(), fmt::format("no '{}' line after the header", upgrade_marker));
    if (!has_id) fail_at(path, i + 1, "the header has no '-- revision: <id>' line");
    if (!has_parent) fail_at(path, i + 1, "the header has no '-- down_revision: <id>|none' line");

    const auto upgrade_begin = i + 1;
    auto downgrade_line = upgrade_begin;
    while (downgrade_line < lines.size() && trim(lines[downgrade_line]) != downgrade_marker) ++downgrade_line;
    if (downgrade_line == lines.size())
        fail_at(path, lines.size(), fmt::format("no '{}' line after '{}'", downgrade_marker, upgrade_marker));
    revision.upgrade = join_section(lines, upgrade_begin, downgrade_line);
    revision.downgrade = join_section(lines, downgrade_line + 1, lines.size());
    return revision;
}

// ---------------------------------------------------------------------------------------
// Checking the chain.

std::string describe(const Revision& revision) {
    return fmt::format("{} ({})", revision.id, revision.path.string());
}

std::string describe_all(const std::vector<const Revision*>& revisions) {
    std::string text;
    for (std::size_t k = 0; k < revisions.size(); ++k) {
        if (k > 0) text += k + 1 == revisions.size() ? " and " : ", ";
        text += describe(*revisions[k]);
    }
    return text;
}

std::vector<Revision> order_chain(std::vector<Revision> revisions, const fs::path& dir) {
    std::map<std::string, const Revision*> by_id;
    for (const auto& revision : revisions) {
        const auto [it, inserted] = by_id.emplace(revision.id, &revision);
        if (!inserted)
            throw MigrationError(fmt::format("alchemy: two files have revision id {}: {} and {}", revision.id,
                                             it->second->path.string(), revision.path.string()));
    }
    std::map<std::string, std::vector<const Revision*>> children;
    for (const auto& revision : revisions) {
        if (!revision.down_revision) continue;
        if (!by_id.contains(*revision.down_revision))
            throw MigrationError(
                fmt::format("alchemy: {} names down_revision {}, but no file in {} has that revision",
                            revision.path.string(), *revision.down_revision, dir.string()));
        children[*revision.down_revision].push_back(&revision);
    }

    std::vector<const Revision*> heads;
    for (const auto& revision : revisions)
        if (!children.contains(revision.id)) heads.push_back(&revision);
    if (heads.size() > 1)
        throw MigrationError(
            fmt::format("alchemy: the revisions in {} have {} heads: {}; every revision must have its own "
                        "down_revision, so that they form one line (set one head's down_revision to the "
                        "other)",
                        dir.string(), heads.size(), describe_all(heads)));

    // With one head and every parent present, walking down from the head must reach a
    // base and visit every revision; otherwise some revisions point at each other.
    std::vector<Revision> chain;
    std::set<std::string> visited;
    const Revision* cycle_member = nullptr;
    for (const Revision* at = heads.empty() ? nullptr : heads.front(); at;) {
        if (!visited.insert(at->id).second) {
            cycle_member = at;
            break;
        }
        chain.push_back(*at);
        at = at->down_revision ? by_id.at(*at->down_revision) : nullptr;
    }
    if (!cycle_member && chain.size() < revisions.size())
        for (const auto& revision : revisions)
            if (!visited.contains(revision.id)) {
                cycle_member = &revision;
                break;
            }
    if (cycle_member) {
        // Walk the parents from one member until it repeats: that is the cycle.
        std::vector<const Revision*> cycle;
        std::set<std::string> on_path;
        const Revision* at = cycle_member;
        while (on_path.insert(at->id).second) {
            cycle.push_back(at);
            at = by_id.at(*at->down_revision);
        }
        cycle.erase(cycle.begin(), std::find(cycle.begin(), cycle.end(), at));
        throw MigrationError(
            fmt::format("alchemy: the down_revisions of {} form a cycle", describe_all(cycle)));
    }
    std::reverse(chain.begin(), chain.end());
    return chain;
}

// ---------------------------------------------------------------------------------------
// Writing a file.

std::string new_revision_id(const fs::path& dir) {
    static thread_local std::mt19937_64 generator{std::random_device{}()};
    for (;;) {
        auto id = fmt::format("{:012x}", generator() & 0xffff'ffff'ffffULL);
        bool taken = false;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(dir, ec))
            if (entry.path().filename().string().starts_with(id)) taken = true;
        if (!taken) return id;
    }
}

/// Lower-case words joined by '_', at most 40 characters: readable in a directory listing.
std::string slug(std::string_view message) {
    std::string out;
    for (char c : message) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else if (!out.empty() && out.back() != '_') {
            out += '_';
        }
    }
    if (out.size() > 40) out.resize(40);
    while (!out.empty() && out.back() == '_') out.pop_back();
    return out;
}

std::string one_line(std::string_view text) {
    std::string out;
    for (char c : text) out += c == '\n' || c == '\r' ? ' ' : c;
    return std::string(trim(out));
}

std::string utc_now() {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

bool only_comments(std::string_view text) {
    const auto scan = scan_sql(text);
    return std::none_of(scan.pieces.begin(), scan.pieces.end(),
                        [](const Scan::Piece& piece) { return piece.has_code; });
}

void append_section(std::string& out, const std::vector<std::string>& statements) {
    for (const auto& element : statements) {
        const auto statement = trim(element);
        if (statement.empty()) continue;
        out += statement;
        if (!only_comments(statement) && !statement.ends_with(';'))
            // A ';' after a trailing "-- comment" would be part of the comment.
            out += scan_sql(statement).ends_in_line_comment ? "\n;" : ";";
        out += '\n';
    }
}

}  // namespace

std::vector<std::string> split_statements(std::string_view sql, SqlLexicon lexicon) {
    const auto scan = scan_sql(sql, lexicon);
    if (const auto& open = scan.unterminated) {
        // Whatever follows it would be part of it: statements left out without a word.
        const auto what = open->kind == detail::SqlSpanKind::block_comment ? std::string("a comment ('/*')")
                          : open->kind == detail::SqlSpanKind::string      ? std::string("a string (')")
                          : open->kind == detail::SqlSpanKind::quoted_identifier
                              ? fmt::format("a quoted name ({})", sql[open->begin])  // ", ` or [
                              : std::string("a dollar quote ($)");
        const auto start = sql.substr(open->begin, std::min<std::size_t>(40, open->end - open->begin));
        throw MigrationError(
            fmt::format("alchemy: {} that begins \"{}\" is never closed, so everything after "
                        "it would be taken for part of it; close it",
                        what, one_line(start)));
    }
    std::vector<std::string> statements;
    for (const auto& piece : scan.pieces)
        if (piece.has_code) statements.emplace_back(trim(sql.substr(piece.begin, piece.end - piece.begin)));
    return statements;
}

std::vector<Revision> load_revisions(const fs::path& versions_dir) {
    std::error_code ec;
    if (!fs::is_directory(versions_dir, ec))
        throw MigrationError(
            fmt::format("alchemy: there is no directory {} for the revision files; run `init DIR` first",
                        versions_dir.string()));
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(versions_dir))
        if (entry.is_regular_file() && entry.path().extension() == ".sql") files.push_back(entry.path());
    // Directory order differs between file systems; sorting makes every error repeatable.
    std::sort(files.begin(), files.end());
    std::vector<Revision> revisions;
    revisions.reserve(files.size());
    for (const auto& file : files) revisions.push_back(parse_revision(file));
    return order_chain(std::move(revisions), versions_dir);
}

Revision write_revision(const fs::path& versions_dir, std::string message,
                        std::optional<std::string> down_revision, const std::vector<std::string>& upgrade,
                        const std::vector<std::string>& downgrade,
                        const std::vector<std::string>& header_notes) {
    std::error_code ec;
    if (!fs::is_directory(versions_dir, ec))
        throw MigrationError(
            fmt::format("alchemy: there is no directory {} for the revision files; run `init DIR` first",
                        versions_dir.string()));
    if (down_revision && !valid_revision_id(*down_revision))
        throw MigrationError(
            fmt::format("alchemy: '{}' is not a revision id to write as down_revision", *down_revision));

    const auto id = new_revision_id(versions_dir);
    message = one_line(message);
    std::string text =
        fmt::format("{}\n-- revision: {}\n-- down_revision: {}\n-- message: {}\n-- created: {}\n", first_line,
                    id, down_revision.value_or("none"), message, utc_now());
    for (const auto& note : header_notes) text += fmt::format("-- note: {}\n", one_line(note));
    text += fmt::format("\n{}\n", upgrade_marker);
    append_section(text, upgrade);
    text += fmt::format("\n{}\n", downgrade_marker);
    append_section(text, downgrade);

    const auto name = slug(message);
    const auto path = versions_dir / (name.empty() ? id + ".sql" : fmt::format("{}_{}.sql", id, name));
    // Written under another name, then renamed: an interrupted write never leaves a
    // half file that would break the chain.
    auto partial = path;
    partial += ".partial";
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        out << text;
        out.close();
        if (!out) throw MigrationError(fmt::format("alchemy: cannot write revision file {}", path.string()));
    }
    fs::rename(partial, path);
    return parse_revision(path);
}

}  // namespace alchemy::migrate
