#!/bin/bash
# Healthy when Redis (or, with SENTINEL_MONITOR, the Sentinel) answers PING
# with the configured password.
if [[ -n "${REDIS_PASSWORD_FILE:-}" ]]; then
    REDIS_PASSWORD="$(<"$REDIS_PASSWORD_FILE")"
fi
port=6379
[[ -n "${SENTINEL_MONITOR:-}" ]] && port=26379
[[ "$(REDISCLI_AUTH="${REDIS_PASSWORD:-}" redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]]
