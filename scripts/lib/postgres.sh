# shellcheck shell=bash
# scripts/lib/postgres.sh — start and stop a throwaway PostgreSQL 15 server for the tests.
# Sourced by scripts/run-tests; not meant to be run on its own.
#
#   pg_throwaway_start   initdb in a fresh `mktemp -d` directory, start the server on a
#                        free loopback port, export the variables below
#   pg_throwaway_stop    `pg_ctl stop -m fast`, then remove the directory; safe to call
#                        more than once and when the start failed half-way (use it in a trap)
#
# The server never runs as root (PostgreSQL refuses to): as root it runs as the system user
# $ALCHEMY_PG_USER (default "alchemy-pg", created with useradd when missing); otherwise as
# the calling user. It listens on 127.0.0.1 only, with trust authentication for TCP from
# 127.0.0.1 and for its unix socket, which lives inside the temp directory. fsync is off:
# the data is thrown away. It accepts streaming replication connections the same way (for
# the hot standby of scripts/lib/replica.sh) and keeps 256MB of WAL, so that a standby a
# test stopped for a while can catch up when started again.
#
# Input (optional):
#   ALCHEMY_PG_BIN    PostgreSQL bin directory (default /usr/lib/postgresql/15/bin)
#   ALCHEMY_PG_USER   system user to run the server as when called as root (default alchemy-pg)
#
# Exported once started:
#   ALCHEMY_TEST_POSTGRES_URL  postgresql://<user>@127.0.0.1:<port>/postgres
#   ALCHEMY_PG_BIN             the PostgreSQL bin directory (initdb, pg_ctl, psql, ...)
#   ALCHEMY_PG_DATA            the data directory (pg_ctl -D)
#   ALCHEMY_PG_CTL_USER        the OS user pg_ctl must run as (the server's owner)
#   ALCHEMY_PG_PORT            the TCP port
#   ALCHEMY_PG_SOCKET_DIR      the unix socket directory
#   ALCHEMY_PG_LOG             the server log file
#   ALCHEMY_PG_CTL             a ready-made pg_ctl for this server: `"$ALCHEMY_PG_CTL" restart`
#                              (adds -D, -l and -w, and switches to ALCHEMY_PG_CTL_USER when
#                              called as root). Prefer it over calling pg_ctl by hand: a
#                              server restarted without -l would keep the caller's stdout
#                              open, and ctest would wait for it forever.

PG_TMP_DIR=""
PG_RUN_AS=""

pg_log() { printf 'postgres: %s\n' "$*" >&2; }

pg_find_bin() {
    local bin=${ALCHEMY_PG_BIN:-/usr/lib/postgresql/15/bin}
    if [[ ! -x $bin/initdb || ! -x $bin/pg_ctl ]]; then
        pg_log "initdb/pg_ctl not found in $bin (is postgresql-15 installed? set ALCHEMY_PG_BIN)"
        return 1
    fi
    printf '%s' "$bin"
}

# Picks the OS user the server runs as; creates the system user when running as root.
pg_choose_user() {
    if [[ $(id -u) -ne 0 ]]; then
        PG_RUN_AS=$(id -un)
        return 0
    fi
    PG_RUN_AS=${ALCHEMY_PG_USER:-alchemy-pg}
    if ! id -u "$PG_RUN_AS" >/dev/null 2>&1; then
        pg_log "creating system user $PG_RUN_AS"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$PG_RUN_AS"
    fi
}

# Runs a command as the server's user (directly when that is us).
pg_as_user() {
    if [[ $(id -u) -eq 0 && $PG_RUN_AS != root ]]; then
        runuser -u "$PG_RUN_AS" -- "$@"
    else
        "$@"
    fi
}

