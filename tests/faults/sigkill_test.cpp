// A client killed with SIGKILL in the middle of a transaction, through a Connection and
// inside a Session's flush (victim/victim.cpp, a program of its own so that the kill is
// real): nothing of its transaction is visible afterwards, the table is writable at once
// (the row it locked included), and the rows it committed before are all there. On SQLite
// with a rollback journal and with WAL, and on PostgreSQL.
#include "faults/fault_notes.hpp"
#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

extern char** environ;

namespace sa = alchemy;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Database {
    std::string label;
    std::string url;
    bool postgresql = false;
};

std::vector<Database> databases() {
    std::vector<Database> out;
    for (const auto& backend : sa::test::backends()) {
        if (backend.is_sqlite()) {
            out.push_back({"sqlite, rollback journal", backend.url + "?journal_mode=delete"});
            out.push_back({"sqlite, WAL", sa::test::sqlite_temp_url() + "?journal_mode=wal"});
        } else {
            out.push_back({"postgresql", backend.url, true});
        }
    }
    return out;
}

/// The victim process (ALCHEMY_FAULT_VICTIM, built from victim/victim.cpp), its standard
/// output read through a pipe. Killed on destruction if the test ends early.
class Victim {
public:
    Victim(const std::string& url, const std::string& mode) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        posix_spawn_file_actions_addclose(&actions, fds[1]);
        std::string program = ALCHEMY_FAULT_VICTIM;
        std::vector<char*> argv{program.data(), const_cast<char*>(url.c_str()),
                                const_cast<char*>(mode.c_str()), nullptr};
        const int spawned = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        output_ = fds[0];
        REQUIRE(spawned == 0);
    }
    Victim(const Victim&) = delete;
    Victim& operator=(const Victim&) = delete;
    ~Victim() {
        if (pid_ > 0) kill();
        ::close(output_);
    }

    /// Waits for the line "ready"; false if the victim ended or 60 s passed first.
    bool wait_ready() {
        std::string seen;
        const auto deadline = Clock::now() + 60s;
        while (Clock::now() < deadline) {
            pollfd fd{output_, POLLIN, 0};
            if (::poll(&fd, 1, 100) <= 0) continue;
            char buffer[256];
            const auto n = ::read(output_, buffer, sizeof buffer);
            if (n <= 0) break;
            seen.append(buffer, static_cast<std::size_t>(n));
            if (seen.find("ready\n") != std::string::npos) return true;
        }
        UNSCOPED_INFO("the victim printed: " << seen);
        return false;
    }

    /// SIGKILL, and waits until the process is gone; true if the signal killed it.
    bool kill() {
        ::kill(pid_, SIGKILL);
        int status = 0;
        const bool reaped = ::waitpid(pid_, &status, 0) == pid_;
        pid_ = -1;
        return reaped && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    }

private:
    pid_t pid_ = -1;
    int output_ = -1;
};

std::int64_t count(sa::Connection& conn, const std::string& where = "") {
    return conn.execute(sa::text("SELECT count(*) FROM fault_notes" + where).columns<std::int64_t>())
        .scalar_one();
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<Database> {
    static std::string convert(const Database& d) { return d.label; }
};
}  // namespace Catch

TEST_CASE("a client killed with SIGKILL mid-transaction leaves nothing behind and locks nothing") {
    const auto database = GENERATE(from_range(databases()));
    const std::string mode = GENERATE(as<std::string>{}, "connection", "flush");
    auto engine = sa::create_engine(database.url);
    const auto metadata = sa::metadata<fault::Note>();
    metadata.drop_all(engine);  // each mode runs on the same database
    metadata.create_all(engine);

    Victim victim(database.url, mode);
    REQUIRE(victim.wait_ready());
    REQUIRE(victim.kill());
    const auto killed = Clock::now();

    std::int64_t doomed_left = 0;
    {
        auto conn = engine.connect();
        // PostgreSQL: the dead backend's lock on row 1 must go; fail rather than hang.
        if (database.postgresql) conn.execute(sa::text("SET LOCAL lock_timeout = '10s'"));
        doomed_left = count(conn, " WHERE body <> 'committed'");
        CHECK(doomed_left == 0);
        CHECK(count(conn, " WHERE body = 'committed'") == fault::committed_rows);
        conn.execute(sa::text("UPDATE fault_notes SET body = 'after' WHERE id = 1"));
        conn.execute(sa::text("INSERT INTO fault_notes (body) VALUES ('after')"));
        conn.commit();
    }
    const auto writable_ms = std::chrono::duration<double, std::milli>(Clock::now() - killed).count();
    WARN("fault figures: SIGKILL " << (mode == "flush" ? "inside a flush" : "mid-transaction") << ", "
                                   << database.label << ": " << doomed_left << " rows of "
                                   << fault::doomed_rows << " left, table written "
                                   << static_cast<long>(writable_ms) << " ms after the kill");

    auto conn = engine.connect();
    CHECK(count(conn) == fault::committed_rows + 1);
    CHECK(count(conn, " WHERE body = 'after'") == 2);
    if (!database.postgresql)
        CHECK(conn.execute(sa::text("PRAGMA integrity_check").columns<std::string>()).scalar_one() == "ok");
}
