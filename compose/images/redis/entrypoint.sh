#!/bin/bash
# Run redis-server in the foreground with compose.conf plus `requirepass` from
# REDIS_PASSWORD (or the content of REDIS_PASSWORD_FILE). The configuration is
# given on standard input, so the password never shows in the process list.
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

config="$(cat /etc/redis/compose.conf)
requirepass \"$REDIS_PASSWORD\""
unset REDIS_PASSWORD
exec redis-server - <<<"$config"
