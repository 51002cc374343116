#!/bin/bash
# Healthy when Redis answers PING with the configured password.
if [[ -n "${REDIS_PASSWORD_FILE:-}" ]]; then
    REDIS_PASSWORD="$(<"$REDIS_PASSWORD_FILE")"
fi
[[ "$(REDISCLI_AUTH="${REDIS_PASSWORD:-}" redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" == PONG ]]
