// The PostgreSQL backend: a Driver that opens libpq connections from a
// URL (postgresql://, postgres://, postgresql+psycopg2:// alike).
#include "alchemy/core/error.hpp"
#include "core/printable.hpp"
#include "drivers/drivers.hpp"
#include "drivers/postgresql/pg_connection.hpp"
#include "drivers/postgresql/pg_dialect.hpp"
#include "drivers/postgresql/pg_errors.hpp"
#include "drivers/postgresql/pg_handles.hpp"

#include <fmt/format.h>

#include <libpq-fe.h>

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

namespace alchemy::detail {
namespace {

/// Every keyword this libpq accepts in a connection string.
const std::set<std::string, std::less<>>& libpq_keywords() {
    static const auto keywords = [] {
        std::set<std::string, std::less<>> names;
        PQconninfoOption* options = PQconndefaults();
        for (auto* option = options; option && option->keyword; ++option) names.emplace(option->keyword);
        PQconninfoFree(options);
        return names;
    }();
    return keywords;
}

/// libpq keyword/value settings in order; a later set() of a keyword replaces it.
class ConnectSettings {
public:
    void set(std::string_view keyword, std::string value) {
        for (auto& [k, v] : settings_)
            if (k == keyword) return void(v = std::move(value));
        settings_.emplace_back(std::string(keyword), std::move(value));
    }
    std::string_view get(std::string_view keyword) const {
        for (const auto& [k, v] : settings_)
            if (k == keyword) return v;
        return {};
    }

    pg::ConnectionHandle connect() const {
        std::vector<const char*> keywords;
        std::vector<const char*> values;
        for (const auto& [k, v] : settings_) {
            keywords.push_back(k.c_str());
            values.push_back(v.c_str());
        }
        keywords.push_back(nullptr);
        values.push_back(nullptr);
        // expand_dbname = 0: a database name is only a name, never a connection string.
        return pg::ConnectionHandle(PQconnectdbParams(keywords.data(), values.data(), 0));
    }

private:
    std::vector<std::pair<std::string, std::string>> settings_;
};

/// SQLAlchemy writes a multi-host URL as "?host=a:5432&host=b:5433" (the URL joins the
/// values: "a:5432,b:5433"); libpq wants "host=a,b port=5432,5433". Entries without a port
/// take `port` (the URL's or the query's; empty: libpq's default). libpq's own form,
/// "?host=a,b&port=1,2", has no ports in the host entries and is left as written.
void split_host_ports(ConnectSettings& settings) {
    const std::string hosts(settings.get("host"));
    const std::string default_port(settings.get("port"));
    std::string host_list, port_list;
    bool any_port = false;
    std::size_t start = 0;
    while (start <= hosts.size()) {
        const auto end = std::min(hosts.find(',', start), hosts.size());
        std::string_view entry(hosts.data() + start, end - start);
        std::string_view port;
        if (entry.starts_with('[')) {  // [v6]:port
            const auto close = entry.find(']');
            if (close != std::string_view::npos && close + 1 < entry.size() && entry[close + 1] == ':')
                port = entry.substr(close + 2);
            if (close != std::string_view::npos) entry = entry.substr(1, close - 1);
        } else if (!entry.starts_with('/') && std::count(entry.begin(), entry.end(), ':') == 1) {
            port = entry.substr(entry.find(':') + 1);
            entry = entry.substr(0, entry.find(':'));
        }
        if (!port.empty() &&
            !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
            throw ArgumentError(
                fmt::format("alchemy: the host entry '{}' has the port '{}', which is not a number; write "
                            "host=name:5432",
                            printable(entry), printable(port)));
        any_port = any_port || !port.empty();
        if (start > 0) {
            host_list += ',';
            port_list += ',';
        }
        host_list += entry;
        port_list += port.empty() ? std::string_view(default_port) : port;
        start = end + 1;
    }
    if (!any_port) return;
    settings.set("host", std::move(host_list));
    settings.set("port", std::move(port_list));
}

class PostgresDriver final : public Driver {
public:
    const Dialect& dialect() const noexcept override { return dialect_; }

    std::unique_ptr<DriverConnection> connect(const URL& url, const ConnectOptions& options) const override {
        ConnectSettings settings;
        settings.set("fallback_application_name", "alchemy");  // shown in pg_stat_activity
        settings.set("client_encoding", "UTF8");               // alchemy text is UTF-8
        if (!url.host.empty()) settings.set("host", url.host);
        if (url.port) settings.set("port", std::to_string(*url.port));
        if (!url.username.empty()) settings.set("user", url.username);
        if (url.password) settings.set("password", *url.password);
        if (!url.database.empty()) settings.set("dbname", url.database);
        for (const auto& [keyword, value] : options.args) {
            if (!libpq_keywords().contains(keyword))
                throw ArgumentError(
                    fmt::format("alchemy: '{}' is not a PostgreSQL (libpq) connection parameter; "
                                "see libpq's list, e.g. sslmode, connect_timeout, application_name",
                                printable(keyword)));
            settings.set(keyword, value);
        }
        split_host_ports(settings);

        auto connection = settings.connect();
        if (!connection || PQstatus(connection.get()) != CONNECTION_OK)
            pg::raise_connect_failure(connection.get(), settings.get("password"));
        return std::make_unique<pg::PgConnection>(std::move(connection), options.prepare_threshold);
    }

private:
    PostgresDialect dialect_;
};

}  // namespace

const Driver& postgresql_driver() {
    static const PostgresDriver driver;
    return driver;
}

}  // namespace alchemy::detail
