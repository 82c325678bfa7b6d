# Every dependency comes from Debian 12 packages (scripts/setup installs them).
find_package(fmt REQUIRED)
# program_options: the migration tool's command line (src/migrate/cli.cpp).
find_package(Boost 1.81 REQUIRED COMPONENTS program_options)
find_package(PostgreSQL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Threads REQUIRED)
