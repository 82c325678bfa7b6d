// make_url() and URL rendering: SQLAlchemy's URL grammar with percent-decoding, and
// error messages that name the bad part without ever showing a password.
//
// Where this parser and SQLAlchemy's make_url() differ, on purpose:
// - The userinfo ends at the LAST '@' before the first '/' or '?', so "u:p@ss@host" reads
//   as password "p@ss"; SQLAlchemy ends the password at the first '@' and would take
//   "ss@host" as the host name.
// - Host and database are percent-decoded too (SQLAlchemy decodes only user and password),
//   so a literal '%' in a SQLite file name is written %25.
// - A repeated query key keeps all its values joined by ',' (SQLAlchemy collects a list),
//   the list form libpq reads for host and port, so a multi-host URL
//   "?host=a:5432&host=b:5432" reaches the driver whole; a key with an empty value is
//   kept as "" (SQLAlchemy drops it); an item without '=' is an error (SQLAlchemy drops
//   it silently).
// - '/' and '?' inside a user name or password must be percent-encoded, as RFC 3986 asks.
//   A URL where an '@' after the host could be the end of such a password is rejected
//   rather than guessed at, because guessing wrong would print the password in logs.
// As in SQLAlchemy, '+' in the query means a space (Python's parse_qsl), while '+' in the
// other parts is a literal '+'.
#include "alchemy/core/url.hpp"

