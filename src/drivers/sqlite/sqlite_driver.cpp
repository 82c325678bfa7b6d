// The SQLite Driver: turns a URL and connect options into an open SqliteConnection.
#include "alchemy/core/error.hpp"
#include "core/printable.hpp"
#include "drivers/drivers.hpp"
#include "drivers/sqlite/sqlite_connection.hpp"
#include "drivers/sqlite/sqlite_dialect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>

namespace alchemy::detail {
namespace {

using sqlite::SqliteConnection;
using sqlite::SqliteDialect;

// Options read from the URL query and connect_args (Python's sqlite3 names, and the
// pragmas' own); the rest are ignored, or with uri=true passed on to SQLite in the file URI.
constexpr std::string_view timeout_option = "timeout";
constexpr std::string_view busy_timeout_option = "busy_timeout";
constexpr std::string_view cached_statements_option = "cached_statements";
constexpr std::string_view uri_option = "uri";
constexpr std::string_view mode_option = "mode";
constexpr std::string_view journal_mode_option = "journal_mode";
constexpr std::string_view synchronous_option = "synchronous";
constexpr std::string_view foreign_keys_option = "foreign_keys";
constexpr std::string_view begin_option = "begin";

constexpr std::array driver_options{timeout_option,      busy_timeout_option, cached_statements_option,
                                    uri_option,          journal_mode_option, synchronous_option,
                                    foreign_keys_option, begin_option};

// Pragma values are spliced into the PRAGMA statement (pragmas take no parameters), so
// only these words ever get there.
constexpr std::array<std::string_view, 6> journal_modes{"delete", "truncate", "persist",
                                                        "memory", "wal",      "off"};
constexpr std::array<std::string_view, 4> synchronous_levels{"off", "normal", "full", "extra"};
constexpr std::array<std::string_view, 3> begin_modes{"deferred", "immediate", "exclusive"};

struct OpenSettings {
    int busy_timeout_ms = 5000;
    std::size_t statement_capacity = 256;
    bool uri = false;
    int open_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    bool foreign_keys = true;
    std::string_view journal_mode;  ///< empty: the database's own
    std::string_view synchronous;   ///< empty: SQLite's default
    std::string begin = "BEGIN";    ///< what begins each transaction
};

const std::string* find_option(const ConnectOptions& options, std::string_view name) {
    const auto found = options.args.find(std::string(name));
    return found == options.args.end() ? nullptr : &found->second;
}

[[noreturn]] void raise_bad_option(std::string_view name, std::string_view value, std::string_view expected) {
    throw ArgumentError(fmt::format("alchemy: SQLite option {}='{}' is invalid; expected {}", name,
                                    printable(value), expected));
}

int parse_timeout_ms(std::string_view text) {
    double seconds = 0;
    const auto [stop, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error != std::errc{} || stop != text.data() + text.size() || !(seconds >= 0) ||
        !std::isfinite(seconds))
        raise_bad_option(timeout_option, text, "a number of seconds such as 5 or 0.5");
    const double millis = std::round(seconds * 1000);
    constexpr int longest = std::numeric_limits<int>::max();
    return millis >= longest ? longest : static_cast<int>(millis);
}

std::size_t parse_count(std::string_view name, std::string_view text) {
    std::size_t count = 0;
    const auto [stop, error] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (error != std::errc{} || stop != text.data() + text.size())
        raise_bad_option(name, text, "a whole number");
    return count;
}

bool parse_flag(std::string_view name, std::string_view text) {
    if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "0" || text == "no" || text == "off") return false;
    raise_bad_option(name, text, "true or false");
}

// One of `allowed`, compared case-insensitively; returns the entry itself.
template <std::size_t N>
std::string_view parse_keyword(std::string_view name, std::string_view text,
                               const std::array<std::string_view, N>& allowed) {
    for (const auto word : allowed)
        if (std::equal(word.begin(), word.end(), text.begin(), text.end(),
                       [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); }))
            return word;
    std::string expected;
    for (std::size_t i = 0; i < N; ++i)
        expected += fmt::format("{}{}", i == 0 ? "" : i + 1 == N ? " or " : ", ", allowed[i]);
    raise_bad_option(name, text, expected);
}

int open_flags_for_mode(std::string_view mode) {
    if (mode == "ro") return SQLITE_OPEN_READONLY;
    if (mode == "rw") return SQLITE_OPEN_READWRITE;
    if (mode == "rwc") return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    raise_bad_option(mode_option, mode, "ro, rw or rwc");
}

