#!/usr/bin/env bash
# Check: `make run` stops everything it started, however it is stopped.
#
# Starts `make run` (scripts/run.sh with RUN_BIN_DIR=$SERVICE_BIN_DIR, the
# debug build `make test` already has, so no release build) in a session of
# its own, on throwaway state and free loopback ports, and for each way of
# stopping it waits until the stack is ready, stops it, and then requires that
# make has exited and that no process it started is left: the three services,
# Redis and PostgreSQL. The processes of the run are found by a marker in
# their environment (run.sh passes the caller's environment on to everything
# it starts) and, for the stores (Redis overwrites its environment with its
# process title), by a working directory inside the throwaway state folder
# and by the ports the run's log says they listen on.
#
# The ways of stopping:
#   int-group    SIGINT to the process group (Ctrl-C in a terminal)
#   term-group   SIGTERM to the process group (`kill -TERM -PGID`, a supervisor)
#   term-twice   SIGTERM to the group, and 0.3 s later to run.sh again: what make
#                does (it passes a SIGTERM on to its child) when it loses the race
#                that term-group and timeout usually win, made certain
#   timeout      `timeout ... make run` expiring (SIGTERM to make, then to the group)
#   term-script  SIGTERM to scripts/run.sh alone
#   hup-group    SIGHUP to the process group (the terminal closed)
#   crash        SIGKILL to the gateway: run.sh must stop the rest and fail
#
# Environment:
#   SERVICE_BIN_DIR    folder with Gateway, AuthService, ContentService (required;
#                      test.sh exports it)
#   RUN_STOPS_CASES    the ways to try, space-separated (default: all above)
#   RUN_STOPS_PORT     first port to look for free ones from (default 19100)
#   RUN_STOPS_REPO     the checkout whose `make run` is tried (default this one;
#                      another one shows how an older run.sh behaves)
# Exit status 0 when every case stopped everything; 1 otherwise, listing what
# was left (and stopping it).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"

read -r -a CASES <<<"${RUN_STOPS_CASES:-int-group term-group term-twice timeout term-script hup-group crash}"
RUN_REPO="${RUN_STOPS_REPO:-$REPO_ROOT}"
READY_LIMIT=90 # seconds for the stack to become ready (a loaded machine, debug binaries)
STOP_LIMIT=40  # seconds for make to exit after the stop (run.sh allows 10 s per service)

[[ -n "${SERVICE_BIN_DIR:-}" ]] || die "SERVICE_BIN_DIR is not set: run this through make test, or point it at a build"
for name in Gateway AuthService ContentService; do
    [[ -x "$SERVICE_BIN_DIR/$name" ]] || die "$SERVICE_BIN_DIR/$name not found: build first"
done

MARKER="RUN_STOPS_MARKER=$$-$RANDOM$RANDOM"
STATE="$(mktemp -d /tmp/authstack-runstops.XXXXXX)"
chmod 755 "$STATE" # the postgres user must enter it
LEADER=""
FAILED=()

