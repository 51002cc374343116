# shellcheck shell=bash
# What `make bench` measures and how, part of scripts/bench.sh (sourced).
# Results go to two files in STATE_DIR that report.py renders: `runs` (one
# line per wrk run) and `facts` (KEY=VALUE: settings, start-up, RSS, signin,
# refresh, verification per key kind, propagation, log line counts).
#
#   run_wrk TARGET C         one warm-up and one measured wrk run
#   run_signin, run_refresh  signins/s (wrk), sequential refreshes/s
#   run_token_verification   TokenVerificationBench: verifications/s per key kind
#   run_propagation          revocation propagation between two gateways
#   start_rss_sampler, record_hwm, record_rss   memory
#   count_request_lines      what each logging row wrote, to prove it logged
# shellcheck disable=SC2154,SC2153 # globals of scripts/bench.sh (THREADS, TOKEN, ...)

# ---------------------------------------------------------------- helpers ---

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

# Percent of all CPU time that was busy over one second while our services
# sit idle: anything else running on the machine (a build, say) skews every
# figure, and the report says so.
other_cpu_percent() {
    local a b
    read -r -a a </proc/stat
    sleep 1
    read -r -a b </proc/stat
    # Fields after "cpu": user nice system idle iowait irq softirq steal ...
    local busy=$(((b[1] + b[2] + b[3] + b[6] + b[7] + b[8]) - (a[1] + a[2] + a[3] + a[6] + a[7] + a[8])))
    local idle=$(((b[4] + b[5]) - (a[4] + a[5])))
    echo $((busy * 100 / (busy + idle > 0 ? busy + idle : 1)))
}

# Record KEY=VALUE for the report.
fact() {
    printf '%s=%s\n' "$1" "$2" >>"$STATE_DIR/facts"
}

# The last value recorded for KEY (empty when none).
fact_value() {
    sed -n "s/^$1=//p" "$STATE_DIR/facts" | tail -n 1
}

# Poll URL every 10 ms until it answers 2xx; fails after TIMEOUT seconds or at
# once when PID dies (status 2). Tighter than wait_for_http (0.5 s steps)
# because the start-up time is measured with it.
poll_http() {
    local url="$1" timeout="$2" pid="$3" deadline
    deadline=$(($(now_us) + timeout * 1000000))
    until curl -fs -o /dev/null --max-time 1 "$url" 2>/dev/null; do
        pid_alive "$pid" || return 2
        (($(now_us) < deadline)) || return 1
        sleep 0.01
    done
}

# Die (cleanup stops the rest) when a service or nginx is no longer running,
# showing the end of its log.
check_alive() {
    local name log
    for name in "${STARTED[@]}"; do
        pid_alive "${PID[$name]}" && continue
        log="$STATE_DIR/logs/$name.log"
        [[ "$name" == nginx ]] && log="$STATE_DIR/logs/nginx-error.log"
        log_error "$name (pid ${PID[$name]}) is no longer running; end of $log:"
        tail -n 40 "$log" >&2 || true
        die "$name died during the bench"
    done
}

# The services whose memory is recorded: every process started but nginx.
services() {
    local name
    for name in "${STARTED[@]}"; do
        [[ "$name" != nginx ]] && printf '%s\n' "$name"
    done
    return 0
}

# ----------------------------------------------------------------- memory ---

# Sample VmRSS of every service every 0.5 s into rss-samples (name kB).
# Pure bash reads of /proc: no forks stealing CPU from the load.
start_rss_sampler() {
    local names=()
    mapfile -t names < <(services)
    (
        trap 'exit 0' TERM
        while :; do
            for name in "${names[@]}"; do
                while read -r key value _; do
                    [[ "$key" == VmRSS: ]] && printf '%s %s\n' "$name" "$value"
                done 2>/dev/null <"/proc/${PID[$name]}/status" || true
            done
            sleep 0.5
        done
    ) >"$STATE_DIR/rss-samples" &
    SAMPLER_PID=$!
}

# Peak RSS so far (VmHWM, the kernel's high-water mark since start) of every
# service, as fact PREFIX.NAME.
record_hwm() {
    local prefix="$1" name
    for name in $(services); do
        fact "$prefix.$name" "$(awk '/^VmHWM:/ {print $2}' "/proc/${PID[$name]}/status")"
    done
}

