#!/usr/bin/env bash
# `make run`: build the three services in release mode and run them locally
# with PostgreSQL and Redis, until it is told to stop or one of them dies.
#
# State (database, Redis data, JWT and MFA dev keys, mail) lives in .local/ in the checkout
# and is kept between runs; `make clean-state` removes it.
#
# However it is stopped, it stops everything it started (the services first,
# then Redis and PostgreSQL) and exits: Ctrl-C (SIGINT), SIGTERM to the script
# or to its whole process group (`timeout 30 make run`, a supervisor), SIGHUP
# (the terminal closed), SIGQUIT, or one service exiting (status 1 or the
# service's own). Should the script itself be SIGKILLed, the services still
# get SIGTERM (PR_SET_PDEATHSIG) and the stores stop (the harness's launcher,
# scripts/lib/launcher.sh, which starts them, sees its input end).
# Tests/system/operations/test_make_run_stops.py proves each of these.
#
# Environment: everything set by the caller reaches the services. Preset
# DATABASE_URL / REDIS_URL / JWT_PRIVATE_KEY_FILE / MFA_ENCRYPTION_KEY_FILE / SMTP_URL to use your own
# instead of the local ones (without SMTP_URL a local SMTP server keeps every
# mail in .local/mail/ and prints one line per mail, with its link). GATEWAY_PORT (default 8080) is where readiness is checked;
# READY_TIMEOUT (default 120 s) is how long to wait for it.
# With SESSION_COOKIES=on or only and a gateway on loopback (plain http), it sets
# SESSION_COOKIE_SECURE=false unless the caller set it: a browser keeps no
# Secure cookie from http://localhost, so the session would be lost.
#   RUN_BIN_DIR    run the Gateway, AuthService and ContentService binaries in
#                  this folder instead of building (any build: the stop check
#                  uses the debug build `make test` already has)
#   RUN_STATE_DIR  the state folder instead of .local/ (created if missing)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"
# shellcheck source=scripts/lib/launcher.sh
source "$REPO_ROOT/scripts/lib/launcher.sh"
# shellcheck source=scripts/lib/keys.sh
source "$REPO_ROOT/scripts/lib/keys.sh"
# shellcheck source=scripts/lib/mail.sh
source "$REPO_ROOT/scripts/lib/mail.sh"

STATE_DIR="${RUN_STATE_DIR:-$REPO_ROOT/.local}"
SERVICES=(AuthService ContentService Gateway)
declare -A LOG_PREFIX=(
    [AuthService]='[auth]    '
    [ContentService]='[content] '
    [Gateway]='[gateway] '
)
export GATEWAY_PORT="${GATEWAY_PORT:-8080}"
# Where the links in mails point: this gateway's web app, unless set.
export PUBLIC_URL="${PUBLIC_URL:-http://127.0.0.1:$GATEWAY_PORT}"
READY_URL="http://127.0.0.1:$GATEWAY_PORT/health/ready"
COOKIE_NOTE=""
SESSION_COOKIES_MODE="${SESSION_COOKIES:-off}"
case "${SESSION_COOKIES_MODE,,}" in
on | only)
    case "${GATEWAY_HOST:-127.0.0.1}" in
    127.0.0.1 | localhost | ::1 | "[::1]")
        if [[ -z "${SESSION_COOKIE_SECURE:-}" ]]; then
            export SESSION_COOKIE_SECURE=false
            COOKIE_NOTE="SESSION_COOKIES=${SESSION_COOKIES}: SESSION_COOKIE_SECURE=false (plain http on loopback; never in production)"
        fi
        ;;
    esac
    ;;
esac

SERVICE_PIDS=()
declare -A SERVICE_NAME=() # pid -> name

# Stop the services (SIGTERM to all, then wait, SIGKILL after 10 s), then the
# local SMTP server and the stores. Runs once, with further signals ignored (on_exit).
# shellcheck disable=SC2317,SC2329 # invoked through on_exit
cleanup() {
    local pid
    for pid in "${SERVICE_PIDS[@]}"; do
        pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${SERVICE_PIDS[@]}"; do
        stop_pid "$pid" 10
    done
    stop_mail_server
    stop_launcher
    log_info "stopped everything"
}
on_exit cleanup

# Start service NAME from BIN_DIR in the background, its output prefixed.
start_service() {
    local name="$1" bin="$2/$1" prefix="${LOG_PREFIX[$1]}"
    [[ -x "$bin" ]] || die "$bin not found"
    # setsid keeps a terminal's Ctrl-C and a signal to our process group away
    # from the service: cleanup stops it, in order. DIE_WITH_PARENT stops it
    # should this script be killed outright. sed ignores the stop signals so
    # that it forwards output until the service closes its end.
    setsid "${DIE_WITH_PARENT[@]}" "$bin" </dev/null \
        > >(trap '' INT TERM HUP QUIT && exec sed -u "s/^/$prefix/") 2>&1 &
    SERVICE_PIDS+=("$!")
    SERVICE_NAME[$!]="$name"
    log_info "started $name (pid $!)"
}

# Set BIN_DIR: RUN_BIN_DIR as given, or a release build.
find_binaries() {
    if [[ -n "${RUN_BIN_DIR:-}" ]]; then
        BIN_DIR="$(cd "$RUN_BIN_DIR" && pwd)" || die "RUN_BIN_DIR=$RUN_BIN_DIR is not a folder"
        log_info "using the binaries in RUN_BIN_DIR=$BIN_DIR (no build)"
        return 0
    fi
    ensure_swift
    log_info "building (swift build -c release)"
    swift build -c release
    BIN_DIR="$(swift build -c release --show-bin-path)"
}

# Print URL with its password replaced by ***.
mask_password() {
    sed -E 's#(://[^:/@]*:)[^@]*@#\1***@#' <<<"$1"
}

main() {
    cd "$REPO_ROOT"
    ensure_stack_packages

    if port_in_use "$GATEWAY_PORT"; then
        die "port $GATEWAY_PORT is already in use: stop what listens there or set GATEWAY_PORT"
    fi

    install -d -m 755 "$STATE_DIR"
    rm -rf "$STATE_DIR/launcher" # the last run's record of what it started
    start_launcher "$STATE_DIR/launcher"
    start_stores "$STATE_DIR"
    start_mail_server "$STATE_DIR"
    ensure_dev_key "$STATE_DIR/jwt-dev-key.pem"
    ensure_mfa_key "$STATE_DIR/mfa-dev-key"

    find_binaries
    local name
    for name in "${SERVICES[@]}"; do
        start_service "$name" "$BIN_DIR"
    done

    if ! wait_for_http "$READY_URL" "${READY_TIMEOUT:-120}" "${SERVICE_PIDS[@]}"; then
        die "the stack did not become ready"
    fi
    cat >&2 <<EOF

  ===========================================================
    auth stack ready:  http://127.0.0.1:$GATEWAY_PORT
    PostgreSQL:        $(mask_password "$DATABASE_URL")
    Redis:             $REDIS_URL
    SMTP:              $(mask_password "$SMTP_URL") (mails: [mail] lines below$([[ -n "${_MAIL_PID}" ]] && printf ', kept in %s' "$STATE_DIR/mail"))
    state:             $STATE_DIR$([[ -n "$COOKIE_NOTE" ]] && printf '\n    cookies:           %s' "$COOKIE_NOTE")
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