#include "alchemy/core/error.hpp"
#include "core/ascii.hpp"
#include "core/printable.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alchemy {
namespace {

constexpr auto npos = std::string_view::npos;

constexpr std::string_view url_form =
    "dialect[+driver]://[user[:password]@][host][:port][/database][?key=value&...]";

bool is_ascii_alnum(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// RFC 3986 "unreserved": the only characters rendering never encodes.
bool is_unreserved(char c) noexcept {
    return is_ascii_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool is_space_or_control(char c) noexcept {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7F;
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_encode(std::string_view text, std::string_view also_safe) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (is_unreserved(c) || also_safe.find(c) != npos) out += c;
        else out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
    return out;
}

// Names a character for a message; control characters and non-ASCII bytes are spelled
// out so a message never carries raw terminal control codes.
std::string describe_char(char c) {
    switch (c) {
    case ' ': return "a space";
    case '\t': return "a tab";
    case '\n': return "a line break";
    case '\r': return "a carriage return";
    default: break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) return fmt::format("the control character 0x{:02X}", byte);
    if (byte >= 0x80) return fmt::format("the byte 0x{:02X}", byte);
    return fmt::format("'{}'", c);
}

// Percent-decodes `raw` into `out` up to the first malformed escape; returns that escape's
// position, or npos when all of `raw` was decoded.
std::size_t percent_decode(std::string_view raw, bool plus_is_space, std::string& out) {
    out.reserve(out.size() + raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '+' && plus_is_space) {
            out += ' ';
            continue;
        }
        if (raw[i] != '%') {
            out += raw[i];
            continue;
        }
        const int high = i + 1 < raw.size() ? hex_value(raw[i + 1]) : -1;
        const int low = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
        if (high < 0 || low < 0) return i;
        out += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return npos;
}

// libpq takes secrets in the query too ("?password=..."); their values are masked wherever
// the user password is. Any letter case counts: masking a key libpq would refuse costs
// nothing.
bool is_secret_query_key(std::string_view key) noexcept {
    constexpr std::string_view secret_keys[] = {"password", "sslpassword"};
    for (const auto secret : secret_keys)
        if (detail::equals_ignoring_ascii_case(key, secret)) return true;
    return false;
}

struct Span {
    std::size_t begin;
    std::size_t end;  ///< one past the last byte
};

// Where a user password may sit in text that failed to parse, which cannot trust the
// parse: from the first ':' after "://" to the last '@' anywhere. A password may hold an
// unencoded '@' followed by '/' or '?', so that '@' may come after what looks like the
// host; hiding more than the password is better than showing part of it.
std::optional<Span> userinfo_password_span(std::string_view text) {
    const auto at = text.rfind('@');
    if (at == npos) return std::nullopt;
    const auto scheme_end = text.find("://");
    // The "://" found may sit after the '@', e.g. in the query.
    const std::size_t start = scheme_end == npos || scheme_end > at ? 0 : scheme_end + 3;
    const auto colon = text.find(':', start);
    if (colon == npos || colon > at) return std::nullopt;
    return Span{colon + 1, at};
}

// The values of secret query items in text that failed to parse. An item may start after
// any '?' or '&', and its value runs to the next '&' as the parser reads it.
std::vector<Span> secret_query_value_spans(std::string_view text) {
    std::vector<Span> spans;
    for (auto separator = text.find_first_of("?&"); separator != npos;
         separator = text.find_first_of("?&", separator + 1)) {
        const auto item_end = std::min(text.find('&', separator + 1), text.size());
        const auto equals = text.find('=', separator + 1);
        if (equals >= item_end) continue;
        std::string key;
        const auto raw_key = text.substr(separator + 1, equals - separator - 1);
        if (percent_decode(raw_key, true, key) != npos || !is_secret_query_key(key)) continue;
        // An '&' left unencoded in a password splits it: the items after it that hold no
        // '=' are the rest of the password.
        auto end = item_end;
        while (end < text.size()) {
            const auto next_end = std::min(text.find('&', end + 1), text.size());
            if (text.substr(end + 1, next_end - end - 1).find('=') != npos) break;
            end = next_end;
        }
        spans.push_back({equals + 1, end});
    }
    return spans;
}

// The raw text as an error message may show it: passwords as "***", control characters
// escaped.
std::string mask_for_message(std::string_view text) {
    auto hidden = secret_query_value_spans(text);
    if (const auto password = userinfo_password_span(text)) hidden.push_back(*password);
    std::sort(hidden.begin(), hidden.end(), [](Span a, Span b) { return a.begin < b.begin; });
    std::string out;
    std::size_t shown_from = 0;
    for (std::size_t i = 0; i < hidden.size();) {
        // Overlapping or touching spans show as one "***".
        Span merged = hidden[i];
        for (++i; i < hidden.size() && hidden[i].begin <= merged.end; ++i)
            merged.end = std::max(merged.end, hidden[i].end);
        detail::append_printable(out, text.substr(shown_from, merged.begin - shown_from));
        out += "***";
        shown_from = merged.end;
    }
    detail::append_printable(out, text.substr(shown_from));
    return out;
}

// How one component is decoded and named in messages.
struct Part {
    std::string_view name;
    bool secret;         ///< never quote its text in a message
    bool plus_is_space;  ///< query keys and values, as Python's parse_qsl reads them
};

constexpr Part username_part{"user name", false, false};
constexpr Part password_part{"password", true, false};
constexpr Part host_part{"host", false, false};
constexpr Part database_part{"database name", false, false};
constexpr Part query_key_part{"query key", false, true};
constexpr Part query_value_part{"query value", false, true};
constexpr Part secret_query_value_part{"query value", true, true};

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    URL parse() {
        if (text_.empty()) fail(fmt::format("the URL is empty; expected {}", url_form));
        check_surrounding_whitespace();
        const auto separator = text_.find("://");
        if (separator == npos)
            fail(fmt::format("missing '://' after the dialect name; expected {}", url_form));
        URL url;
        url.drivername = parse_drivername(text_.substr(0, separator));
        const auto rest = text_.substr(separator + 3);
        check_inner_characters(rest, separator + 3);
        parse_rest(rest, url);
        if (url.backend() == "sqlite") check_sqlite(url);
        return url;
    }

private:
    [[noreturn]] void fail(std::string_view problem) const {
        throw ArgumentError(
            fmt::format("alchemy: invalid database URL '{}': {}", mask_for_message(text_), problem));
    }

    // Whitespace around a URL usually comes from a config file or an environment variable;
    // saying "strip it" is more useful than naming the part it happens to touch.
    void check_surrounding_whitespace() const {
        if (is_space_or_control(text_.front()))
            fail(fmt::format("the URL starts with {}; strip surrounding whitespace",
                             describe_char(text_.front())));
        if (is_space_or_control(text_.back()))
            fail(fmt::format("the URL ends with {}; strip surrounding whitespace",
                             describe_char(text_.back())));
    }

    void check_inner_characters(std::string_view rest, std::size_t offset) const {
        for (std::size_t i = 0; i < rest.size(); ++i) {
            if (!is_space_or_control(rest[i])) continue;
            fail(fmt::format("the URL contains {} at position {}; percent-encode it as %{:02X}",
                             describe_char(rest[i]), offset + i + 1, static_cast<unsigned char>(rest[i])));
        }
    }

    std::string parse_drivername(std::string_view scheme) const {
        if (scheme.empty())
            fail("the dialect name before '://' is missing; write e.g. postgresql:// or sqlite://");
        // The scheme may hold the whole URL when "://" only appears later (in the query),
        // so it is quoted through the same mask as the URL itself.
        const auto shown = mask_for_message(scheme);
        for (char c : scheme) {
            if (is_ascii_alnum(c) || c == '_' || c == '+') continue;
            fail(
                fmt::format("the dialect name '{}' contains {}; use only letters, digits and "
                            "'_', with one '+' before a driver name",
                            shown, describe_char(c)));
        }
        const auto plus = scheme.find('+');
        if (plus == npos) return std::string(scheme);
        if (plus == 0)
            fail(
                fmt::format("the dialect name before '+' is missing in '{}'; expected "
                            "dialect+driver, e.g. postgresql+psycopg2",
                            shown));
        if (scheme.find('+', plus + 1) != npos)
            fail(
                fmt::format("the dialect name '{}' has more than one '+'; expected "
                            "dialect+driver",
                            shown));
        if (plus + 1 == scheme.size())
            fail(
                fmt::format("the driver name after '+' is empty in '{}'; write {} or name "
                            "a driver after the '+'",
                            shown, scheme.substr(0, plus)));
        return std::string(scheme);
    }

    void parse_rest(std::string_view rest, URL& url) const {
        const auto authority_end = rest.find_first_of("/?");
        const auto authority = rest.substr(0, authority_end);
        const auto tail = authority_end == npos ? std::string_view{} : rest.substr(authority_end);

        // After a ':' (a password's or a port's), an '@' past the host may end a password
        // that holds '/' or '?': taking the text between for the host would connect to a
        // host named by part of the password, and print that part.
        if (const auto tail_at = tail.rfind('@');
            tail_at != npos && rest.substr(0, authority.size() + tail_at).find(':') != npos)
            fail(
                "an '@' after the host is ambiguous: if it ends a user name and password, "
                "percent-encode '@' as %40, '/' as %2F and '?' as %3F in them; if it belongs to "
                "the database name or a query value, write it as %40");
        auto host_port = authority;
        if (const auto at = authority.rfind('@'); at != npos) {
            parse_userinfo(authority.substr(0, at), url);
            host_port = authority.substr(at + 1);
        }
        parse_host_port(host_port, url);

        if (tail.empty()) return;
        const auto question = tail.find('?');
        if (tail.front() == '/') url.database = decode(tail.substr(1, question - 1), database_part);
        if (question != npos) parse_query(tail.substr(question + 1), url);
    }

    void parse_userinfo(std::string_view userinfo, URL& url) const {
        // A user name cannot hold a raw ':', so the first one starts the password and the
        // password itself may contain more.
        const auto colon = userinfo.find(':');
        url.username = decode(userinfo.substr(0, colon), username_part);
        if (colon != npos) url.password = decode(userinfo.substr(colon + 1), password_part);
    }

    void parse_host_port(std::string_view host_port, URL& url) const {
        if (!host_port.empty() && host_port.front() == '[') {
            const auto close = host_port.find(']');
            if (close == npos)
                fail(
                    "the IPv6 address starting with '[' has no closing ']'; write it as "
                    "[address], e.g. [::1]");
            if (close == 1) fail("the IPv6 address between '[' and ']' is empty");
            url.host = decode(host_port.substr(1, close - 1), host_part);
            const auto after = host_port.substr(close + 1);
            if (after.empty()) return;
            if (after.front() != ':')
                fail(
                    fmt::format("unexpected '{}' after the IPv6 address; only ':port' may "
                                "follow ']'",
                                after));
            url.port = parse_port(after.substr(1));
            return;
        }
        const auto colon = host_port.find(':');
        const auto host = host_port.substr(0, colon);
        if (host.find_first_of("[]") != npos)
            fail(
                fmt::format("the host '{}' contains '[' or ']'; write an IPv6 address as "
                            "[address], e.g. [::1]:5432",
                            host));
        url.host = decode(host, host_part);
        if (colon != npos) url.port = parse_port(host_port.substr(colon + 1));
    }

    std::uint16_t parse_port(std::string_view text) const {
        if (text.empty()) fail("the port after ':' is empty; give a port number or remove the ':'");
        unsigned long value = 0;
        for (char c : text) {
            if (!is_digit(c)) fail(fmt::format("the port '{}' is not a number; expected 1 to 65535", text));
            // Saturate instead of overflowing on absurdly long digit strings.
            if (value <= 65535) value = value * 10 + static_cast<unsigned long>(c - '0');
        }
        if (value == 0 || value > 65535)
            fail(fmt::format("the port {} is out of range; expected 1 to 65535", text));
        return static_cast<std::uint16_t>(value);
    }

    void parse_query(std::string_view query, URL& url) const {
        std::size_t start = 0;
        bool after_secret = false;  // the last item with a '=' had a password's key
        while (start <= query.size()) {
            const auto end = query.find('&', start);
            const auto item = query.substr(start, end - start);
            // Empty items ("a=1&&b=2", a trailing '&') carry nothing; parse_qsl skips them too.
            if (!item.empty()) after_secret = parse_query_item(item, url, after_secret);
            if (end == npos) break;
            start = end + 1;
        }
    }

    /// Returns whether the value is a secret, or the item may be the rest of one.
    bool parse_query_item(std::string_view item, URL& url, bool after_secret) const {
        const auto equals = item.find('=');
        if (equals == npos && after_secret)
            // Perhaps the rest of a password that holds an '&': not to be quoted.
            fail(
                "a query item after a password has no '='; write key=value, and a '&' in the password as "
                "%26");
        if (equals == npos) fail(fmt::format("the query item '{}' has no '='; write key=value", item));
        if (equals == 0) fail(fmt::format("the query item '{}' has an empty key; write key=value", item));
        auto key = decode(item.substr(0, equals), query_key_part);
        const bool secret = is_secret_query_key(key);
        auto value = decode(item.substr(equals + 1), secret ? secret_query_value_part : query_value_part);
        const auto [it, added] = url.query.try_emplace(std::move(key), value);
        if (!added) it->second += ',' + value;
        return secret;
    }

    std::string decode(std::string_view raw, const Part& part) const {
        std::string out;
        if (const auto bad = percent_decode(raw, part.plus_is_space, out); bad != npos)
            bad_escape(raw.substr(bad, 3), part);
        if (out.find('\0') != npos)
            fail(
                fmt::format("the {} contains %00, a NUL character, which no database "
                            "accepts in a connection parameter",
                            part.name));
        return out;
    }

    [[noreturn]] void bad_escape(std::string_view escape, const Part& part) const {
        const bool truncated = escape.size() < 3;
        if (part.secret)
            fail(
                fmt::format("the {} contains {} percent escape; '%' must be followed by two "
                            "hex digits (write a literal '%' as %25)",
                            part.name, truncated ? "an incomplete" : "a bad"));
        fail(
            fmt::format("the {} contains {} percent escape '{}'; '%' must be followed by two "
                        "hex digits (write a literal '%' as %25)",
                        part.name, truncated ? "an incomplete" : "a bad", escape));
    }

    void check_sqlite(const URL& url) const {
        constexpr std::string_view forms =
            "write sqlite:///relative.db, sqlite:////absolute/path.db, or sqlite:// for an "
            "in-memory database";
        if (!url.username.empty() || url.password)
            fail(fmt::format("SQLite URLs take no user name or password; {}", forms));
        if (!url.host.empty())
            fail(
                fmt::format("SQLite URLs take no host, got '{}' (a file path needs three "
                            "slashes after 'sqlite:'); {}",
                            detail::printable(url.host), forms));
        if (url.port) fail(fmt::format("SQLite URLs take no port; {}", forms));
    }

    std::string_view text_;
};

std::string render(const URL& url, bool hide_password) {
    std::string out = url.drivername + "://";
    if (!url.username.empty() || url.password) {
        out += percent_encode(url.username, "");
        if (url.password) {
            out += ':';
            out += hide_password ? "***" : percent_encode(*url.password, "");
        }
        out += '@';
    }
    if (url.host.find(':') != std::string::npos) out += '[' + percent_encode(url.host, ":") + ']';
    else out += percent_encode(url.host, "");
    if (url.port) out += fmt::format(":{}", *url.port);
    // '/' and ':' stay readable in paths (sqlite:////abs/path.db, sqlite:///:memory:);
    // '@' is encoded so the rendered URL never looks like it carries a second userinfo.
    if (!url.database.empty()) out += '/' + percent_encode(url.database, "/:");
    char separator = '?';
    for (const auto& [key, value] : url.query) {
        out += separator;
        out += percent_encode(key, "");
        out += '=';
        out += hide_password && is_secret_query_key(key) ? "***" : percent_encode(value, "");
        separator = '&';
    }
    return out;
}

}  // namespace

std::string_view URL::backend() const noexcept {
    const std::string_view name = drivername;
    return name.substr(0, name.find('+'));
}

std::string_view URL::driver() const noexcept {
    const std::string_view name = drivername;
    const auto plus = name.find('+');
    return plus == npos ? std::string_view{} : name.substr(plus + 1);
}

std::string URL::to_string() const { return render(*this, true); }

std::string URL::render_with_password() const { return render(*this, false); }

URL make_url(std::string_view text) { return Parser(text).parse(); }

}  // namespace alchemy