# Stop the sampler; record the final peaks and the largest sample.
record_rss() {
    local name
    stop_pid "$SAMPLER_PID" 2
    SAMPLER_PID=""
    record_hwm rss_hwm_kib
    for name in $(services); do
        fact "rss_sampled_kib.$name" "$(awk -v n="$name" '$1 == n && $2 > m {m = $2} END {print m + 0}' "$STATE_DIR/rss-samples")"
    done
}

# -------------------------------------------------------------- CPU noise ---

# The pids whose CPU time is the bench's own: the services, nginx and its
# workers. Set by note_own_pids once everything runs.
OWN_PIDS=()
note_own_pids() {
    local dir line ppid
    OWN_PIDS=()
    for name in "${STARTED[@]}"; do
        OWN_PIDS+=("${PID[$name]}")
    done
    for dir in /proc/[0-9]*; do
        read -r line 2>/dev/null <"$dir/stat" || continue
        line="${line##*) }"
        read -r _ ppid _ <<<"$line"
        [[ "$ppid" == "${PID[nginx]}" ]] && OWN_PIDS+=("${dir#/proc/}")
    done
    return 0
}

# Print "BUSY TOTAL OWN" in clock ticks: the machine's busy and total CPU time
# (/proc/stat) and the CPU time of the bench's own processes (OWN_PIDS, and
# this shell's reaped children: wrk under timeout). Pure bash reads, no fork.
cpu_ticks() {
    local a line f own=0 pid
    read -r -a a </proc/stat
    for pid in "${OWN_PIDS[@]}" "$$"; do
        read -r line 2>/dev/null <"/proc/$pid/stat" || continue
        line="${line##*) }"
        read -r -a f <<<"$line"
        # From the state on: utime is the 12th field, stime the 13th, cutime, cstime the next two.
        if [[ "$pid" == "$$" ]]; then # the main shell, even from $(...)
            own=$((own + f[13] + f[14]))
        else
            own=$((own + f[11] + f[12]))
        fi
    done
    # Busy: user, nice, system and steal (another VM). Interrupt time is left
    # out: the bench's own loopback traffic causes most of it, and no process
    # is charged with it.
    printf '%s %s %s\n' $((a[1] + a[2] + a[3] + a[8])) \
        $((a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7] + a[8])) "$own"
}

# other_cpu_between "BUSY TOTAL OWN" "BUSY TOTAL OWN": percent of the machine's
# CPU that processes other than the bench's used in between.
other_cpu_between() {
    local b0 t0 o0 b1 t1 o1
    read -r b0 t0 o0 <<<"$1"
    read -r b1 t1 o1 <<<"$2"
    local other=$(((b1 - b0) - (o1 - o0)))
    ((other > 0)) || other=0
    echo $((other * 100 / (t1 - t0 > 0 ? t1 - t0 : 1)))
}

# -------------------------------------------------------------------- GET ---

# One wrk run: TARGET at CONCURRENCY, a warm-up first. Appends a line to runs.
run_wrk() {
    local target="$1" conc="$2" url="${URL[$1]}$PATH_UNDER_TEST"
    local out="$STATE_DIR/logs/wrk-$target-c$conc.txt" status=ok stats
    local rps=nan p50=nan p99=nan requests=0 non2xx=0 sockerr=0
    local before other
    log_info "wrk $target c=$conc: $WARMUP warm-up, then $DURATION"
    run_child /dev/null timeout "$WARMUP_LIMIT" wrk -t"$THREADS" -c"$conc" -d"$WARMUP" \
        -H "x-access-token: $TOKEN" "$url" || log_warn "warm-up of $target c=$conc failed"
    before="$(cpu_ticks)"
    if ! run_child "$out" timeout "$RUN_LIMIT" wrk -t"$THREADS" -c"$conc" -d"$DURATION" --latency \
        -H "x-access-token: $TOKEN" "$url"; then
        status=FAILED
    fi
    other="$(other_cpu_between "$before" "$(cpu_ticks)")"
    fact "other_cpu_pct.$target.$conc" "$other"
    ((other < 10)) || log_warn "other processes used ${other}% of the CPU during $target c=$conc: its figures are skewed"
    if stats="$(python3 "$BENCH_DIR/parse_wrk.py" "$out")"; then
        read -r rps p50 p99 requests non2xx sockerr <<<"$stats"
    else
        status=FAILED
    fi
    if [[ "$status" != ok ]] || ((non2xx > 0 || sockerr > 0 || requests == 0)); then
        status=FAILED
        FAILURES+=("$target c=$conc: $non2xx non-2xx/3xx answers, $sockerr socket errors, $requests requests")
        log_error "run $target c=$conc FAILED; wrk said:"
        sed 's/^/    /' "$out" >&2
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$conc" "$rps" "$p50" "$p99" \
        "$requests" "$non2xx" "$sockerr" "$status" >>"$STATE_DIR/runs"
    check_alive
}

