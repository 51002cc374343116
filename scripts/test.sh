#!/usr/bin/env bash
# `make test`: build and run the test suite against throwaway PostgreSQL and
# Redis, then the Python system tests (scripts/system-test.sh, on the same
# stores and debug binaries; the offline checks of the repository's files are
# among them, Tests/system/repository).
#
# Always uses fresh stores in a temporary folder removed on exit: any
# DATABASE_URL, REDIS_URL or JWT_PRIVATE_KEY_FILE from the caller is ignored.
# Exported for the tests:
#   TEST_DATABASE_URL, TEST_REDIS_URL  the throwaway stores (also exported as
#                                      DATABASE_URL / REDIS_URL)
#   JWT_PRIVATE_KEY_FILE               a throwaway ES256 key
#   SERVICE_BIN_DIR                    `swift build --show-bin-path` (debug
#                                      Gateway, AuthService, ContentService)
#   REDIS_SERVER_BIN                   path of redis-server
# SWIFT_TEST_ARGS adds arguments to `swift test`, e.g. "--filter AuthTests";
# SYSTEM_TEST_ARGS adds pytest arguments to the system tests, e.g. "-k hostile".
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"
# shellcheck source=scripts/lib/stores.sh
source "$REPO_ROOT/scripts/lib/stores.sh"
# shellcheck source=scripts/lib/keys.sh
source "$REPO_ROOT/scripts/lib/keys.sh"

PHASE="setup"
STATE_DIR=""

# Stop the stores, remove the throwaway folder, say which phase failed.
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    trap '' PIPE # a closed terminal/pipe must not cut the cleanup short
    set +e
    # A test process that died mid-suite can orphan the services it started.
    if [[ -n "${SERVICE_BIN_DIR:-}" ]]; then
        pkill -TERM -f "^$SERVICE_BIN_DIR/(Gateway|AuthService|ContentService)\$" 2>/dev/null
    fi
    stop_stores
    [[ -n "$STATE_DIR" ]] && remove_state_dir "$STATE_DIR"
    if ((rc != 0)); then
        log_error "make test FAILED in phase '$PHASE' (exit status $rc)"
    else
        log_info "make test passed"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

phase() {
    PHASE="$1"
    log_info "=== phase: $PHASE"
}

main() {
    cd "$REPO_ROOT"

    phase "packages"
    ensure_stack_packages
    ensure_swift

    phase "stores"
    unset DATABASE_URL REDIS_URL JWT_PRIVATE_KEY_FILE
    STATE_DIR="$(mktemp -d /tmp/authstack-test.XXXXXX)"
    chmod 755 "$STATE_DIR" # the postgres user must be able to enter it
    STORES_EPHEMERAL=1 # throwaway data: skip fsync for speed (stores.sh)
    start_stores "$STATE_DIR"
    export TEST_DATABASE_URL="$DATABASE_URL"
    export TEST_REDIS_URL="$REDIS_URL"
    REDIS_SERVER_BIN="$(command -v redis-server)"
    export REDIS_SERVER_BIN

    phase "dev key"
    ensure_dev_key "$STATE_DIR/jwt-dev-key.pem"

    phase "build"
    swift build --build-tests
    SERVICE_BIN_DIR="$(swift build --show-bin-path)"
    export SERVICE_BIN_DIR

    phase "swift test"
    local extra=()
    read -r -a extra <<<"${SWIFT_TEST_ARGS:-}"
    swift test "${extra[@]}"

    phase "system tests"
    SYSTEM_TEST_OUTPUT="${SYSTEM_TEST_OUTPUT:-$REPO_ROOT/.build/system-test/$(date +%Y%m%d-%H%M%S)-$$}" \
        bash "$REPO_ROOT/scripts/system-test.sh"
    PHASE="done"
}

main "$@"
