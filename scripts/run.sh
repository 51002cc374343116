#!/usr/bin/env bash
# `make run`: build the three services in release mode and run them locally
# with PostgreSQL and Redis, until Ctrl-C / SIGTERM or until one of them dies.
#
# State (database, Redis data, JWT dev key) lives in .local/ in the checkout
# and is kept between runs; `make clean-state` removes it.
#
# Environment: everything set by the caller reaches the services. Preset
# DATABASE_URL / REDIS_URL / JWT_PRIVATE_KEY_FILE to use your own instead of
# the local ones. GATEWAY_PORT (default 8080) is where readiness is checked;
# READY_TIMEOUT (default 120 s) is how long to wait for it.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"
# shellcheck source=scripts/lib/stores.sh
source "$REPO_ROOT/scripts/lib/stores.sh"
# shellcheck source=scripts/lib/keys.sh
source "$REPO_ROOT/scripts/lib/keys.sh"

STATE_DIR="$REPO_ROOT/.local"
SERVICES=(AuthService ContentService Gateway)
declare -A LOG_PREFIX=(
    [AuthService]='[auth]    '
    [ContentService]='[content] '
    [Gateway]='[gateway] '
)
export GATEWAY_PORT="${GATEWAY_PORT:-8080}"
READY_URL="http://127.0.0.1:$GATEWAY_PORT/health/ready"

SERVICE_PIDS=()
declare -A SERVICE_NAME=() # pid -> name

# Stop the services (SIGTERM, then SIGKILL after 10 s), then the stores.
# shellcheck disable=SC2329 # invoked by the EXIT trap
cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    trap '' PIPE # a closed terminal/pipe must not cut the cleanup short
    set +e
    for pid in "${SERVICE_PIDS[@]}"; do
        pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${SERVICE_PIDS[@]}"; do
        stop_pid "$pid" 10
    done
    stop_stores
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Start service NAME from BIN_DIR in the background, its output prefixed.
start_service() {
    local name="$1" bin="$2/$1" prefix="${LOG_PREFIX[$1]}"
    [[ -x "$bin" ]] || die "$bin not found after the build"
    # setsid keeps a terminal Ctrl-C away from the service: cleanup stops it
    # in order. sed ignores INT/TERM so it keeps forwarding output until the
    # service closes its end.
    setsid "$bin" </dev/null \
        > >(trap '' INT TERM && exec sed -u "s/^/$prefix/") 2>&1 &
    SERVICE_PIDS+=("$!")
    SERVICE_NAME[$!]="$name"
    log_info "started $name (pid $!)"
}

# Print URL with its password replaced by ***.
mask_password() {
    sed -E 's#(://[^:/@]*:)[^@]*@#\1***@#' <<<"$1"
}

main() {
    cd "$REPO_ROOT"
    ensure_stack_packages
    ensure_swift

    if port_in_use "$GATEWAY_PORT"; then
        die "port $GATEWAY_PORT is already in use: stop what listens there or set GATEWAY_PORT"
    fi

    install -d -m 755 "$STATE_DIR"
    start_stores "$STATE_DIR"
    ensure_dev_key "$STATE_DIR/jwt-dev-key.pem"

    log_info "building (swift build -c release)"
    swift build -c release
    local bin_dir name
    bin_dir="$(swift build -c release --show-bin-path)"

    for name in "${SERVICES[@]}"; do
        start_service "$name" "$bin_dir"
    done

    if ! wait_for_http "$READY_URL" "${READY_TIMEOUT:-120}" "${SERVICE_PIDS[@]}"; then
        die "the stack did not become ready"
    fi
    cat >&2 <<EOF

  ===========================================================
    auth stack ready:  http://127.0.0.1:$GATEWAY_PORT
    PostgreSQL:        $(mask_password "$DATABASE_URL")
    Redis:             $REDIS_URL
    state:             $STATE_DIR
    Ctrl-C stops everything.
  ===========================================================

EOF

    # Block until a service exits; Ctrl-C / SIGTERM interrupt this via the traps.
    local rc=0 pid=""
    wait -n -p pid "${SERVICE_PIDS[@]}" || rc=$?
    log_error "${SERVICE_NAME[$pid]:-a service} exited unexpectedly (status $rc): stopping everything"
    exit $((rc == 0 ? 1 : rc))
}

main "$@"