# Count the request lines each logging row wrote for PATH_UNDER_TEST, as facts
# log_lines.NAME: rows that log must have written some, rows that do not none
# (a handful at most: the checks before the loads). nginx flushes its buffer
# within 1 s and the gateway its per-loop batches at once or within a moment.
count_request_lines() {
    local name lines
    sleep 1.5
    for name in gw-default gw-nolog gw-norevoke gw-stack content-quiet content-info; do
        lines="$(grep -c "path=$PATH_UNDER_TEST" "$STATE_DIR/logs/$name.log" || true)"
        fact "log_lines.$name" "$lines"
    done
    lines=0
    [[ -f "$STATE_DIR/logs/nginx-access.log" ]] &&
        lines="$(grep -c "GET $PATH_UNDER_TEST" "$STATE_DIR/logs/nginx-access.log" || true)"
    fact log_lines.nginx-log "$lines"
    for name in gw-default gw-stack content-info nginx-log; do
        (($(fact_value "log_lines.$name") > 0)) || FAILURES+=("$name wrote no request line: its row did not log")
    done
    for name in gw-nolog gw-norevoke content-quiet; do
        (($(fact_value "log_lines.$name") <= 10)) || FAILURES+=("$name wrote request lines at LOG_LEVEL=warning")
    done
}

# ------------------------------------------------------------------- auth ---

# Signins/s through the default gateway with wrk + signin.lua (each one is a
# full argon2id verification, so this measures the password hashing).
run_signin() {
    local out="$STATE_DIR/logs/wrk-signin.txt" stats threads=$THREADS
    local rps=nan p50=nan p99=nan requests=0 non2xx=0 sockerr=0 status="all 200"
    ((threads <= SIGNIN_CONNECTIONS)) || threads=$SIGNIN_CONNECTIONS
    log_info "signin: wrk c=$SIGNIN_CONNECTIONS for $SIGNIN_DURATION"
    run_child "$out" env BENCH_USER="$BENCH_USER" BENCH_PASSWORD="$BENCH_PASSWORD" \
        timeout "$SIGNIN_LIMIT" wrk -t"$threads" -c"$SIGNIN_CONNECTIONS" -d"$SIGNIN_DURATION" --latency \
        -s "$BENCH_DIR/signin.lua" "${URL[gw-default]}/api/auth/signin" || status="wrk FAILED"
    if stats="$(python3 "$BENCH_DIR/parse_wrk.py" "$out")"; then
        read -r rps p50 p99 requests non2xx sockerr <<<"$stats"
    else
        status="wrk FAILED"
    fi
    if ((non2xx > 0 || sockerr > 0 || requests == 0)); then
        status="FAILED: $non2xx non-2xx, $sockerr socket errors"
    fi
    if [[ "$status" != "all 200" ]]; then
        FAILURES+=("signin: $status")
        log_error "signin run FAILED; wrk said:"
        sed 's/^/    /' "$out" >&2
    fi
    fact signin.conc "$SIGNIN_CONNECTIONS"
    fact signin.duration "$SIGNIN_DURATION"
    fact signin.rps "$rps"
    fact signin.p50 "$p50"
    fact signin.p99 "$p99"
    fact signin.requests "$requests"
    fact signin.status "$status"
    check_alive
}

