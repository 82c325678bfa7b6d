// A directory of this process's own under the system's temporary directory, for SQLite
// files: made empty on construction, removed with everything in it on destruction. The
// test support (backends.cpp) and the benchmark program (benchmarks/main.cpp) share it.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace alchemy::test {

class ScratchDirectory {
public:
    /// `prefix`-<process id>, e.g. alchemy-test-4242.
    explicit ScratchDirectory(std::string_view prefix)
        : path_(std::filesystem::temp_directory_path() /
                (std::string(prefix) + "-" + std::to_string(::getpid()))) {
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
    std::filesystem::path path_;
};

}  // namespace alchemy::test
