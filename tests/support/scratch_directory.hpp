// A directory of this process's own under the system's temporary directory: made empty on
// construction, removed with everything in it on destruction. The tests' SQLite files
// (backends.cpp), migration folders (unit/revision_test.cpp, integration/migrate_cli_test.cpp)
// and the benchmark program's SQLite file (benchmarks/main.cpp) live in one each.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace alchemy::test {

class ScratchDirectory {
public:
    /// `prefix`-<process id>-<n>, e.g. alchemy-test-4242-1, n counting this process's.
    explicit ScratchDirectory(std::string_view prefix)
        : path_(std::filesystem::temp_directory_path() /
                (std::string(prefix) + "-" + std::to_string(::getpid()) + "-" + std::to_string(++made()))) {
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ScratchDirectory(const ScratchDirectory&) = delete;
    ScratchDirectory& operator=(const ScratchDirectory&) = delete;
    ~ScratchDirectory() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const noexcept { return path_; }

private:
    static std::atomic<int>& made() {
        static std::atomic<int> count{0};
        return count;
    }
    std::filesystem::path path_;
};

}  // namespace alchemy::test