# The pids of live processes carrying the marker or running on the state
# folder. Matched in bash, not with grep: a grep's own command line would hold
# what it looks for.
leftovers() {
    local dir pid cmdline
    for dir in /proc/[0-9]*; do
        pid="${dir#/proc/}"
        [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
        cmdline="$(tr '\0' ' ' 2>/dev/null <"$dir/cmdline")" || continue
        [[ -n "$cmdline" ]] || continue # a kernel thread
        if [[ "$cmdline" == *" $STATE/"* || "$(readlink "$dir/cwd" 2>/dev/null)" == "$STATE"/* ]] ||
            has_marker "$dir/environ"; then
            pid_alive "$pid" && printf '%s\n' "$pid"
        fi
    done
    local port
    for port in "${STORE_PORTS[@]}"; do
        ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2
    done
    return 0
}

# Set STORE_PORTS to the ports the stores of the run in LOG listen on (from
# stores.sh's "starting ... on 127.0.0.1:PORT" lines): a store is found by its
# port too, wherever a run.sh puts its state.
STORE_PORTS=()
note_store_ports() {
    mapfile -t STORE_PORTS < <(sed -nE 's/.*starting (PostgreSQL|Redis) on 127\.0\.0\.1:([0-9]+).*/\2/p' "$1")
}

# True when the environment file ENVIRON (/proc/PID/environ) holds MARKER.
has_marker() {
    local data
    data="$(tr '\0' '\n' 2>/dev/null <"$1")" || return 1
    [[ $'\n'"$data"$'\n' == *$'\n'"$MARKER"$'\n'* ]]
}

# The process group of PID.
pgid_of() {
    local stat pgid
    stat="$(<"/proc/$1/stat")" 2>/dev/null || return 1
    stat="${stat##*) }" # drop "pid (comm) "
    read -r _ _ pgid _ <<<"$stat"
    printf '%s\n' "$pgid"
}

# Print one line per pid: pid and command line.
describe() {
    local pid
    for pid in "$@"; do
        printf '    %s %s\n' "$pid" "$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | cut -c1-160)"
    done
}

# Stop what a failed case left (all of it was started by this check).
reap() {
    local pids=("$@") pid
    ((${#pids[@]} > 0)) || return 0
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    sleep 2
    for pid in "${pids[@]}"; do
        pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    done
    return 0
}

# shellcheck disable=SC2317,SC2329 # invoked through on_exit
cleanup() {
    local rest=()
    local i
    if [[ -n "$LEADER" ]] && pid_alive "$LEADER"; then
        kill -TERM -- "-$LEADER" 2>/dev/null
        for ((i = 0; i < 150; i++)); do pid_alive "$LEADER" || break; sleep 0.1; done
    fi
    mapfile -t rest < <(leftovers | sort -u)
    reap "${rest[@]}"
    # PostgreSQL may have been stopped by the reap above: its data goes anyway.
    as_root rm -rf -- "$STATE"
}
on_exit cleanup

# Ports for the services and their metrics, all free, none of the fixed defaults.
declare -A PORT=()
next="${RUN_STOPS_PORT:-19100}"
for key in gateway auth content gateway_metrics auth_metrics content_metrics; do
    PORT[$key]="$(free_port "$next")" || die "no free port from $next on"
    next=$((PORT[$key] + 1))
done

# Start `make run` (or `timeout 300 make run`) in a new session with the stop
# signals at their default (a shell without job control would start it with
# SIGINT ignored), so that its pid is the process group's id; sets LEADER.
start_run() {
    local log="$1" prefix=()
    shift
    [[ "${1:-}" == timeout ]] && prefix=(timeout 300)
    env -u DATABASE_URL -u REDIS_URL -u JWT_PRIVATE_KEY_FILE -u JWKS_URL \
        "$MARKER" RUN_BIN_DIR="$SERVICE_BIN_DIR" RUN_STATE_DIR="$STATE/state" \
        GATEWAY_HOST=127.0.0.1 GATEWAY_PORT="${PORT[gateway]}" GATEWAY_METRICS_PORT="${PORT[gateway_metrics]}" \
        AUTH_HOST=127.0.0.1 AUTH_PORT="${PORT[auth]}" AUTH_METRICS_PORT="${PORT[auth_metrics]}" \
        CONTENT_HOST=127.0.0.1 CONTENT_PORT="${PORT[content]}" CONTENT_METRICS_PORT="${PORT[content_metrics]}" \
        AUTH_SERVICE_URL="http://127.0.0.1:${PORT[auth]}" CONTENT_SERVICE_URL="http://127.0.0.1:${PORT[content]}" \
        READY_TIMEOUT="$READY_LIMIT" \
        python3 -c '
import os, signal, sys
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE):
    signal.signal(s, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])
' "${prefix[@]}" make --no-print-directory -C "$RUN_REPO" run </dev/null >"$log" 2>&1 &
    LEADER=$!
}

# The pid of the first process in LEADER's group whose command line holds TEXT.
group_member() {
    local text="$1" dir cmdline
    for dir in /proc/[0-9]*; do
        [[ "$(pgid_of "${dir#/proc/}" 2>/dev/null)" == "$LEADER" ]] || continue
        cmdline="$(tr '\0' ' ' 2>/dev/null <"$dir/cmdline")" || continue
        if [[ "$cmdline" == *"$text"* ]]; then
            printf '%s\n' "${dir#/proc/}"
            return 0
        fi
    done
    return 1
}

# The pid of the process started by this run that executes PROGRAM (a path).
pid_running() {
    local want pid
    want="$(readlink -f "$1")"
    for pid in $(leftovers); do
        [[ "$(readlink -f "/proc/$pid/exe" 2>/dev/null)" == "$want" ]] && printf '%s\n' "$pid" && return 0
    done
    return 1
}

# Fail unless the marker finds every process a run starts: else the check
# could pass while missing what is left.
check_visible() {
    local program
    for program in "$SERVICE_BIN_DIR/Gateway" "$SERVICE_BIN_DIR/AuthService" "$SERVICE_BIN_DIR/ContentService" \
        "$(command -v redis-server)" /usr/lib/postgresql/15/bin/postgres; do
        pid_running "$program" >/dev/null || die "the check does not see $program of the run: it cannot tell whether it is left"
    done
}

# Run one case; appends to FAILED when it left something or did not exit.
run_case() {
    local case="$1" log="$STATE/$1.log" t0 stop_ms deadline rest=() rc=0 target
    start_run "$log" "$case"
    deadline=$((SECONDS + READY_LIMIT))
    until curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:${PORT[gateway]}/health/ready"; do
        if ! pid_alive "$LEADER" || ((SECONDS >= deadline)); then
            tail -n 30 "$log" >&2
            FAILED+=("$case: the stack did not become ready")
            return 0
        fi
        sleep 0.2
    done
    note_store_ports "$log"
    if ((${#PIDS_SEEN[@]} == 0)); then
        check_visible
        mapfile -t PIDS_SEEN < <(leftovers | sort -u)
    fi

    t0="$(date +%s%N)"
    case "$case" in
        int-group) kill -INT -- "-$LEADER" ;;
        term-group) kill -TERM -- "-$LEADER" ;;
        hup-group) kill -HUP -- "-$LEADER" ;;
        timeout) kill -TERM "$LEADER" ;; # timeout's own path when it expires: TERM to make, then to the group
        term-script | term-twice)
            target="$(group_member scripts/run.sh)" || { FAILED+=("$case: scripts/run.sh not found"); return 0; }
            if [[ "$case" == term-twice ]]; then
                kill -TERM -- "-$LEADER"
                sleep 0.3
            fi
            kill -TERM "$target" 2>/dev/null || true
            ;;
        crash)
            target="$(pid_running "$SERVICE_BIN_DIR/Gateway")" || { FAILED+=("$case: the gateway process not found"); return 0; }
            kill -KILL "$target"
            ;;
        *) die "unknown case $case" ;;
    esac

    deadline=$((SECONDS + STOP_LIMIT))
    while pid_alive "$LEADER" && ((SECONDS < deadline)); do sleep 0.05; done
    if pid_alive "$LEADER"; then
        FAILED+=("$case: make still running ${STOP_LIMIT}s after the stop")
        kill -KILL -- "-$LEADER" 2>/dev/null || true
    fi
    wait "$LEADER" || rc=$?
    LEADER=""
    # Whatever make left behind is still running now; a short grace for exits in flight.
    for _ in 1 2 3 4 5; do
        mapfile -t rest < <(leftovers | sort -u)
        ((${#rest[@]} == 0)) && break
        sleep 0.2
    done
    stop_ms=$((($(date +%s%N) - t0) / 1000000))
    if ((${#rest[@]} > 0)); then
        FAILED+=("$case: ${#rest[@]} process(es) left running")
        log_error "$case: left running after make exited (status $rc):"
        describe "${rest[@]}" >&2
        reap "${rest[@]}"
    elif [[ "$case" == crash ]] && ((rc == 0)); then
        FAILED+=("$case: make exited 0 after a service crashed")
    else
        log_info "$case: everything stopped, make exited $rc, ${stop_ms} ms after the stop"
    fi
    if ! grep -q "stopped everything" "$log" && ((${#rest[@]} == 0)); then
        log_warn "$case: run.sh did not log 'stopped everything' (an older run.sh?)"
    fi
}

PIDS_SEEN=()
t_all=$SECONDS
for c in "${CASES[@]}"; do
    run_case "$c"
done
log_info "processes one run starts (found by marker, state folder or port): ${#PIDS_SEEN[@]}"
log_info "${#CASES[@]} case(s) in $((SECONDS - t_all)) s"
if ((${#FAILED[@]} > 0)); then
    printf '  - %s\n' "${FAILED[@]}" >&2
    die "make run left processes behind or did not stop in ${#FAILED[@]} case(s)"
fi
echo "run-stops.sh: make run stopped everything in all ${#CASES[@]} cases"
