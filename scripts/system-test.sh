#!/usr/bin/env bash
# `make system-test`: the Python system tests (Tests/system) against the real
# Gateway, AuthService and ContentService processes.
#
# Reuses what the caller provides and makes the rest:
#   TEST_DATABASE_URL, TEST_REDIS_URL, JWT_PRIVATE_KEY_FILE
#       all three set (make test does): used as they are; otherwise a
#       throwaway PostgreSQL and Redis and key are made here, removed on exit
#   SERVICE_BIN_DIR     unset: `swift build` (debug) and its bin path
#   REDIS_SERVER_BIN    unset: redis-server on PATH
#   SYSTEM_TEST_PORTS   loopback ports the tests may listen on (default
#                       10000-19999; always below 32768)
#   SYSTEM_TEST_OUTPUT  logs and tally.json (default .build/system-test/<time>)
#   SYSTEM_TEST_ARGS    extra pytest arguments, e.g. "-k hostile" or
#                       "Tests/system/hostile/test_protocol.py -x"
#   SYSTEM_TEST_GATEWAY_URL, SYSTEM_TEST_ADMIN_PASSWORD
#                       test a running system through that gateway instead
#                       (make compose-test does): no stores, no binaries,
#                       Tests/system/frontends by default, and only the tests
#                       that need no more than a default system seen from
#                       outside (Tests/system/support/external.py)
# The Python packages of Tests/system/requirements.txt go into a venv in
# .build/system-venv (created or updated when the requirements change).
# Whatever the tests started is ended on exit, however the script is stopped.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"
# shellcheck source=scripts/lib/stores.sh
source "$REPO_ROOT/scripts/lib/stores.sh"
# shellcheck source=scripts/lib/keys.sh
source "$REPO_ROOT/scripts/lib/keys.sh"

VENV_DIR="$REPO_ROOT/.build/system-venv"
REQUIREMENTS="$REPO_ROOT/Tests/system/requirements.txt"
PYTHON_BIN=/usr/bin/python3 # Debian's, so the venv does not depend on a per-user Python
STATE_DIR=""
PYTEST_PID=""

