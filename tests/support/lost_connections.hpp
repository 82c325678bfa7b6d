// Databases whose connections a test can lose on purpose, the way a server restart,
// pg_terminate_backend or a failing disk loses them, to prove what alchemy reports then.
//
//   sa::test::LosableDatabase db(backend);
//   auto engine = db.engine();          // connections that lose_connections() can kill
//   ...
//   db.lose_connections();              // every connection of those engines is now dead
//
// PostgreSQL: the engines' connections carry an application_name of their own, and
// lose_connections() terminates every backend with that name from a second connection
// (pg_terminate_backend) and waits until they are gone. SQLite: the engines open the file
// through a VFS that wraps the default one, and lose_connections() makes every I/O of the
// files open at that moment fail with SQLITE_IOERR, as a vanished disk would; files
// opened later work, as a reconnect to a restarted server does.
#pragma once

#include "support/backends.hpp"

#include <alchemy/alchemy.hpp>

#include <string>

namespace alchemy::test {

class LosableDatabase {
public:
    explicit LosableDatabase(const Backend& backend);

    /// An engine on the database whose connections lose_connections() kills.
    Engine engine(EngineOptions options = {}) const;
    /// An ordinary engine on the same database, for setting up and checking.
    Engine observer(EngineOptions options = {}) const { return backend_.engine(std::move(options)); }
    /// Kills every connection engine() has open now.
    void lose_connections() const;

private:
    Backend backend_;
    std::string losable_url_;
    std::string application_name_;  ///< PostgreSQL: marks the connections to kill
    std::string path_;              ///< SQLite: the database file
};

}  // namespace alchemy::test
