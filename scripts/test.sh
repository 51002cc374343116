#!/usr/bin/env bash
# `make test` (`scripts/test.sh`): build, run `swift test`, then the Python
# system tests (Tests/system, the offline checks of the repository's files
# among them) against the real processes. `make system-test`
# (`scripts/test.sh system`): only the system tests.
#
# Always on fresh stores in a temporary folder removed on exit: any
# DATABASE_URL, REDIS_URL or JWT_PRIVATE_KEY_FILE from the caller is ignored.
# Exported for the tests:
#   TEST_DATABASE_URL, TEST_REDIS_URL  the throwaway stores
#   JWT_PRIVATE_KEY_FILE               a throwaway ES256 key
#   SERVICE_BIN_DIR                    the debug build's bin path, unless the
#                                      caller set it (then nothing is built
#                                      for the system tests)
#   REDIS_SERVER_BIN                   redis-server, for private servers
#   SYSTEM_TEST_PORTS                  loopback ports the system tests may
#                                      listen on (default 10000-19999)
#   SYSTEM_TEST_OUTPUT                 logs and tally.json (default
#                                      .build/system-test/<time>)
# SWIFT_TEST_ARGS adds arguments to `swift test`, e.g. "--filter AuthTests";
# SYSTEM_TEST_ARGS adds pytest arguments, e.g. "-k hostile" (a Tests/system
# path replaces the default target).
# SYSTEM_TEST_GATEWAY_URL with SYSTEM_TEST_ADMIN_PASSWORD (system mode only):
# test the running system behind that gateway instead (make compose-test
# does): no stores, no build, Tests/system/frontends by default, and only the
# tests that need no more than a default system seen from outside
# (Tests/system/support/external.py).
# The Python packages of Tests/system/requirements.txt go into a venv in
# .build/system-venv (created or updated when the requirements change).
# Whatever the tests started is ended on exit, however the script is stopped.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"
# shellcheck source=scripts/lib/keys.sh
source "$REPO_ROOT/scripts/lib/keys.sh"
# shellcheck source=scripts/lib/launcher.sh
source "$REPO_ROOT/scripts/lib/launcher.sh"

MODE="${1:-all}"
VENV_DIR="$REPO_ROOT/.build/system-venv"
REQUIREMENTS="$REPO_ROOT/Tests/system/requirements.txt"
PYTHON_BIN=/usr/bin/python3 # Debian's, so the venv does not depend on a per-user Python
PHASE="setup"
STATE_DIR=""
PYTEST_PID=""

# End, by the ids the harness recorded, whatever a killed run left behind,
# and delete its temporary folders.
stop_leftovers() {
    local record="${SYSTEM_TEST_OUTPUT:-}/cleanup.txt" kind pid start name stat fields=() pids=() i path
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
    for ((i = 0; i < 50; i++)); do
        local alive=0
        for pid in "${pids[@]}"; do pid_alive "$pid" && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do
        pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    done
    while read -r kind path; do
        [[ "$kind" == dir && "$path" == /tmp/sys-* && -d "$path" ]] && rm -rf -- "$path"
    done <"$record"
    return 0
}

# Stop pytest (it stops every process it started), the stores, what a killed
# run left; remove the throwaway folder; say which phase failed. Runs once,
# with later signals ignored (on_exit): make passes a group's SIGTERM on.
cleanup() {
    local rc=$1
    if [[ -n "$PYTEST_PID" ]] && pid_alive "$PYTEST_PID"; then
        # pytest turns SIGTERM into an interrupt and stops every process it started.
        stop_pid "$PYTEST_PID" 60
    fi
    stop_launcher
    stop_leftovers
    [[ -n "$STATE_DIR" ]] && rm -rf -- "$STATE_DIR"
    if ((rc != 0)); then
        log_error "FAILED in phase '$PHASE' (exit status $rc); system test logs in ${SYSTEM_TEST_OUTPUT:-?}"
    else
        log_info "passed; system test logs in ${SYSTEM_TEST_OUTPUT:-?}"
    fi
}
on_exit cleanup

phase() {
    PHASE="$1"
    log_info "=== phase: $PHASE"
}

