// The client the SIGKILL tests (tests/faults/sigkill_test.cpp) kill:
//
//   fault_victim <database URL> connection|flush
//
// Commits fault::committed_rows rows, then writes fault::doomed_rows more in one
// transaction, through a Connection ("connection") or a Session's flush ("flush"), prints
// "ready" once part of them has been sent, and blocks until it is killed: after the
// Connection's batch and an UPDATE of row 1 (which holds that row's lock), or from inside
// the flush, in a before_cursor_execute hook at its 10th INSERT.
#include "faults/fault_notes.hpp"

#include <alchemy/alchemy.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace sa = alchemy;

namespace {

[[noreturn]] void ready_then_block() {
    std::puts("ready");
    std::fflush(stdout);
    for (;;) ::pause();
}

void through_connection(sa::Engine& engine) {
    auto conn = engine.connect();
    for (int i = 0; i < fault::committed_rows; ++i)
        conn.execute(sa::text("INSERT INTO fault_notes (body) VALUES (:body)").bind("body", "committed"));
    conn.commit();
    std::vector<sa::Param> bodies(fault::doomed_rows, sa::Param::of_text(fault::doomed_body));
    std::string sql = "INSERT INTO fault_notes (body) VALUES (";
    conn.dialect().append_placeholder(sql, 1);
    conn.execute_batch(sql + ")", bodies, 1);
    conn.execute(sa::text("UPDATE fault_notes SET body = 'doomed' WHERE id = 1"));
    ready_then_block();
}

void inside_flush(sa::Engine& engine) {
    sa::Session session(engine);
    for (int i = 0; i < fault::committed_rows; ++i) session.add(fault::Note{.body = "committed"});
    session.commit();
    std::atomic<int> inserts{0};
    engine.on_before_cursor_execute(
        [&](sa::Connection&, std::string_view statement, std::span<const sa::Param>, bool) {
            if (statement.starts_with("INSERT") && ++inserts == 10) ready_then_block();
        });
    // Given keys: a flush loads many new rows whose keys the database generates by COPY
    // on PostgreSQL, and these are to go as 20 INSERTs.
    for (int i = 0; i < fault::doomed_rows; ++i)
        session.add(fault::Note{.id = fault::committed_rows + 1 + i, .body = fault::doomed_body});
    session.flush();
    std::fputs("fault_victim: the flush ended without reaching its 10th INSERT\n", stderr);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fputs("usage: fault_victim <database URL> connection|flush\n", stderr);
        return 2;
    }
    try {
        auto engine = sa::create_engine(argv[1]);
        const std::string_view mode = argv[2];
        if (mode == "connection") through_connection(engine);
        if (mode == "flush") inside_flush(engine);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fault_victim: %s\n", e.what());
    }
    return 1;
}
