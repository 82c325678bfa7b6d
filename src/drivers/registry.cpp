// Chooses a driver by the URL's backend name ("postgresql+psycopg2" is served by libpq):
// the built-in backends, listed once here, and those a program registers.
#include "drivers/drivers.hpp"

#include "alchemy/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>

namespace alchemy {
namespace {

class DriverRegistry {
public:
    DriverRegistry()
        : drivers_{{"sqlite", &detail::sqlite_driver()},
                   {"postgresql", &detail::postgresql_driver()},
                   {"postgres", &detail::postgresql_driver()}} {}

    void add(std::string_view backend, const Driver& driver) {
        // The characters make_url() accepts before a '+' (src/core/url.cpp).
        const auto url_char = [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        };
        if (backend.empty() || !std::all_of(backend.begin(), backend.end(), url_char))
            throw ArgumentError(fmt::format(
                "alchemy: register_driver() needs a backend name as a URL starts with it: letters, "
                "digits and '_'; got '{}'",
                backend));
        std::lock_guard lock(mutex_);
        if (!drivers_.emplace(std::string(backend), &driver).second)
            throw ArgumentError(
                fmt::format("alchemy: a driver for backend '{}' is already registered", backend));
    }

    const Driver& find(const URL& url) const {
        const auto backend = url.backend();
        std::lock_guard lock(mutex_);
        if (auto it = drivers_.find(backend); it != drivers_.end()) return *it->second;
        std::string known;
        for (const auto& [name, driver] : drivers_) known += (known.empty() ? "" : ", ") + name;
        throw ArgumentError(fmt::format("alchemy: unknown database backend '{}' in URL '{}'; known: {}",
                                        backend, url.to_string(), known));
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, const Driver*, std::less<>> drivers_;
};

DriverRegistry& registry() {
    static DriverRegistry drivers;
    return drivers;
}

}  // namespace

const Driver& driver_for(const URL& url) { return registry().find(url); }

void register_driver(std::string_view backend, const Driver& driver) { registry().add(backend, driver); }

}  // namespace alchemy
