# shellcheck shell=bash
# scripts/lib/pgbouncer.sh — start and stop a throwaway PgBouncer in front of the throwaway
# PostgreSQL of scripts/lib/postgres.sh (source that first and start the server).
# Sourced by scripts/run-tests; not meant to be run on its own.
#
#   pgbouncer_throwaway_start   write a config in a fresh `mktemp -d` directory and start
#                               PgBouncer on a free loopback port, in transaction pooling
#                               mode with a small server pool, so that many clients share
#                               each server session (what the PgBouncer tests need)
#   pgbouncer_throwaway_stop    stop it and remove the directory; safe to call more than
#                               once and after a failed start (use it in a trap)
#
# It runs as the PostgreSQL server's user (PgBouncer refuses to run as root), listens on
# 127.0.0.1 only, and lets that user in without a password (auth_type trust), as the
# server does.
#
# Input (optional):
#   ALCHEMY_PGBOUNCER_BIN   the pgbouncer program (default: pgbouncer on PATH, or
#                           /usr/sbin/pgbouncer)
#
# Exported once started:
#   ALCHEMY_TEST_PGBOUNCER_URL  postgresql://<user>@127.0.0.1:<port>/postgres
#   ALCHEMY_PGBOUNCER_LOG       its log file

PGBOUNCER_TMP_DIR=""

pgbouncer_log() { printf 'pgbouncer: %s\n' "$*" >&2; }

pgbouncer_find_bin() {
    local bin=${ALCHEMY_PGBOUNCER_BIN:-}
    [[ -n $bin ]] || bin=$(command -v pgbouncer 2>/dev/null || true)
    [[ -n $bin ]] || bin=/usr/sbin/pgbouncer
    if [[ ! -x $bin ]]; then
        pgbouncer_log "pgbouncer not found (is the pgbouncer package installed? set ALCHEMY_PGBOUNCER_BIN)"
        return 1
    fi
    printf '%s' "$bin"
}

pgbouncer_write_config() {
    local dir=$1 port=$2
    cat >"$dir/pgbouncer.ini" <<EOF
; alchemy throwaway PgBouncer (scripts/lib/pgbouncer.sh)
[databases]
; Two server sessions for "postgres", which every client of the PgBouncer tests shares.
postgres = host=127.0.0.1 port=$ALCHEMY_PG_PORT pool_size=2
; The integration cases run through PgBouncer in a database each; some hold three
; transactions at once.
* = host=127.0.0.1 port=$ALCHEMY_PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 4
; Server sessions of finished test databases close soon, far below max_connections.
server_idle_timeout = 5
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 500
; The test helpers put each PostgreSQL test in a schema through "options"; PgBouncer
; 1.18 cannot pass it on, so the PgBouncer tests name their tables instead.
ignore_startup_parameters = options,extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
log_connections = 0
log_disconnections = 0
EOF
    printf '"%s" ""\n' "$PG_RUN_AS" >"$dir/userlist.txt"
}

pgbouncer_throwaway_start() {
    local bin
    bin=$(pgbouncer_find_bin) || return 1
    if [[ -z ${ALCHEMY_PG_PORT:-} || -z ${PG_RUN_AS:-} ]]; then
        pgbouncer_log "start the PostgreSQL server first (pg_throwaway_start)"
        return 1
    fi
    PGBOUNCER_TMP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/alchemy-pgbouncer.XXXXXX") || return 1
    chmod 755 "$PGBOUNCER_TMP_DIR" || return 1
    ALCHEMY_PGBOUNCER_LOG=$PGBOUNCER_TMP_DIR/pgbouncer.log

    local attempt port
    for attempt in 1 2 3 4 5; do
        port=$(pg_free_port) || return 1
        pgbouncer_write_config "$PGBOUNCER_TMP_DIR" "$port" || return 1
        : >>"$ALCHEMY_PGBOUNCER_LOG" || return 1  # before the chown: PgBouncer appends to it
        if [[ $(id -u) -eq 0 ]]; then
            chown -R "$PG_RUN_AS:" "$PGBOUNCER_TMP_DIR" || return 1
        fi
        if (cd / && pg_as_user "$bin" -d -q "$PGBOUNCER_TMP_DIR/pgbouncer.ini") 2>>"$ALCHEMY_PGBOUNCER_LOG"; then
            local wait
            for wait in $(seq 1 100); do
                if pg_port_in_use "$port"; then
                    ALCHEMY_TEST_PGBOUNCER_URL="postgresql://$PG_RUN_AS@127.0.0.1:$port/postgres"
                    export ALCHEMY_TEST_PGBOUNCER_URL ALCHEMY_PGBOUNCER_LOG
                    pgbouncer_log "$("$bin" --version | head -n 1) on 127.0.0.1:$port, transaction pooling"
                    return 0
                fi
                sleep 0.1
            done
        fi
        if grep -q "Address already in use" "$ALCHEMY_PGBOUNCER_LOG" 2>/dev/null; then
            pgbouncer_log "port $port was taken; trying another (attempt $attempt)"
            pgbouncer_kill
            continue
        fi
        break
    done
    tail -n 30 "$ALCHEMY_PGBOUNCER_LOG" >&2 || true
    pgbouncer_log "PgBouncer did not start"
    return 1
}

# Stops the daemon by the pid it recorded, waiting for it to exit.
pgbouncer_kill() {
    local pid_file=$PGBOUNCER_TMP_DIR/pgbouncer.pid pid wait
    [[ -f $pid_file ]] || return 0
    pid=$(head -n 1 "$pid_file" 2>/dev/null || true)
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for wait in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    pgbouncer_log "still running after SIGTERM; killing $pid"
    kill -KILL "$pid" 2>/dev/null || true
}

pgbouncer_throwaway_stop() {
    [[ -n $PGBOUNCER_TMP_DIR && -d $PGBOUNCER_TMP_DIR ]] || return 0
    pgbouncer_kill
    pgbouncer_log "stopped"
    rm -rf "$PGBOUNCER_TMP_DIR"
    PGBOUNCER_TMP_DIR=""
}
