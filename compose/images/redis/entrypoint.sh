#!/bin/bash
# Run redis-server in the foreground with compose.conf plus `requirepass` from
# REDIS_PASSWORD (or the content of REDIS_PASSWORD_FILE). The configuration is
# given on standard input, so the password never shows in the process list.
#
# For compose/ha.yaml:
#   REDIS_REPLICA_OF=host    start as a replica of host:6379
#   SENTINEL_MONITOR=host    run a Sentinel (port 26379) watching the master
#                            host:6379 under the name SENTINEL_MASTER_NAME
#                            (default auth-backend), REDIS_PASSWORD both to
#                            reach the master and as the Sentinel's own password
set -euo pipefail

if [[ -n "${REDIS_PASSWORD_FILE:-}" ]]; then
    REDIS_PASSWORD="$(<"$REDIS_PASSWORD_FILE")"
fi
[[ -n "${REDIS_PASSWORD:-}" ]] || {
    echo "redis: set REDIS_PASSWORD or REDIS_PASSWORD_FILE" >&2
    exit 1
}
[[ "$REDIS_PASSWORD" != *[[:space:]\"\\]* ]] || {
    echo "redis: REDIS_PASSWORD must not contain spaces, quotes or backslashes" >&2
    exit 1
}

# The address HOST resolves to. Redis and Sentinel are given addresses, not names: once the master's
# container is gone its name stops resolving, and each blocking lookup (no DNS server answers on an
# internal network) stalls the replica or Sentinel that makes it, failover included.
address_of() {
    local address
    address="$(getent hosts "$1" | awk '{ print $1; exit }')"
    [[ -n "$address" ]] || {
        echo "redis: $1 does not resolve" >&2
        exit 1
    }
    printf '%s\n' "$address"
}

if [[ -n "${SENTINEL_MONITOR:-}" ]]; then
    # Sentinel rewrites its file with what it learns (the current master, the
    # others); a restart keeps that, so the file is written only once.
    name="${SENTINEL_MASTER_NAME:-auth-backend}"
    if [[ ! -s /data/sentinel.conf ]]; then
        master="$(address_of "$SENTINEL_MONITOR")"
        umask 077
        cat >/data/sentinel.conf <<CONF
port 26379
bind * -::*
dir /data
requirepass "$REDIS_PASSWORD"
sentinel sentinel-pass "$REDIS_PASSWORD"
sentinel monitor $name $master 6379 2
sentinel auth-pass $name "$REDIS_PASSWORD"
sentinel down-after-milliseconds $name 2000
sentinel failover-timeout $name 10000
sentinel parallel-syncs $name 1
CONF
    fi
    unset REDIS_PASSWORD
    exec redis-server /data/sentinel.conf --sentinel
fi

# masterauth too: after a failover Sentinel may make any node a replica.
config="$(cat /etc/redis/compose.conf)
requirepass \"$REDIS_PASSWORD\"
masterauth \"$REDIS_PASSWORD\""
if [[ -n "${REDIS_REPLICA_OF:-}" ]]; then
    config+="
replicaof $(address_of "$REDIS_REPLICA_OF") 6379"
fi
unset REDIS_PASSWORD
exec redis-server - <<<"$config"
