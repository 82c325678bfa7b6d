# Every dependency comes from Debian 12 packages (scripts/setup installs them).
find_package(fmt REQUIRED)
find_package(Boost 1.81 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Threads REQUIRED)