OpenSettings read_settings(const ConnectOptions& options) {
    OpenSettings settings;
    const auto* timeout = find_option(options, timeout_option);
    const auto* busy_timeout = find_option(options, busy_timeout_option);
    if (timeout && busy_timeout)
        throw ArgumentError(
            "alchemy: SQLite options timeout (seconds) and busy_timeout "
            "(milliseconds) set the same wait; give only one");
    if (timeout) settings.busy_timeout_ms = parse_timeout_ms(*timeout);
    if (busy_timeout) {
        const auto millis = parse_count(busy_timeout_option, *busy_timeout);
        constexpr auto longest = static_cast<std::size_t>(std::numeric_limits<int>::max());
        settings.busy_timeout_ms = static_cast<int>(std::min(millis, longest));
    }
    if (const auto* value = find_option(options, foreign_keys_option))
        settings.foreign_keys = parse_flag(foreign_keys_option, *value);
    if (const auto* value = find_option(options, journal_mode_option))
        settings.journal_mode = parse_keyword(journal_mode_option, *value, journal_modes);
    if (const auto* value = find_option(options, synchronous_option))
        settings.synchronous = parse_keyword(synchronous_option, *value, synchronous_levels);
    if (const auto* value = find_option(options, begin_option))
        settings.begin = fmt::format("BEGIN {}", parse_keyword(begin_option, *value, begin_modes));
    if (const auto* capacity = find_option(options, cached_statements_option))
        settings.statement_capacity = parse_count(cached_statements_option, *capacity);
    if (const auto* uri = find_option(options, uri_option)) settings.uri = parse_flag(uri_option, *uri);
    // In a file URI, SQLite reads mode (and its other parameters) itself.
    if (const auto* mode = find_option(options, mode_option); mode && !settings.uri)
        settings.open_flags = open_flags_for_mode(*mode);
    return settings;
}

void append_percent_encoded(std::string& out, std::string_view text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') out += c;
        else out += fmt::format("%{:02X}", byte);
    }
}

// Like SQLAlchemy: with uri=true the path is a "file:" URI, and the URL's own query
// options other than the driver's become the URI's query (mode=ro, cache=shared, ...).
std::string filename_for(const URL& url, bool uri) {
    std::string filename = url.database.empty() ? ":memory:" : url.database;
    if (!uri) return filename;
    char separator = filename.find('?') == std::string::npos ? '?' : '&';
    for (const auto& [key, value] : url.query) {
        if (std::find(driver_options.begin(), driver_options.end(), key) != driver_options.end()) continue;
        filename += separator;
        append_percent_encoded(filename, key);
        filename += '=';
        append_percent_encoded(filename, value);
        separator = '&';
    }
    return filename;
}

// One part of a file: URI (its path, a query key or a value) as SQLite's URI parser reads
// it, after splitting the URI: each %HH is the byte it encodes, a '%' without two hex
// digits stands for itself, and %00 ends the part.
std::string decode_uri_part(std::string_view part) {
    std::string decoded;
    for (std::size_t i = 0; i < part.size(); ++i) {
        const auto is_hex = [&](std::size_t at) {
            return at < part.size() && std::isxdigit(static_cast<unsigned char>(part[at])) != 0;
        };
        if (part[i] != '%' || !is_hex(i + 1) || !is_hex(i + 2)) {
            decoded += part[i];
            continue;
        }
        unsigned byte = 0;
        std::from_chars(part.data() + i + 1, part.data() + i + 3, byte, 16);
        if (byte == 0) break;
        decoded += static_cast<char>(byte);
        i += 2;
    }
    return decoded;
}

