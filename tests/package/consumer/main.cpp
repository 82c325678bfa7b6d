// Uses an installed alchemy: in-memory SQLite, one typed query read two ways.
#include <alchemy/alchemy.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

namespace sa = alchemy;

int main() {
    try {
        auto engine = sa::create_engine("sqlite://");
        auto conn = engine.connect();

        const std::int64_t one = conn.execute(sa::text("SELECT 1").columns<std::int64_t>()).one();
        const auto scalar = conn.execute(sa::text("SELECT 1").columns<std::int64_t>()).scalar();

        if (one != 1 || !scalar || *scalar != 1) {
            std::fprintf(stderr, "alchemy consumer: SELECT 1 gave one()=%lld scalar()=%s\n",
                         static_cast<long long>(one), scalar ? std::to_string(*scalar).c_str() : "nothing");
            return 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "alchemy consumer: %s\n", e.what());
        return 1;
    }
    std::puts("alchemy consumer: ok");
    return 0;
}