# Refresh tokens are single-use, so no wrk here: one client refreshing in a
# loop (refresh.py) gives refreshes/s at concurrency 1.
run_refresh() {
    local line n secs per_s p50 p99 err="$STATE_DIR/logs/refresh.err"
    if ((REFRESH_SECONDS == 0)); then
        fact refresh.status "skipped (BENCH_REFRESH_SECONDS=0)"
        return 0
    fi
    log_info "refresh: sequential loop for ${REFRESH_SECONDS}s"
    if run_child "$STATE_DIR/refresh.out" timeout $((REFRESH_SECONDS + 30)) python3 "$BENCH_DIR/refresh.py" \
        "${URL[gw-default]}" "$BENCH_USER" "$BENCH_PASSWORD" "$REFRESH_SECONDS"; then
        line="$(tail -n 1 "$STATE_DIR/refresh.out")"
        read -r n secs per_s p50 p99 <<<"$line"
        fact refresh.count "$n"
        fact refresh.seconds "$secs"
        fact refresh.per_s "$per_s"
        fact refresh.p50 "$p50"
        fact refresh.p99 "$p99"
    else
        cp "$STATE_DIR/refresh.out" "$err"
        cat "$err" >&2
        fact refresh.status "FAILED: $(head -c 300 "$err")"
        FAILURES+=("refresh: $(head -c 300 "$err")")
    fi
    check_alive
}

# ---------------------------------------------------------- token checks ---

# TokenVerificationBench: full verification (signature and claims, no cache)
# per key kind on one core, while the services idle. Facts verify.KIND.per_s
# and verify.KIND.us; verify.kinds lists the kinds in the order printed.
run_token_verification() {
    local bin="$BIN_DIR/TokenVerificationBench" out="$STATE_DIR/logs/token-verification.txt" kind per_s us kinds=()
    if ((VERIFY_SECONDS == 0)); then
        fact verify.status "skipped (BENCH_VERIFY_SECONDS=0)"
        return 0
    fi
    if [[ ! -x "$bin" ]]; then
        fact verify.status "not run: $bin not found"
        FAILURES+=("token verification per key kind: $bin not found")
        return 0
    fi
    log_info "token verification: ${VERIFY_SECONDS}s per key kind"
    if ! run_child "$out" timeout $((VERIFY_SECONDS * 3 + 30)) "$bin" "$VERIFY_SECONDS"; then
        fact verify.status "FAILED: $(head -c 300 "$out")"
        FAILURES+=("TokenVerificationBench: $(head -c 300 "$out")")
        return 0
    fi
    while IFS=$'\t' read -r kind per_s us; do
        [[ "$kind" =~ ^[A-Za-z0-9]+$ && "$per_s" =~ ^[0-9]+$ ]] || continue
        kinds+=("$kind")
        fact "verify.$kind.per_s" "$per_s"
        fact "verify.$kind.us" "$us"
    done <"$out"
    if ((${#kinds[@]} == 0)); then
        fact verify.status "FAILED: no kind<TAB>per_s<TAB>us line in its output"
        FAILURES+=("TokenVerificationBench printed no result line")
        return 0
    fi
    fact verify.kinds "${kinds[*]}"
    fact verify.seconds "$VERIFY_SECONDS"
}

# Revocation propagation between two replicas on the same auth service and
# Redis: gw-default (A, which carries each signout) and gw-stack (B, polled).
# propagation.py writes its facts (prop.*) to stdout.
run_propagation() {
    local out="$STATE_DIR/logs/propagation.txt"
    if ((PROPAGATION_SESSIONS == 0)); then
        fact prop.status "skipped (BENCH_PROPAGATION_SESSIONS=0)"
        return 0
    fi
    log_info "propagation: $PROPAGATION_SESSIONS sessions signed out through gw-default, polled on gw-stack"
    if run_child "$out" timeout $((PROPAGATION_SESSIONS + 120)) python3 "$BENCH_DIR/propagation.py" \
        "${URL[gw-default]}" "${URL[gw-stack]}" "$BENCH_USER" "$BENCH_PASSWORD" "$PROPAGATION_SESSIONS"; then
        grep -E '^prop\.[a-z0-9_]+=' "$out" >>"$STATE_DIR/facts"
    else
        cat "$out" >&2
        fact prop.status "FAILED: $(grep -v '^prop\.' "$out" | head -c 300)"
        FAILURES+=("propagation: $(grep -v '^prop\.' "$out" | head -c 300)")
    fi
    check_alive
}
