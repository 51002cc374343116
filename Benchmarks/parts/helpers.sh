# shellcheck shell=bash
# Helpers of `make bench`, part of Benchmarks/bench.sh (sourced): clocks,
# durations, a child that a signal can interrupt, the facts file, liveness,
# and the list of services.
# shellcheck disable=SC2154 # globals of Benchmarks/bench.sh

# Microseconds since the epoch, from bash's own clock (no `date` process).
now_us() {
    local t="${EPOCHREALTIME//[!0-9]/}"
    printf '%s\n' "$t"
}

# Whole seconds in a wrk duration: 10, 10s, 2m, 1h.
duration_seconds() {
    local d="$1"
    [[ "$d" =~ ^([0-9]+)([smh]?)$ ]] || die "duration '$d' must look like 10s, 2m or 1h"
    case "${BASH_REMATCH[2]}" in
        m) echo $((BASH_REMATCH[1] * 60)) ;;
        h) echo $((BASH_REMATCH[1] * 3600)) ;;
        *) echo "${BASH_REMATCH[1]}" ;;
    esac
}

# run_child OUT CMD...: run CMD in the background, its stdout and stderr to
# file OUT, and wait for it. bash runs a trap only once a foreground command
# is over, so a SIGTERM would otherwise wait for a whole wrk run; `wait` is
# interrupted at once, and cleanup stops the child. (OUT is an argument, not a
# redirection of the call: a function's redirections would also capture the
# trap handler's messages while it runs.)
run_child() {
    local out="$1" rc=0
    shift
    "$@" >"$out" 2>&1 &
    CHILD_PID=$!
    wait "$CHILD_PID" || rc=$?
    CHILD_PID=""
    return "$rc"
}

# read_wrk OUT LABEL [STATUS]: wrk's output OUT as WRK=(rps p50 p99 requests
# non2xx sockerr). A run that failed already (STATUS other than ok), cannot be
# read, made no request, or got a non-2xx answer or a socket error is recorded
# in FAILURES as LABEL, with wrk's output printed, and returns 1.
read_wrk() {
    local out="$1" label="$2" status="${3:-ok}" stats
    WRK=(nan nan nan 0 0 0)
    if stats="$(python3 "$BENCH_DIR/parse_wrk.py" "$out")"; then
        read -r -a WRK <<<"$stats"
        [[ "$status" == ok ]] && ((WRK[3] > 0 && WRK[4] == 0 && WRK[5] == 0)) && return 0
    fi
    FAILURES+=("$label: ${WRK[4]} non-2xx answers, ${WRK[5]} socket errors, ${WRK[3]} requests")
    log_error "$label FAILED; wrk said:"
    sed 's/^/    /' "$out" >&2
    return 1
}

# Record KEY=VALUE for the report.
fact() {
    printf '%s=%s\n' "$1" "$2" >>"$STATE_DIR/facts"
}

# The last value recorded for KEY (empty when none).
fact_value() {
    sed -n "s/^$1=//p" "$STATE_DIR/facts" | tail -n 1
}

# Die (cleanup stops the rest) when a process the launcher started exited on
# its own, showing the end of its log.
check_alive() {
    harness check
}

# The services whose memory is recorded: every process started but nginx and the OTLP sink.
services() {
    local name
    for name in "${STARTED[@]}"; do
        [[ "$name" != nginx && "$name" != otlp-sink ]] && printf '%s\n' "$name"
    done
    return 0
}