# End, by the ids the harness recorded, whatever a killed run left behind,
# and delete its temporary folders.
stop_leftovers() {
    local record="${SYSTEM_TEST_OUTPUT:-}/cleanup.txt" kind pid start name stat fields=() pids=()
    [[ -n "${SYSTEM_TEST_OUTPUT:-}" && -f "$record" ]] || return 0
    while read -r kind pid start name; do
        [[ "$kind" == pid && "$pid" =~ ^[0-9]+$ ]] || continue
        pid_alive "$pid" || continue
        stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
        stat="${stat##*) }"
        read -r -a fields <<<"$stat"
        [[ "${fields[19]}" == "$start" ]] || continue # the pid was reused: not ours
        log_warn "ending leftover $name (pid $pid)"
        kill -CONT "$pid" 2>/dev/null || true
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$pid")
    done <"$record"
    local i
    for ((i = 0; i < 50; i++)); do
        local alive=0
        for pid in "${pids[@]}"; do pid_alive "$pid" && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do
        pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    done
    local path
    while read -r kind path; do
        [[ "$kind" == dir && "$path" == /tmp/sys-* && -d "$path" ]] && rm -rf -- "$path"
    done <"$record"
    return 0
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    trap '' PIPE # a closed terminal/pipe must not cut the cleanup short
    set +e
    if [[ -n "$PYTEST_PID" ]] && pid_alive "$PYTEST_PID"; then
        # pytest turns SIGTERM into an interrupt and stops every process it started.
        stop_pid "$PYTEST_PID" 60
    fi
    stop_leftovers
    stop_stores
    [[ -n "$STATE_DIR" ]] && remove_state_dir "$STATE_DIR"
    if ((rc != 0)); then
        log_error "system tests FAILED (exit status $rc); logs in ${SYSTEM_TEST_OUTPUT:-?}"
    else
        log_info "system tests passed; logs in ${SYSTEM_TEST_OUTPUT:-?}"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Create the venv if missing or broken, and install the requirements when
# they changed since the last install. Locked: helpers may share a checkout.
ensure_venv() {
    # chromium and its driver run the web app's browser suite; aiosmtpd is the mail suites' SMTP
    # server (scripts/mail/mailcatcher.py, run by Debian's python3, not the venv).
    ensure_packages python3 python3-venv chromium chromium-driver python3-aiosmtpd
    mkdir -p "$(dirname "$VENV_DIR")"
    exec 9>"$VENV_DIR.lock"
    flock 9
    local wanted stamp="$VENV_DIR/.requirements.sha256"
    wanted="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
    if ! "$VENV_DIR/bin/python" -c 'import sys' 2>/dev/null; then
        log_info "creating the Python venv in $VENV_DIR"
        rm -rf "$VENV_DIR"
        "$PYTHON_BIN" -m venv "$VENV_DIR"
    fi
    if [[ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
        log_info "installing $REQUIREMENTS"
        "$VENV_DIR/bin/python" -m pip install --disable-pip-version-check -q -r "$REQUIREMENTS"
        printf '%s\n' "$wanted" >"$stamp"
    fi
    flock -u 9
    exec 9>&-
}

# Reuse the caller's stores and key when all are given, else make throwaway ones.
ensure_stores() {
    if [[ -n "${TEST_DATABASE_URL:-}" && -n "${TEST_REDIS_URL:-}" && -n "${JWT_PRIVATE_KEY_FILE:-}" ]]; then
        log_info "using the caller's TEST_DATABASE_URL, TEST_REDIS_URL and JWT_PRIVATE_KEY_FILE"
    else
        ensure_stack_packages
        unset DATABASE_URL REDIS_URL JWT_PRIVATE_KEY_FILE
        STATE_DIR="$(mktemp -d /tmp/authstack-systest.XXXXXX)"
        chmod 755 "$STATE_DIR" # the postgres user must be able to enter it
        # shellcheck disable=SC2034 # read by start_stores (stores.sh)
        STORES_EPHEMERAL=1
        start_stores "$STATE_DIR"
        export TEST_DATABASE_URL="$DATABASE_URL" TEST_REDIS_URL="$REDIS_URL"
        ensure_dev_key "$STATE_DIR/jwt-dev-key.pem"
    fi
    if [[ -z "${REDIS_SERVER_BIN:-}" ]]; then
        REDIS_SERVER_BIN="$(command -v redis-server)" || die "redis-server not found (package redis-server)"
    fi
    export REDIS_SERVER_BIN
}

ensure_binaries() {
    if [[ -z "${SERVICE_BIN_DIR:-}" ]]; then
        ensure_swift
        log_info "SERVICE_BIN_DIR is unset: building (debug)"
        (cd "$REPO_ROOT" && swift build)
        SERVICE_BIN_DIR="$(cd "$REPO_ROOT" && swift build --show-bin-path)"
    fi
    export SERVICE_BIN_DIR
    log_info "services from $SERVICE_BIN_DIR"
}

main() {
    cd "$REPO_ROOT"
    if [[ -z "${SYSTEM_TEST_OUTPUT:-}" ]]; then
        SYSTEM_TEST_OUTPUT="$REPO_ROOT/.build/system-test/$(date +%Y%m%d-%H%M%S)-$$"
    fi
    mkdir -p "$SYSTEM_TEST_OUTPUT"
    SYSTEM_TEST_OUTPUT="$(cd "$SYSTEM_TEST_OUTPUT" && pwd -P)"
    export SYSTEM_TEST_OUTPUT
    export SYSTEM_TEST_PORTS="${SYSTEM_TEST_PORTS:-10000-19999}"

    ensure_venv
    local extra=() targets=(Tests/system) arg rc=0
    if [[ -n "${SYSTEM_TEST_GATEWAY_URL:-}" ]]; then
        [[ -n "${SYSTEM_TEST_ADMIN_PASSWORD:-}" ]] || die "SYSTEM_TEST_GATEWAY_URL needs SYSTEM_TEST_ADMIN_PASSWORD"
        log_info "testing the running system behind $SYSTEM_TEST_GATEWAY_URL"
        targets=(Tests/system/frontends)
    else
        ensure_stores
        ensure_binaries
    fi

    read -r -a extra <<<"${SYSTEM_TEST_ARGS:-}"
    for arg in "${extra[@]}"; do
        [[ "$arg" == Tests/system* ]] && targets=() # the caller named what to run
    done
    log_info "python -m pytest ${targets[*]} ${extra[*]} (ports $SYSTEM_TEST_PORTS, output $SYSTEM_TEST_OUTPUT)"
    # In the background so that a signal to this script is handled at once (the
    # trap stops pytest, which stops its services) rather than after pytest ends.
    PYTHONDONTWRITEBYTECODE=1 "$VENV_DIR/bin/python" -m pytest "${targets[@]}" "${extra[@]}" </dev/null &
    PYTEST_PID=$!
    wait "$PYTEST_PID" || rc=$?
    PYTEST_PID=""
    if ((rc == 5)); then
        log_error "pytest collected no test: SYSTEM_TEST_ARGS='${SYSTEM_TEST_ARGS:-}' selects nothing"
    fi
    return "$rc"
}

main "$@"
