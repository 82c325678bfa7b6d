// Runs this program again as a child process: measurements that must not inherit the
// parent's memory (a fresh heap, a fresh peak) run there.
#pragma once

#include <string>
#include <vector>

namespace bench {

/// Runs this program's executable (/proc/self/exe) with `args` and returns what it wrote
/// to stdout; its stderr is the parent's. Throws unless it ran and exited with status 0.
std::string run_self(std::vector<std::string> args);

}  // namespace bench
