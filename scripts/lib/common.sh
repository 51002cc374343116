# shellcheck shell=bash
# Shared helpers for the scripts in scripts/: logging, running things as
# root, installing Debian packages, finding ports and waiting for services.
#
# Source it from a script that has already done `set -euo pipefail`:
#   source "$REPO_ROOT/scripts/lib/common.sh"

# Source once only.
[[ -n "${_AUTHSTACK_COMMON_SH:-}" ]] && return 0
_AUTHSTACK_COMMON_SH=1

# Debian packages needed to build, run and test the stack (python3: the
# harness's launcher starts the stores, scripts/lib/launcher.sh).
AUTHSTACK_PACKAGES=(
    pkg-config libhiredis-dev libargon2-dev libicu-dev
    redis-server redis-sentinel postgresql-15 postgresql-client-15
    openssl curl ca-certificates iproute2 python3
)

# Where an image may have put the Swift toolchain without adding it to PATH.
SWIFT_HOME="${SWIFT_HOME:-/opt/swift}"

# ---------------------------------------------------------------- logging ---

# Tag printed in front of every log line: the name of the running script.
_LOG_TAG="$(basename "${0:-authstack}" .sh)"

_log() { # LEVEL MESSAGE...
    local level="$1"
    shift
    printf '%s [%s] %-5s %s\n' "$(date +%H:%M:%S)" "$_LOG_TAG" "$level" "$*" >&2
}
log_info() { _log INFO "$@"; }
log_warn() { _log WARN "$@"; }
log_error() { _log ERROR "$@"; }

# Print an error and exit non-zero.
die() {
    log_error "$@"
    exit 1
}

# ------------------------------------------------------------ privileges ---

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -- "$@"
    else
        die "need root for '$*' but not root and sudo is not installed"
    fi
}

# ------------------------------------------------------------- packages ---

_APT_UPDATED=0

# True when dpkg reports PKG as fully installed.
package_installed() {
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

# Install the Debian packages among PKG... that are not installed yet.
# Runs `apt-get update` at most once per script run. apt's output goes to
# stderr with the logs: a script's stdout may be its report (make bench).
ensure_packages() {
    local pkg missing=()
    for pkg in "$@"; do
        package_installed "$pkg" || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0

    log_info "installing missing packages: ${missing[*]}"
    if ((_APT_UPDATED == 0)); then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        _APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# Install everything the stack needs (AUTHSTACK_PACKAGES).
ensure_stack_packages() {
    ensure_packages "${AUTHSTACK_PACKAGES[@]}"
}

# Make sure a working `swift` is on PATH (adding $SWIFT_HOME/usr/bin if needed).
ensure_swift() {
    if ! command -v swift >/dev/null 2>&1 && [[ -x "$SWIFT_HOME/usr/bin/swift" ]]; then
        export PATH="$SWIFT_HOME/usr/bin:$PATH"
    fi
    command -v swift >/dev/null 2>&1 ||
        die "swift not found on PATH nor in $SWIFT_HOME/usr/bin: install a Swift 6.2+ toolchain (this project expects it at /opt/swift)"
    local out
    if ! out="$(swift --version 2>&1)"; then
        printf '%s\n' "$out" >&2
        die "'swift --version' failed: the toolchain at $(command -v swift) is broken or misses runtime libraries"
    fi
    log_info "using $(printf '%s\n' "$out" | head -n 1)"
}

# ------------------------------------------------------------- processes ---

# True when PID is a live process (not a zombie waiting to be reaped).
pid_alive() {
    local pid="$1" stat
    [[ -n "$pid" ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }" # drop "pid (comm) ", comm may contain spaces
    [[ "${stat%% *}" != Z ]]
}

# Send SIGTERM to PID, wait up to TIMEOUT seconds (default 10) for it to end,
# then SIGKILL. Always returns 0. It does not reap PID with `wait`: bash can
# block for ever in a `wait PID` made from a trap that interrupted an earlier
# `wait PID` (seen in bench.sh's cleanup after a SIGTERM during a wrk run);
# bash reaps its children by itself, and pid_alive takes a zombie for dead.
stop_pid() {
    local pid="$1" timeout="${2:-10}" i
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    log_warn "process $pid did not stop within ${timeout}s, killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    return 0
}

# on_exit FUNCTION: run FUNCTION (given the exit status) exactly once when the
# script ends, however it ends: a normal exit, die, a failing command under
# set -e, or SIGINT / SIGTERM / SIGHUP / SIGQUIT (the status is then 128+n).
# From the first signal on, those signals and SIGPIPE are ignored: supervisors
# often signal twice (make passes a SIGTERM on to its child when its process
# group got one too; timeout signals its child, then the group), and a second
# signal must not cut FUNCTION short. FUNCTION must not call exit itself.
on_exit() {
    _ON_EXIT_HANDLER="$1"
    trap _on_exit_run EXIT
    local sig
    for sig in INT:130 TERM:143 HUP:129 QUIT:131; do
        # shellcheck disable=SC2064 # the status is expanded here, on purpose
        trap "trap '' INT TERM HUP QUIT PIPE; exit ${sig#*:}" "${sig%%:*}"
    done
}

# The EXIT trap set by on_exit.
# shellcheck disable=SC2317,SC2329 # invoked by the EXIT trap
_on_exit_run() {
    local rc=$?
    trap '' INT TERM HUP QUIT PIPE
    trap - EXIT
    set +e
    "$_ON_EXIT_HANDLER" "$rc"
    exit "$rc"
}

# A command prefix that makes the command get SIGTERM when this shell dies,
# even by SIGKILL (PR_SET_PDEATHSIG, set by util-linux's setpriv, survives the
# exec): "${DIE_WITH_PARENT[@]}" CMD... Empty when setpriv is missing.
# shellcheck disable=SC2034 # used by the scripts that source this file
DIE_WITH_PARENT=()
if command -v setpriv >/dev/null 2>&1; then
    # shellcheck disable=SC2034
    DIE_WITH_PARENT=(setpriv --pdeathsig TERM --)
fi

# ---------------------------------------------------------------- network ---

# True when something listens on TCP PORT (any address).
port_in_use() {
    local port="$1"
    if command -v ss >/dev/null 2>&1; then
        [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

# Print the first free TCP port in START..START+199.
free_port() {
    local start="$1" port
    for ((port = start; port < start + 200; port++)); do
        if ! port_in_use "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    log_error "no free TCP port in $start..$((start + 199))"
    return 1
}

# Wait until HOST:PORT accepts TCP connections; fails after TIMEOUT seconds.
wait_for_tcp() {
    local host="$1" port="$2" timeout="${3:-30}" deadline
    deadline=$((SECONDS + timeout))
    # shellcheck disable=SC2016 # $1/$2 are expanded by the inner bash
    until timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            log_error "timed out after ${timeout}s waiting for $host:$port"
            return 1
        fi
        sleep 0.2
    done
}

# Wait until URL answers with a 2xx status; fails after TIMEOUT seconds.
# Extra arguments are PIDs to watch: if one dies the wait fails at once (rc 2).
wait_for_http() {
    local url="$1" timeout="${2:-30}" deadline pid
    shift $(($# < 2 ? $# : 2))
    deadline=$((SECONDS + timeout))
    until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
        for pid in "$@"; do
            if ! pid_alive "$pid"; then
                log_error "process $pid exited while waiting for $url"
                return 2
            fi
        done
        if ((SECONDS >= deadline)); then
            log_error "timed out after ${timeout}s waiting for $url"
            return 1
        fi
        sleep 0.5
    done
}
