# shellcheck shell=bash
# Stores and processes started and stopped by the system tests' harness:
# Tests/system/support/launcher.py runs as this script's coproc. `make run`
# and `make test` get their stores from it, `make bench` and `make
# bench-scale` their stores and every process.
#
#   start_launcher FOLDER [PORTS]  the launcher, keeping its processes' logs in
#                             FOLDER/logs and picking ports from PORTS (LOW-HIGH,
#                             default SYSTEM_TEST_PORTS's); the end of this
#                             script, however it ends, ends it
#   harness COMMAND ARGS...   one command (see launcher.py); the answer in REPLY,
#                             dies on an error
#   start_stores [FOLDER]     PostgreSQL and Redis, each unless DATABASE_URL /
#                             REDIS_URL is set (then used as they are); with
#                             FOLDER their data is kept there between runs
#   start_process NAME VAR=VALUE... -- ARGV...
#                             a process in a clean environment: PID[NAME], STARTED
#   stop_launcher             every process (last started first), then the stores
# Needs common.sh, and REPO_ROOT set by the calling script.
# shellcheck disable=SC2034 # PID is the caller's to read

LAUNCHER_PID=""
declare -A PID=() # process name -> pid
STARTED=()        # process names in start order

start_launcher() {
    local folder="$1" ports="${2:-${SYSTEM_TEST_PORTS:-}}"
    mkdir -p "$folder" # its processes' working folder; logs/ is made by the first one started
    # A session of its own: a signal to this script's group (Ctrl-C, a
    # supervisor's SIGTERM) reaches the script, whose cleanup stops its own
    # processes first and then ends the launcher's input, so the stores stop
    # last. (setsid execs in place: LAUNCHER_PID is the launcher.)
    coproc LAUNCHER {
        SYSTEM_TEST_PORTS="$ports" SYSTEM_TEST_OUTPUT="${SYSTEM_TEST_OUTPUT:-$folder/harness}" \
            PYTHONPATH="$REPO_ROOT/Tests/system" exec setsid /usr/bin/python3 -m support.launcher "$folder"
    }
}

harness() {
    local IFS=$'\t'
    if [[ -z "$LAUNCHER_PID" ]] || ! printf '%s\n' "$*" >&"${LAUNCHER[1]}" || ! IFS= read -r REPLY <&"${LAUNCHER[0]}"; then
        die "the launcher is gone (asked: $*)"
    fi
    [[ "$REPLY" != "error "* ]] && return 0
    REPLY="${REPLY#error }"
    die "${REPLY//' | '/$'\n'}"
}

start_stores() {
    local folder="${1:-}"
    if [[ -n "${DATABASE_URL:-}" ]]; then
        log_info "DATABASE_URL is set: not starting PostgreSQL"
    else
        harness postgres "$folder"
        export DATABASE_URL="$REPLY"
        log_info "PostgreSQL on ${DATABASE_URL##*@}"
    fi
    if [[ -n "${REDIS_URL:-}" ]]; then
        log_info "REDIS_URL is set: not starting Redis"
    else
        harness redis "$folder"
        export REDIS_URL="$REPLY"
        log_info "Redis on ${REDIS_URL#*://}"
    fi
}

start_process() {
    harness start "$@"
    PID["$1"]="$REPLY"
    STARTED+=("$1")
}

# The launcher stops everything at the end of its input: close it, give it a
# minute (ten seconds a process at most, then the stores), then end it.
stop_launcher() {
    [[ -n "$LAUNCHER_PID" ]] || return 0
    local pid="$LAUNCHER_PID" input="${LAUNCHER[1]:-}" i
    LAUNCHER_PID=""
    [[ -n "$input" ]] && exec {input}>&-
    for ((i = 0; i < 600; i++)); do
        pid_alive "$pid" || break
        sleep 0.1
    done
    stop_pid "$pid" 10
    ((${#STARTED[@]} == 0)) || log_info "stopped ${#STARTED[@]} processes: ${STARTED[*]}"
    return 0
}