pg_port_in_use() {
    # A successful connect means something listens there.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints a loopback TCP port that is free right now: the OS picks one when python3 works,
# else random ports are probed. Another process may still take it before the server binds,
# which pg_throwaway_start handles by trying again.
pg_free_port() {
    local port
    if port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' 2>/dev/null) && [[ $port =~ ^[0-9]+$ ]] && ! pg_port_in_use "$port"; then
        printf '%s' "$port"
        return 0
    fi
    local attempt
    for attempt in $(seq 1 200); do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if ! pg_port_in_use "$port"; then
            printf '%s' "$port"
            return 0
        fi
    done
    pg_log "no free port found"
    return 1
}

pg_write_config() {
    local data=$1 socket_dir=$2
    cat >>"$data/postgresql.conf" <<EOF

# --- alchemy throwaway test server (scripts/lib/postgres.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$socket_dir'
unix_socket_permissions = 0777
include_if_exists = 'alchemy_port.conf'
max_connections = 200
# SessionOptions::twophase (PREPARE TRANSACTION) is tested; the replica copies this value.
max_prepared_transactions = 20
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
log_line_prefix = '%m [%p] %u@%d '
# Streaming replication (scripts/lib/replica.sh); wal_level and max_wal_senders are the
# PostgreSQL 15 defaults, spelled out because the standby depends on them.
wal_level = replica
max_wal_senders = 10
wal_keep_size = 256MB
EOF
    cat >"$data/pg_hba.conf" <<'EOF'
# alchemy throwaway test server: trust, loopback and the private unix socket only.
local   all           all                  trust
host    all           all   127.0.0.1/32   trust
local   replication   all                  trust
host    replication   all   127.0.0.1/32   trust
EOF
}

# Writes a pg_ctl wrapper for one server: ALCHEMY_PG_CTL for this one (data directory and
# log default to ALCHEMY_PG_DATA and ALCHEMY_PG_LOG), ALCHEMY_REPLICA_CTL for the standby.
#   pg_write_ctl_wrapper WRAPPER [DATA_DIR LOG_FILE [DESCRIPTION]]
pg_write_ctl_wrapper() {
    local wrapper=$1 data=${2:-$ALCHEMY_PG_DATA} log=${3:-$ALCHEMY_PG_LOG}
    local what=${4:-the alchemy throwaway test server}
    cat >"$wrapper" <<EOF
#!/usr/bin/env bash
# pg_ctl for $what, e.g. \`$wrapper restart\`.
set -euo pipefail
cmd=('$ALCHEMY_PG_BIN/pg_ctl' -D '$data' -l '$log' -w -t 60 "\$@")
if [[ \$(id -u) -eq 0 && '$PG_RUN_AS' != root ]]; then
    exec runuser -u '$PG_RUN_AS' -- "\${cmd[@]}"
fi
exec "\${cmd[@]}"
EOF
    chmod 755 "$wrapper"
}

pg_throwaway_start() {
    ALCHEMY_PG_BIN=$(pg_find_bin) || return 1
    pg_choose_user || return 1

    PG_TMP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/alchemy-pg.XXXXXX") || return 1
    local data=$PG_TMP_DIR/data socket_dir=$PG_TMP_DIR/socket
    ALCHEMY_PG_DATA=$data
    ALCHEMY_PG_SOCKET_DIR=$socket_dir
    ALCHEMY_PG_LOG=$PG_TMP_DIR/postgres.log
    ALCHEMY_PG_CTL=$PG_TMP_DIR/pg_ctl
    mkdir -m 700 "$data" || return 1
    mkdir -m 755 "$socket_dir" || return 1
    chmod 755 "$PG_TMP_DIR" || return 1
    : >"$ALCHEMY_PG_LOG" || return 1
    if [[ $(id -u) -eq 0 ]]; then
        chown -R "$PG_RUN_AS:" "$PG_TMP_DIR" || return 1
    fi

    pg_log "initdb in $data (as $PG_RUN_AS)"
    # cd: runuser keeps the working directory, which the server's user may not be able to read.
    if ! (cd / && pg_as_user "$ALCHEMY_PG_BIN/initdb" -D "$data" -U "$PG_RUN_AS" \
            --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync) >"$PG_TMP_DIR/initdb.log" 2>&1; then
        cat "$PG_TMP_DIR/initdb.log" >&2
        pg_log "initdb failed"
        return 1
    fi
    pg_write_config "$data" "$socket_dir" || return 1

    local attempt port
    for attempt in 1 2 3 4 5; do
        port=$(pg_free_port) || return 1
        printf "port = %s\n" "$port" >"$data/alchemy_port.conf" || return 1
        if [[ $(id -u) -eq 0 ]]; then
            chown "$PG_RUN_AS:" "$data/alchemy_port.conf" "$data/postgresql.conf" "$data/pg_hba.conf" || return 1
        fi
        if (cd / && pg_as_user "$ALCHEMY_PG_BIN/pg_ctl" -D "$data" -l "$ALCHEMY_PG_LOG" -w -t 60 start) >/dev/null; then
            ALCHEMY_PG_PORT=$port
            ALCHEMY_PG_CTL_USER=$PG_RUN_AS
            ALCHEMY_TEST_POSTGRES_URL="postgresql://$PG_RUN_AS@127.0.0.1:$port/postgres"
            export ALCHEMY_TEST_POSTGRES_URL ALCHEMY_PG_BIN ALCHEMY_PG_DATA ALCHEMY_PG_CTL_USER \
                ALCHEMY_PG_PORT ALCHEMY_PG_SOCKET_DIR ALCHEMY_PG_LOG ALCHEMY_PG_CTL
            pg_write_ctl_wrapper "$ALCHEMY_PG_CTL" "$data" "$ALCHEMY_PG_LOG" || return 1
            pg_log "PostgreSQL $("$ALCHEMY_PG_BIN/postgres" --version | awk '{print $3}') running as $PG_RUN_AS on 127.0.0.1:$port"
            return 0
        fi
        if grep -q "could not bind\|Address already in use" "$ALCHEMY_PG_LOG" 2>/dev/null; then
            pg_log "port $port was taken; trying another (attempt $attempt)"
            continue
        fi
        break
    done
    tail -n 30 "$ALCHEMY_PG_LOG" >&2 || true
    pg_log "the server did not start"
    return 1
}

# Stops the server of a data directory: `pg_ctl stop -m fast`, and as a last resort kill -9
# of the postmaster we started, by the pid it recorded. Returns 1 when there was nothing to
# stop (no postmaster.pid). Used by pg_throwaway_stop and replica_throwaway_stop.
#   pg_stop_data_dir DATA_DIR [LOG_PREFIX]
pg_stop_data_dir() {
    local data=$1 prefix=${2:-postgres}
    [[ -f $data/postmaster.pid ]] || return 1
    if ! (cd / && pg_as_user "$ALCHEMY_PG_BIN/pg_ctl" -D "$data" -m fast -w -t 30 stop) >/dev/null 2>&1; then
        local pid
        pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
        if [[ $pid =~ ^[0-9]+$ ]]; then
            printf '%s: pg_ctl stop failed; killing postmaster %s\n' "$prefix" "$pid" >&2
            kill -9 "$pid" 2>/dev/null || true
            sleep 1
        fi
    fi
    return 0
}

pg_throwaway_stop() {
    [[ -n $PG_TMP_DIR && -d $PG_TMP_DIR ]] || return 0
    if pg_stop_data_dir "$PG_TMP_DIR/data" postgres; then
        pg_log "stopped"
    fi
    rm -rf "$PG_TMP_DIR"
    PG_TMP_DIR=""
}
