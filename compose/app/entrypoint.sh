#!/bin/sh
# Start one of the three services as PID 1 (exec, so SIGTERM reaches it and
# its graceful shutdown runs): gateway | auth | content. Anything else is run
# as a command, e.g. `docker run --rm IMAGE sh`.
set -eu

service="${1:-gateway}"
[ "$#" -gt 0 ] && shift
case "$service" in
gateway) exec /app/Gateway "$@" ;;
auth) exec /app/AuthService "$@" ;;
content) exec /app/ContentService "$@" ;;
*) exec "$service" "$@" ;;
esac
