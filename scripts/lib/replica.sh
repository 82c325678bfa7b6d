# shellcheck shell=bash
# scripts/lib/replica.sh — start and stop a throwaway hot-standby streaming replica of the
# throwaway PostgreSQL of scripts/lib/postgres.sh (source that first and start the server).
# Sourced by scripts/run-tests; not meant to be run on its own.
#
#   replica_throwaway_start   `pg_basebackup -R` of the running server into a fresh
#                             `mktemp -d` directory, start it as a hot standby on a free
#                             loopback port, wait until the server's pg_stat_replication
#                             shows it streaming, export the variables below
#   replica_throwaway_stop    `pg_ctl stop -m fast`, then remove the directory; safe to call
#                             more than once and when the start failed half-way (use it in a
#                             trap, before pg_throwaway_stop)
#
# It runs as the server's OS user (pg_as_user of postgres.sh), listens on 127.0.0.1 only
# with its own unix socket inside its temp directory, and copies the server's trust
# authentication (pg_hba.conf comes with the base backup). It streams over TCP from
# 127.0.0.1 without a replication slot; the server keeps wal_keep_size = 256MB of WAL, so a
# test may stop the standby (`"$ALCHEMY_REPLICA_CTL" stop -m fast`) and start it again, and
# it catches up and streams again a moment later. Replication is asynchronous, and the
# server commits with synchronous_commit = off: a row committed on the server shows up on the
# standby a little later (well under a second), not at once; tests wait for it. Its
# cluster_name, and so its application_name in pg_stat_replication, is "alchemy-replica".
# fsync is off: the data is thrown away.
#
# Input (optional):
#   ALCHEMY_REPLICA_WAIT_SECONDS  how long to wait for the standby to stream (default 60)
#
# Exported once started:
#   ALCHEMY_TEST_REPLICA_URL    postgresql://<user>@127.0.0.1:<port>/postgres (read-only:
#                               writes fail with SQLSTATE 25006)
#   ALCHEMY_REPLICA_PORT        the TCP port
#   ALCHEMY_REPLICA_DATA        the data directory (pg_ctl -D)
#   ALCHEMY_REPLICA_SOCKET_DIR  the unix socket directory
#   ALCHEMY_REPLICA_LOG         the standby's log file
#   ALCHEMY_REPLICA_CTL         a ready-made pg_ctl for the standby, like ALCHEMY_PG_CTL:
#                               `"$ALCHEMY_REPLICA_CTL" stop -m fast`, then `... start`
#                               (adds -D, -l and -w, and switches to ALCHEMY_PG_CTL_USER when
#                               called as root)

REPLICA_TMP_DIR=""
REPLICA_NAME=alchemy-replica

replica_log() { printf 'replica: %s\n' "$*" >&2; }

# Runs a query on the primary and prints the unaligned result.
replica_primary_query() {
    "$ALCHEMY_PG_BIN/psql" -X -A -t -q -h 127.0.0.1 -p "$ALCHEMY_PG_PORT" -U "$PG_RUN_AS" \
        -d postgres -c "$1"
}