# Create the venv if missing or broken, and install the requirements when
# they changed since the last install. Locked: helpers may share a checkout.
ensure_venv() {
    # chromium and its driver run the web app's browser suite; aiosmtpd is the mail suites' SMTP
    # server (compose/images/mail/mailcatcher.py, run by Debian's python3, not the venv).
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

start_test_stores() {
    ensure_stack_packages
    unset DATABASE_URL REDIS_URL JWT_PRIVATE_KEY_FILE
    STATE_DIR="$(mktemp -d /tmp/authstack-test.XXXXXX)"
    chmod 755 "$STATE_DIR" # the postgres user must be able to enter it
    # The harness's own stores (launcher.sh), on ports of the tests' range.
    start_launcher "$STATE_DIR" "$SYSTEM_TEST_PORTS"
    start_stores
    export TEST_DATABASE_URL="$DATABASE_URL" TEST_REDIS_URL="$REDIS_URL"
    REDIS_SERVER_BIN="$(command -v redis-server)"
    export REDIS_SERVER_BIN
    ensure_dev_key "$STATE_DIR/jwt-dev-key.pem"
}

# pytest in the background, so that a signal to this script is handled at once
# (the trap stops pytest, which stops its services) rather than after it ends.
run_system_tests() {
    local extra=() targets=(Tests/system) arg rc=0
    [[ -n "${SYSTEM_TEST_GATEWAY_URL:-}" ]] && targets=(Tests/system/frontends)
    read -r -a extra <<<"${SYSTEM_TEST_ARGS:-}"
    for arg in "${extra[@]}"; do
        [[ "$arg" == Tests/system* ]] && targets=() # the caller named what to run
    done
    log_info "python -m pytest ${targets[*]} ${extra[*]} (ports $SYSTEM_TEST_PORTS, output $SYSTEM_TEST_OUTPUT)"
    PYTHONDONTWRITEBYTECODE=1 "$VENV_DIR/bin/python" -m pytest "${targets[@]}" "${extra[@]}" </dev/null &
    PYTEST_PID=$!
    wait "$PYTEST_PID" || rc=$?
    PYTEST_PID=""
    ((rc != 5)) || log_error "pytest collected no test: SYSTEM_TEST_ARGS='${SYSTEM_TEST_ARGS:-}' selects nothing"
    return "$rc"
}

main() {
    cd "$REPO_ROOT"
    [[ "$MODE" == all || "$MODE" == system ]] || die "usage: scripts/test.sh [system]"
    [[ "$MODE" == system || -z "${SYSTEM_TEST_GATEWAY_URL:-}" ]] ||
        die "SYSTEM_TEST_GATEWAY_URL tests a running system: use make system-test"
    mkdir -p "${SYSTEM_TEST_OUTPUT:=$REPO_ROOT/.build/system-test/$(date +%Y%m%d-%H%M%S)-$$}"
    SYSTEM_TEST_OUTPUT="$(cd "$SYSTEM_TEST_OUTPUT" && pwd -P)"
    export SYSTEM_TEST_OUTPUT SYSTEM_TEST_PORTS="${SYSTEM_TEST_PORTS:-10000-19999}"

    phase "packages"
    ensure_venv
    if [[ -n "${SYSTEM_TEST_GATEWAY_URL:-}" ]]; then
        [[ -n "${SYSTEM_TEST_ADMIN_PASSWORD:-}" ]] || die "SYSTEM_TEST_GATEWAY_URL needs SYSTEM_TEST_ADMIN_PASSWORD"
        log_info "testing the running system behind $SYSTEM_TEST_GATEWAY_URL"
    else
        phase "stores"
        start_test_stores
        phase "build"
        if [[ "$MODE" == all ]]; then
            ensure_swift
            swift build --build-tests
        elif [[ -z "${SERVICE_BIN_DIR:-}" ]]; then
            ensure_swift
            swift build
        fi
        SERVICE_BIN_DIR="${SERVICE_BIN_DIR:-$(swift build --show-bin-path)}"
        export SERVICE_BIN_DIR
        log_info "services from $SERVICE_BIN_DIR"
    fi

    if [[ "$MODE" == all ]]; then
        phase "swift test"
        local extra=()
        read -r -a extra <<<"${SWIFT_TEST_ARGS:-}"
        swift test "${extra[@]}"
    fi

    phase "system tests"
    run_system_tests
    PHASE="done"
}

main "$@"
