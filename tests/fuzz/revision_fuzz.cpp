// Migration revision files: any file text loads as a revision or throws MigrationError
// naming the file (include/alchemy/migrate/revision.hpp); a loaded revision's sections split
// into statements without an error. The text goes through a real file, as
// load_revisions() reads a directory.
#include "contract.hpp"

#include <alchemy/migrate/revision.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;

/// A directory of this process's own, removed when the fuzzer exits.
const fs::path& versions_dir() {
    struct Dir {
        fs::path path;
        Dir() {
            // mkdtemp() replaces the trailing XXXXXX with a unique suffix.
            std::string name = (fs::temp_directory_path() / "alchemy-fuzz-revision-XXXXXX").string();
            if (!mkdtemp(name.data())) std::abort();
            path = name;
        }
        ~Dir() {
            std::error_code ignored;
            fs::remove_all(path, ignored);
        }
    };
    static const Dir dir;
    return dir.path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto file = versions_dir() / "1_fuzzed.sql";
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
        if (!out) std::abort();
    }
    alchemy::fuzz::succeeds_or_throws<alchemy::MigrationError>([&] {
        for (const auto& revision : alchemy::migrate::load_revisions(versions_dir())) {
            (void)alchemy::migrate::split_statements(revision.upgrade);
            (void)alchemy::migrate::split_statements(revision.downgrade);
        }
    });
    return 0;
}