# Waits until the server's pg_stat_replication shows the standby streaming.
#   replica_wait_streaming SECONDS
replica_wait_streaming() {
    local seconds=$1 deadline state
    deadline=$((SECONDS + seconds))
    while ((SECONDS < deadline)); do
        state=$(replica_primary_query "SELECT state FROM pg_stat_replication
                                       WHERE application_name = '$REPLICA_NAME'" 2>/dev/null || true)
        [[ $state == streaming ]] && return 0
        sleep 0.1
    done
    replica_log "not streaming after ${seconds}s (pg_stat_replication state: '${state:-none}')"
    return 1
}

replica_write_config() {
    local data=$1 socket_dir=$2
    cat >>"$data/postgresql.conf" <<EOF

# --- alchemy throwaway hot standby (scripts/lib/replica.sh); overrides the server's ---
unix_socket_directories = '$socket_dir'
cluster_name = '$REPLICA_NAME'
hot_standby = on
fsync = off
# Reconnect soon when the server was restarted (a test's "\$ALCHEMY_PG_CTL" restart).
wal_retrieve_retry_interval = 1s
EOF
}

replica_throwaway_start() {
    if [[ -z ${ALCHEMY_PG_PORT:-} || -z ${PG_RUN_AS:-} || -z ${ALCHEMY_PG_BIN:-} ]]; then
        replica_log "start the PostgreSQL server first (pg_throwaway_start)"
        return 1
    fi
    if [[ ! -x $ALCHEMY_PG_BIN/pg_basebackup ]]; then
        replica_log "pg_basebackup not found in $ALCHEMY_PG_BIN"
        return 1
    fi

    REPLICA_TMP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/alchemy-replica.XXXXXX") || return 1
    local data=$REPLICA_TMP_DIR/data socket_dir=$REPLICA_TMP_DIR/socket
    local log=$REPLICA_TMP_DIR/postgres.log ctl=$REPLICA_TMP_DIR/pg_ctl
    mkdir -m 755 "$socket_dir" || return 1
    chmod 755 "$REPLICA_TMP_DIR" || return 1
    : >"$log" || return 1
    if [[ $(id -u) -eq 0 ]]; then
        chown -R "$PG_RUN_AS:" "$REPLICA_TMP_DIR" || return 1
    fi

    local started=$SECONDS
    replica_log "pg_basebackup -R of 127.0.0.1:$ALCHEMY_PG_PORT into $data (as $PG_RUN_AS)"
    # pg_basebackup creates the data directory (mode 700). -R writes standby.signal and
    # primary_conninfo; -X stream copies the WAL the backup needs; -c fast checkpoints now.
    if ! (cd / && pg_as_user "$ALCHEMY_PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$ALCHEMY_PG_PORT" \
            -U "$PG_RUN_AS" -D "$data" -R -X stream -c fast --no-sync) \
            >"$REPLICA_TMP_DIR/basebackup.log" 2>&1; then
        cat "$REPLICA_TMP_DIR/basebackup.log" >&2
        replica_log "pg_basebackup failed"
        return 1
    fi
    replica_write_config "$data" "$socket_dir" || return 1

    local attempt port
    for attempt in 1 2 3 4 5; do
        port=$(pg_free_port) || return 1
        # The base backup brought the server's alchemy_port.conf along; this replaces it.
        printf "port = %s\n" "$port" >"$data/alchemy_port.conf" || return 1
        if [[ $(id -u) -eq 0 ]]; then
            chown "$PG_RUN_AS:" "$data/alchemy_port.conf" "$data/postgresql.conf" || return 1
        fi
        if (cd / && pg_as_user "$ALCHEMY_PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 start) >/dev/null; then
            ALCHEMY_REPLICA_PORT=$port
            ALCHEMY_REPLICA_DATA=$data
            ALCHEMY_REPLICA_SOCKET_DIR=$socket_dir
            ALCHEMY_REPLICA_LOG=$log
            ALCHEMY_REPLICA_CTL=$ctl
            ALCHEMY_TEST_REPLICA_URL="postgresql://$PG_RUN_AS@127.0.0.1:$port/postgres"
            pg_write_ctl_wrapper "$ctl" "$data" "$log" "the alchemy throwaway hot standby" || return 1
            if ! replica_wait_streaming "${ALCHEMY_REPLICA_WAIT_SECONDS:-60}"; then
                tail -n 30 "$log" >&2 || true
                return 1
            fi
            export ALCHEMY_TEST_REPLICA_URL ALCHEMY_REPLICA_PORT ALCHEMY_REPLICA_DATA \
                ALCHEMY_REPLICA_SOCKET_DIR ALCHEMY_REPLICA_LOG ALCHEMY_REPLICA_CTL
            replica_log "hot standby streaming from 127.0.0.1:$ALCHEMY_PG_PORT on 127.0.0.1:$port ($((SECONDS - started))s)"
            return 0
        fi
        if grep -q "could not bind\|Address already in use" "$log" 2>/dev/null; then
            replica_log "port $port was taken; trying another (attempt $attempt)"
            continue
        fi
        break
    done
    tail -n 30 "$log" >&2 || true
    replica_log "the standby did not start"
    return 1
}

replica_throwaway_stop() {
    [[ -n $REPLICA_TMP_DIR && -d $REPLICA_TMP_DIR ]] || return 0
    if pg_stop_data_dir "$REPLICA_TMP_DIR/data" replica; then
        replica_log "stopped"
    fi
    rm -rf "$REPLICA_TMP_DIR"
    REPLICA_TMP_DIR=""
}
