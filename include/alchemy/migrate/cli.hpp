// The migration tool users build over their models:
//
//   int main(int argc, char** argv) {
//       return sa::migrate::main(argc, argv, sa::metadata<User, Post>());
//   }
//
// Commands as Alembic has them: init DIR, revision -m MSG [--autogenerate],
// upgrade head|+N|REV [--sql], downgrade -N|REV|base [--sql], current, history, heads,
// stamp REV, check. The database URL comes from alchemy.ini (`url = ...`), written by
// init, or from the DATABASE_URL environment variable, which wins.
#pragma once

#include "alchemy/schema/metadata.hpp"

#include <iosfwd>

namespace alchemy::migrate {

/// Runs one command; returns the process exit code (0 success, 1 failure, and for
/// `check` 1 when the models and the database differ). Errors are printed, not thrown.
int main(int argc, char** argv, const MetaData& metadata);
/// The same, writing to the given streams (for tests).
int main(int argc, char** argv, const MetaData& metadata, std::ostream& out, std::ostream& err);

}  // namespace alchemy::migrate
