#!/bin/bash
# Container health check without curl: GET PATH on 127.0.0.1:PORT through
# bash's /dev/tcp, healthy on a 200.
#
#   healthcheck.sh [PORT [PATH]]     PATH defaults to /health/ready
#
# Without PORT, the port of the service running as PID 1 is used
# (GATEWAY_PORT / AUTH_PORT / CONTENT_PORT or their defaults).
set -u

port="${1:-}"
path="${2:-/health/ready}"
if [[ -z "$port" ]]; then
    case "$(cat /proc/1/comm 2>/dev/null)" in
    Gateway) port="${GATEWAY_PORT:-8080}" ;;
    AuthService) port="${AUTH_PORT:-8082}" ;;
    ContentService) port="${CONTENT_PORT:-8083}" ;;
    *)
        echo "healthcheck: no port given and PID 1 is no known service" >&2
        exit 1
        ;;
    esac
fi

exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
read -r -t 3 _ status _ <&3 || exit 1
exec 3<&-
if [[ "$status" == 200 ]]; then
    exit 0
fi
echo "healthcheck: GET $path answered ${status:-nothing}" >&2
exit 1
