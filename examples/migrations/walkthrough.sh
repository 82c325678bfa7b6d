#!/usr/bin/env bash
# examples/migrations/walkthrough.sh — the tutorial's migration commands, run with the
# example migration tool (tool.cpp) in a fresh temporary directory on SQLite:
# init, revision --autogenerate, upgrade head, current, history, downgrade -1,
# upgrade head, check. Shows each command and its output; fails as soon as a step fails
# or does not print what it should.
#
#   examples/migrations/walkthrough.sh PATH/TO/example_migrations
#
# scripts/run-examples runs it with the tool it built.
set -euo pipefail

if [[ $# -ne 1 || ! -x $1 ]]; then
    printf 'usage: %s PATH/TO/example_migrations\n' "${0##*/}" >&2
    exit 2
fi
TOOL=$(realpath "$1")
readonly TOOL
WORK=$(mktemp -d "${TMPDIR:-/tmp}/alchemy-walkthrough.XXXXXX")
readonly WORK
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# SQLite through alchemy.ini's url, whatever the caller's environment points at.
unset DATABASE_URL

# step EXPECTED ARGS...: runs the tool with ARGS, shows it, and checks that its output
# contains EXPECTED.
step() {
    local expected=$1 output status=0 arg
    shift
    printf '\n$ migrate'
    for arg in "$@"; do
        if [[ $arg == *' '* ]]; then printf ' "%s"' "$arg"; else printf ' %s' "$arg"; fi
    done
    printf '\n'
    output=$("$TOOL" "$@") || status=$?
    printf '%s\n' "$output"
    if [[ $status -ne 0 ]]; then
        printf "walkthrough: 'migrate %s' failed (exit %d)\n" "$*" "$status" >&2
        exit 1
    fi
    if [[ $output != *"$expected"* ]]; then
        printf "walkthrough: 'migrate %s' did not print '%s'\n" "$*" "$expected" >&2
        exit 1
    fi
}

# alembic init alembic
step "Created migrations/versions/" init migrations
printf '\n$ cat alchemy.ini\n'
cat alchemy.ini

# alembic revision --autogenerate -m "Add User Table"
step "Generating migrations/versions/" revision --autogenerate -m "Add User Table"
printf '\n$ cat migrations/versions/*.sql\n'
cat migrations/versions/*.sql

# alembic upgrade head
step "Running upgrade <base> -> " upgrade head
step "(head), Add User Table" current
step "<base> -> " history

# alembic downgrade -1
step "-> <base>, Add User Table" downgrade -1
step "<base>" current

step "Running upgrade <base> -> " upgrade head
step "No new upgrade operations detected." check
printf '\nwalkthrough: every step did what it should\n'