// Whether each connection that opens `filename` gets a database of its own: ":memory:",
// and a file: URI naming ":memory:", or with mode=memory or vfs=memdb, unless cache=shared
// (or a memdb name starting with '/') shares it among the process's connections, each
// compared percent-decoded as SQLite compares it; and a file: URI with an empty path, a
// temporary database that SQLite never shares. A "file:" name counts as a URI even
// without uri=true, as builds with SQLITE_USE_URI (Debian's) open it; taking a file for
// memory only costs the pool its concurrency.
bool private_memory_database(std::string_view filename) {
    if (filename == ":memory:") return true;
    constexpr std::string_view scheme = "file:";
    if (!filename.starts_with(scheme)) return false;
    auto rest = filename.substr(scheme.size());
    rest = rest.substr(0, rest.find('#'));
    const auto question = rest.find('?');
    auto encoded_path = rest.substr(0, question);
    auto query = question == std::string_view::npos ? std::string_view{} : rest.substr(question + 1);
    if (encoded_path.starts_with("//"))  // authority
        encoded_path.remove_prefix(std::min(encoded_path.find('/', 2), encoded_path.size()));
    const auto path = decode_uri_part(encoded_path);
    if (path.empty()) return true;
    // SQLite reads the items in order: a later one wins.
    bool mode_memory = false, memdb = false, shared_cache = false;
    while (!query.empty()) {
        const auto item = query.substr(0, query.find('&'));
        query.remove_prefix(std::min(item.size() + 1, query.size()));
        const auto equals = item.find('=');
        if (equals == std::string_view::npos) continue;
        const auto key = decode_uri_part(item.substr(0, equals));
        const auto value = decode_uri_part(item.substr(equals + 1));
        if (key == "mode") mode_memory = value == "memory";
        else if (key == "vfs") memdb = value == "memdb";
        else if (key == "cache") shared_cache = value == "shared";
    }
    const bool memory = path == ":memory:" || mode_memory || memdb;
    const bool shared = shared_cache || (memdb && path.starts_with('/'));
    return memory && !shared;
}

struct CloseDatabase {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};

class SqliteDriver final : public Driver {
public:
    const Dialect& dialect() const noexcept override { return dialect_; }

    bool database_per_connection(const URL& url, const ConnectOptions& options) const noexcept override {
        bool uri = false;
        if (const auto* flag = find_option(options, uri_option)) try {
                uri = parse_flag(uri_option, *flag);
            } catch (const ArgumentError&) {
                // connect() reports it
            }
        return private_memory_database(filename_for(url, uri));
    }

    std::unique_ptr<DriverConnection> connect(const URL& url, const ConnectOptions& options) const override {
        const OpenSettings settings = read_settings(options);
        const std::string filename = filename_for(url, settings.uri);
        // A connection serves one thread at a time (the pool hands it over whole), so
        // SQLite's per-connection mutex would only cost time.
        const int flags = settings.open_flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
                          (settings.uri ? SQLITE_OPEN_URI : 0);
        sqlite3* raw = nullptr;
        const int code = sqlite3_open_v2(filename.c_str(), &raw, flags, nullptr);
        std::unique_ptr<sqlite3, CloseDatabase> db(raw);
        // The message names the path, not `filename`: with uri=true that carries the URL's
        // query, whose password items the URL itself never prints.
        if (code != SQLITE_OK)
            throw_database_error("08001",
                                 fmt::format("unable to open SQLite database '{}': {}",
                                             printable(url.database.empty() ? ":memory:" : url.database),
                                             printable(raw ? sqlite3_errmsg(raw) : sqlite3_errstr(code))),
                                 "");
        sqlite3_extended_result_codes(raw, 1);
        sqlite3_busy_timeout(raw, settings.busy_timeout_ms);
        // A double-quoted name that names no column is a name, as in standard SQL, not a
        // string: SQLite's old reading would copy the text "note" into every row that a
        // migration's SELECT "note" of a missing column writes.
        sqlite3_db_config(raw, SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
        sqlite3_db_config(raw, SQLITE_DBCONFIG_DQS_DDL, 0, nullptr);
        auto connection =
            std::make_unique<SqliteConnection>(raw, settings.statement_capacity, settings.begin);
        db.release();
        // Outside any transaction, where SQLite accepts every one of them.
        if (!settings.journal_mode.empty())
            connection->execute_script(fmt::format("PRAGMA journal_mode = {}", settings.journal_mode));
        if (!settings.synchronous.empty())
            connection->execute_script(fmt::format("PRAGMA synchronous = {}", settings.synchronous));
        connection->execute_script(settings.foreign_keys ? "PRAGMA foreign_keys = ON"
                                                         : "PRAGMA foreign_keys = OFF");
        return connection;
    }

private:
    SqliteDialect dialect_;
};

}  // namespace

const Driver& sqlite_driver() {
    static const SqliteDriver driver;
    return driver;
}

}  // namespace alchemy::detail
