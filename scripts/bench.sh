#!/usr/bin/env bash
# `make bench`: build the release binaries, run the three services against
# throwaway PostgreSQL + Redis, and measure them with wrk next to nginx.
#
# What it does, in order:
#   1. installs what it needs (wrk, nginx, curl + the stack's packages) and
#      builds with `swift build -c release`;
#   2. starts stores in a temporary folder, a throwaway ES256 key, then
#      AuthService, ContentService and Gateway (LOG_LEVEL=warning) on free
#      loopback ports, timing each from exec to /health/live answering;
#   3. signs up and signs in one user through the gateway for an access token;
#   4. starts nginx as a reference reverse proxy in front of the content service;
#   5. for each concurrency, runs wrk on GET /api/test/user against the
#      content service directly, through nginx and through the gateway,
#      sampling each service's RSS meanwhile;
#   6. measures signin throughput (wrk + scripts/bench/signin.lua) and
#      sequential refresh throughput (scripts/bench/refresh.py);
#   7. prints a table and the issue's targets (PASS / MISS), then stops and
#      deletes everything.
#
# Exit status: 0 when every run worked, even if targets are MISSed (they are
# informational); non-zero when something broke (a service died, a run saw
# non-2xx answers or socket errors, a step failed).
#
# The services run as in production except: LOG_LEVEL=warning (no per-request
# log lines), ACCESS_TOKEN_TTL=3600 (one token for the whole bench), the
# gateway's per-address rate limits raised out of reach (else signin would
# measure 429s), metrics ports moved to free ports. The gateway's revocation
# check stays on, so /api/test/user through it includes a Redis lookup.
#
# nginx runs with `worker_processes auto` (one worker per CPU) by default:
# the gateway runs one SwiftNIO event loop per CPU, so this gives both proxies
# the same cores. BENCH_NGINX_WORKERS=1 gives the single-worker figure.
#
# Environment (all optional):
#   BENCH_CONCURRENCIES    wrk connections, space-separated    (default "32 64")
#   BENCH_DURATION         wrk duration of each measured run   (default 10s)
#   BENCH_WARMUP           wrk warm-up before each run         (default 2s)
#   BENCH_THREADS          wrk threads                         (default 2)
#   BENCH_NGINX_WORKERS    nginx worker_processes              (default auto)
#   BENCH_SIGNIN_CONNECTIONS / BENCH_SIGNIN_DURATION  signin run (default 8 / 5s)
#   BENCH_REFRESH_SECONDS  sequential refresh loop, 0 skips it (default 3)
#   BENCH_GATEWAY_ENV      extra VAR=VALUE settings for the gateway, space-
#                          separated, e.g. "REVOCATION_CHECK=off" to see what
#                          the revocation lookup costs
#   BENCH_SCRATCH_PATH     passed to swift build as --scratch-path
#   BENCH_OUTPUT           also write the report to this file
#   BENCH_KEEP_LOGS        copy the service, nginx and Redis logs, raw wrk
#                          output and the report to this folder before the
#                          temporary folder is deleted
# The report goes to stdout; progress, compiler output and errors to stderr.
# Any DATABASE_URL, REDIS_URL or JWT_PRIVATE_KEY_FILE of the caller is ignored:
# the bench always uses its own throwaway stores and key.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"
# shellcheck source=scripts/lib/stores.sh
source "$REPO_ROOT/scripts/lib/stores.sh"
# shellcheck source=scripts/lib/keys.sh
source "$REPO_ROOT/scripts/lib/keys.sh"

BENCH_DIR="$REPO_ROOT/scripts/bench"
read -r -a CONCURRENCIES <<<"${BENCH_CONCURRENCIES:-32 64}"
DURATION="${BENCH_DURATION:-10s}"
WARMUP="${BENCH_WARMUP:-2s}"
THREADS="${BENCH_THREADS:-2}"
NGINX_WORKERS="${BENCH_NGINX_WORKERS:-auto}"
SIGNIN_CONNECTIONS="${BENCH_SIGNIN_CONNECTIONS:-8}"
SIGNIN_DURATION="${BENCH_SIGNIN_DURATION:-5s}"
REFRESH_SECONDS="${BENCH_REFRESH_SECONDS:-3}"
read -r -a GATEWAY_ENV <<<"${BENCH_GATEWAY_ENV:-}"

SERVICES=(AuthService ContentService Gateway)
TARGETS=(direct nginx gateway gateway-norevoke)
PATH_UNDER_TEST="/api/test/user"

STATE_DIR=""            # the throwaway folder: stores, key, logs, wrk output
BIN_DIR=""              # release binaries
declare -A PID=()       # AuthService|ContentService|Gateway|nginx -> pid
declare -A URL=()       # direct|nginx|gateway|auth -> base URL
SAMPLER_PID=""
CHILD_PID=""            # the wrk run in progress (see run_child)
TOKEN=""
BENCH_USER=""
BENCH_PASSWORD=""
FAILURES=()             # what broke, for the final verdict
START_SECONDS=$SECONDS

# ---------------------------------------------------------------- cleanup ---

# Stop the sampler, nginx and the services (SIGTERM all, then wait, SIGKILL
# after 10 s), then the stores; keep logs if asked; delete the temp folder.
# shellcheck disable=SC2329 # invoked by the EXIT trap
cleanup() {
    local rc=$? name
    trap - EXIT INT TERM
    trap '' PIPE # a closed terminal/pipe must not cut the cleanup short
    set +e
    [[ -n "$CHILD_PID" ]] && stop_pid "$CHILD_PID" 5
    [[ -n "$SAMPLER_PID" ]] && stop_pid "$SAMPLER_PID" 2
    for name in nginx Gateway ContentService AuthService; do
        [[ -n "${PID[$name]:-}" ]] && pid_alive "${PID[$name]}" && kill -TERM "${PID[$name]}" 2>/dev/null
    done
    for name in nginx Gateway ContentService AuthService; do
        [[ -n "${PID[$name]:-}" ]] && stop_pid "${PID[$name]}" 10
    done
    stop_stores
    if [[ -n "${BENCH_KEEP_LOGS:-}" && -n "$STATE_DIR" && -d "$STATE_DIR" ]]; then
        mkdir -p "$BENCH_KEEP_LOGS" &&
            cp -r "$STATE_DIR/logs/." "$BENCH_KEEP_LOGS/" &&
            cp -f "$STATE_DIR/redis/redis.log" "$STATE_DIR/bench-results.txt" "$BENCH_KEEP_LOGS/" 2>/dev/null
        log_info "logs, raw wrk output and report copied to $BENCH_KEEP_LOGS"
    fi
    [[ -n "$STATE_DIR" ]] && remove_state_dir "$STATE_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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

# Poll URL every 10 ms until it answers 2xx; fails after TIMEOUT seconds or at
# once when PID dies. Tighter than wait_for_http (0.5 s steps) because the
# start-up time is measured with it.
poll_http() {
    local url="$1" timeout="$2" pid="$3" deadline
    deadline=$(($(now_us) + timeout * 1000000))
    until curl -fs -o /dev/null --max-time 1 "$url" 2>/dev/null; do
        pid_alive "$pid" || return 2
        (($(now_us) < deadline)) || return 1
        sleep 0.01
    done
}

# Die (the EXIT trap cleans up) when a service or nginx is no longer running,
# showing the end of its log.
check_alive() {
    local name log
    for name in "${!PID[@]}"; do
        pid_alive "${PID[$name]}" && continue
        log="$STATE_DIR/logs/$name.log"
        [[ "$name" == nginx ]] && log="$STATE_DIR/logs/nginx-error.log"
        log_error "$name (pid ${PID[$name]}) is no longer running; end of $log:"
        tail -n 40 "$log" >&2 || true
        die "$name died during the bench"
    done
}

# POST JSON BODY to URL; prints the HTTP status, the answer goes to OUT_FILE.
post_json() {
    local url="$1" body="$2" out="$3"
    curl -sS --max-time 10 -o "$out" -w '%{http_code}' \
        -H 'Content-Type: application/json' -d "$body" "$url"
}

# Print field NAME of the JSON object in FILE (empty when missing).
json_field() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]) or "")' "$2" "$1"
}

# ------------------------------------------------------------------ setup ---

check_settings() {
    local c
    [[ "$THREADS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_THREADS must be a positive number"
    ((${#CONCURRENCIES[@]} > 0)) || die "BENCH_CONCURRENCIES is empty"
    local setting
    for setting in "${GATEWAY_ENV[@]}"; do
        [[ "$setting" =~ ^[A-Z_][A-Z0-9_]*= ]] || die "BENCH_GATEWAY_ENV: '$setting' is not VAR=VALUE"
    done
    for c in "${CONCURRENCIES[@]}"; do
        [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "BENCH_CONCURRENCIES: '$c' is not a positive number"
        ((c >= THREADS)) || die "BENCH_CONCURRENCIES: wrk needs at least as many connections ($c) as threads ($THREADS)"
    done
    [[ "$SIGNIN_CONNECTIONS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_SIGNIN_CONNECTIONS must be a positive number"
    [[ "$REFRESH_SECONDS" =~ ^[0-9]+$ ]] || die "BENCH_REFRESH_SECONDS must be a whole number of seconds"
    [[ "$NGINX_WORKERS" =~ ^([1-9][0-9]*|auto)$ ]] || die "BENCH_NGINX_WORKERS must be a number or auto"
    # Validated here so a typo fails before the build, not after it.
    duration_seconds "$DURATION" >/dev/null
    duration_seconds "$WARMUP" >/dev/null
    duration_seconds "$SIGNIN_DURATION" >/dev/null
}

install_tools() {
    ensure_stack_packages
    ensure_packages wrk curl
    # Any nginx flavour will do; nginx-light is the smallest where it exists
    # (Debian 12), plain nginx elsewhere.
    if ! command -v nginx >/dev/null 2>&1; then
        ensure_packages nginx-light 2>/dev/null || ensure_packages nginx
    fi
    command -v nginx >/dev/null 2>&1 || die "nginx not found after installing it"
    command -v python3 >/dev/null 2>&1 || ensure_packages python3
    ensure_swift
}

build() {
    local flags=(-c release) t0=$SECONDS
    [[ -n "${BENCH_SCRATCH_PATH:-}" ]] && flags+=(--scratch-path "$BENCH_SCRATCH_PATH")
    log_info "building: swift build ${flags[*]}"
    # Compiler output to stderr with the logs: stdout carries only the report.
    swift build "${flags[@]}" >&2
    BIN_DIR="$(swift build "${flags[@]}" --show-bin-path)"
    BUILD_SECONDS=$((SECONDS - t0))
    local name
    for name in "${SERVICES[@]}"; do
        [[ -x "$BIN_DIR/$name" ]] || die "$BIN_DIR/$name not found after the build"
    done
}

# Start service NAME listening on PORT with extra VAR=VALUE settings, and
# record how long it takes from exec to /health/live and to /health/ready.
start_service() {
    # NAME may be BINARY@VARIANT: a second instance of a binary under its own name.
    local name="$1" port="$2" binary="${1%%@*}"
    shift 2
    local log="$STATE_DIR/logs/$name.log" base="http://127.0.0.1:$port" t0 live_ms rc=0
    t0="$(now_us)"
    # cwd = the temp folder: the services also read a .env from their working
    # directory, and a developer's .env must not change the bench. setsid
    # keeps a Ctrl-C on the terminal away from them (cleanup stops them in
    # order); it and env exec in place, so $! is the service itself.
    (cd "$STATE_DIR" && exec setsid env LOG_LEVEL=warning "$@" "$BIN_DIR/$binary") \
        </dev/null >"$log" 2>&1 &
    PID[$name]=$!

    poll_http "$base/health/live" 30 "${PID[$name]}" || rc=$?
    if ((rc != 0)); then
        tail -n 40 "$log" >&2 || true
        ((rc == 2)) && die "$name exited during start (log above)"
        die "$name did not answer /health/live within 30 s (log above)"
    fi
    live_ms=$((($(now_us) - t0) / 1000))
    fact "live_ms.$name" "$live_ms"
    poll_http "$base/health/ready" 60 "${PID[$name]}" || rc=$?
    if ((rc != 0)); then
        tail -n 40 "$log" >&2 || true
        curl -sS --max-time 2 "$base/health/ready" >&2 || true
        die "$name was not ready within 60 s (log and /health/ready above)"
    fi
    fact "ready_ms.$name" $((($(now_us) - t0) / 1000))
    log_info "$name (pid ${PID[$name]}) on port $port: ready in $live_ms ms"
}

# Set PICKED to a free loopback port from START on that no earlier call
# handed out: every port is chosen before its service starts, so free_port
# alone could give the same one twice (a service port and a metrics port).
# Not meant for $(...): the record of taken ports lives in this shell.
TAKEN_PORTS=" "
PICKED=""
pick_port() {
    local port="$1"
    while :; do
        port="$(free_port "$port")" || die "no free port from $1 on"
        [[ "$TAKEN_PORTS" != *" $port "* ]] && break
        port=$((port + 1))
    done
    TAKEN_PORTS+="$port "
    PICKED="$port"
}

start_services() {
    local port metrics
    # Every service also serves Prometheus metrics on a port of its own
    # (defaults 9090/9092/9093): moved to free ports so that a `make run`
    # stack on this machine does not collide with the bench.
    pick_port 20082 && port="$PICKED"
    pick_port 21082 && metrics="$PICKED"
    start_service AuthService "$port" \
        AUTH_HOST=127.0.0.1 AUTH_PORT="$port" AUTH_METRICS_PORT="$metrics" \
        DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" \
        JWT_PRIVATE_KEY_FILE="$JWT_PRIVATE_KEY_FILE" \
        ACCESS_TOKEN_TTL=3600 # the one token must outlive a long bench
    URL[auth]="http://127.0.0.1:$port"

    pick_port 20283 && port="$PICKED"
    pick_port 21283 && metrics="$PICKED"
    start_service ContentService "$port" \
        CONTENT_HOST=127.0.0.1 CONTENT_PORT="$port" CONTENT_METRICS_PORT="$metrics" \
        AUTH_SERVICE_URL="${URL[auth]}"
    URL[direct]="http://127.0.0.1:$port"

    # The gateway's per-address rate limits (signin 30/min by default) would
    # turn the signin and refresh runs into a measure of 429s: raised far out
    # of reach. The limiter's Redis round trip still runs on every signin, and
    # the revocation check (also Redis) stays on for /api/test/user.
    pick_port 20480 && port="$PICKED"
    pick_port 21480 && metrics="$PICKED"
    start_service Gateway "$port" \
        GATEWAY_HOST=127.0.0.1 GATEWAY_PORT="$port" GATEWAY_METRICS_PORT="$metrics" \
        AUTH_SERVICE_URL="${URL[auth]}" CONTENT_SERVICE_URL="${URL[direct]}" \
        REDIS_URL="$REDIS_URL" \
        RATE_LIMIT_SIGNIN=100000000 RATE_LIMIT_SIGNUP=100000000 RATE_LIMIT_REFRESH=100000000 \
        "${GATEWAY_ENV[@]}"
    URL[gateway]="http://127.0.0.1:$port"

    # The same gateway without the revocation lookup, only to measure what that one Redis round
    # trip per protected request costs (issue: at most 15% of throughput).
    pick_port 20580 && port="$PICKED"
    pick_port 21580 && metrics="$PICKED"
    start_service Gateway@norevoke "$port" \
        GATEWAY_HOST=127.0.0.1 GATEWAY_PORT="$port" GATEWAY_METRICS_PORT="$metrics" \
        AUTH_SERVICE_URL="${URL[auth]}" CONTENT_SERVICE_URL="${URL[direct]}" \
        REDIS_URL="$REDIS_URL" REVOCATION_CHECK=off \
        "${GATEWAY_ENV[@]}"
    URL[gateway-norevoke]="http://127.0.0.1:$port"
}

# nginx as the reference reverse proxy: its own prefix, config and temp
# folders in the temp dir (nothing under /etc/nginx or /var/lib/nginx is
# used), no access log (the services log at warning only, too), and a
# keep-alive pool to the content service so it does not pay a TCP connect per
# request.
start_nginx() {
    local dir="$STATE_DIR/nginx" port content_port="${URL[direct]##*:}" temp="" module
    pick_port 20680 && port="$PICKED"
    mkdir -p "$dir/temp"
    chmod 755 "$dir" "$dir/temp" # workers run as nobody when we are root
    temp+="    client_body_temp_path $dir/temp/body;"$'\n'
    temp+="    proxy_temp_path $dir/temp/proxy;"$'\n'
    # Only modules this nginx has accept their *_temp_path directive.
    for module in fastcgi uwsgi scgi; do
        nginx -V 2>&1 | grep -q -- "--without-http_${module}_module" ||
            temp+="    ${module}_temp_path $dir/temp/$module;"$'\n'
    done
    cat >"$dir/nginx.conf" <<EOF
worker_processes $NGINX_WORKERS;
pid $dir/nginx.pid;
error_log $STATE_DIR/logs/nginx-error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
$temp
    upstream content {
        server 127.0.0.1:$content_port;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://content;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
    local args=(-p "$dir" -c "$dir/nginx.conf" -e "$STATE_DIR/logs/nginx-error.log")
    nginx -t -q "${args[@]}" || die "nginx rejected $dir/nginx.conf"
    (exec setsid nginx "${args[@]}" -g 'daemon off;') </dev/null >>"$STATE_DIR/logs/nginx-error.log" 2>&1 &
    PID[nginx]=$!
    URL[nginx]="http://127.0.0.1:$port"
    poll_http "${URL[nginx]}/api/test/all" 30 "${PID[nginx]}" ||
        { tail -n 20 "$STATE_DIR/logs/nginx-error.log" >&2; die "nginx did not come up"; }
    log_info "nginx (pid ${PID[nginx]}, worker_processes $NGINX_WORKERS) on port $port"
}

# Sign up and sign in the bench user through the gateway; sets TOKEN.
make_user() {
    local out="$STATE_DIR/answer.json" status
    # Letters and digits only: signin.lua builds its JSON without escaping.
    BENCH_USER="bench$(openssl rand -hex 4)"
    BENCH_PASSWORD="$(openssl rand -hex 16)"
    status="$(post_json "${URL[gateway]}/api/auth/signup" \
        "{\"username\":\"$BENCH_USER\",\"email\":\"$BENCH_USER@bench.example\",\"password\":\"$BENCH_PASSWORD\"}" "$out")"
    [[ "$status" == 200 ]] || { cat "$out" >&2; die "signup answered $status"; }
    status="$(post_json "${URL[gateway]}/api/auth/signin" \
        "{\"username\":\"$BENCH_USER\",\"password\":\"$BENCH_PASSWORD\"}" "$out")"
    [[ "$status" == 200 ]] || { cat "$out" >&2; die "signin answered $status"; }
    TOKEN="$(json_field accessToken "$out")"
    [[ -n "$TOKEN" ]] || { cat "$out" >&2; die "signin answer has no accessToken"; }
    log_info "signed up and signed in $BENCH_USER"
}

# Each target must answer the path with exactly 200 "User Content." before it
# is measured: wrk alone would also count a 3xx as success.
check_targets() {
    local target body status
    for target in "${TARGETS[@]}"; do
        body="$STATE_DIR/answer.txt"
        status="$(curl -sS --max-time 5 -o "$body" -w '%{http_code}' \
            -H "x-access-token: $TOKEN" "${URL[$target]}$PATH_UNDER_TEST")"
        [[ "$status" == 200 && "$(<"$body")" == "User Content." ]] ||
            die "$target answered $status '$(head -c 200 "$body")' on $PATH_UNDER_TEST, expected 200 'User Content.'"
    done
    # And without a token the gateway must refuse: proves it checks tokens.
    status="$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "${URL[gateway]}$PATH_UNDER_TEST")"
    [[ "$status" == 401 || "$status" == 403 ]] || die "gateway answered $status without a token, expected 401/403"
}

# ------------------------------------------------------------- measuring ---

# Sample VmRSS of every service every 0.5 s into rss-samples (name kB).
# Pure bash reads of /proc: no forks stealing CPU from the load.
start_rss_sampler() {
    (
        trap 'exit 0' TERM
        while :; do
            for name in "${SERVICES[@]}"; do
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
    for name in "${SERVICES[@]}"; do
        fact "$prefix.$name" "$(awk '/^VmHWM:/ {print $2}' "/proc/${PID[$name]}/status")"
    done
}

# Stop the sampler; record the final peaks and the largest sample.
record_rss() {
    local name
    stop_pid "$SAMPLER_PID" 2
    SAMPLER_PID=""
    record_hwm rss_hwm_kib
    for name in "${SERVICES[@]}"; do
        fact "rss_sampled_kib.$name" "$(awk -v n="$name" '$1 == n && $2 > m {m = $2} END {print m + 0}' "$STATE_DIR/rss-samples")"
    done
}

# One wrk run: TARGET at CONCURRENCY, a warm-up first. Appends a line to runs.
run_wrk() {
    local target="$1" conc="$2" url="${URL[$1]}$PATH_UNDER_TEST"
    local out="$STATE_DIR/logs/wrk-$target-c$conc.txt" status=ok stats
    local rps=nan p50=nan p99=nan requests=0 non2xx=0 sockerr=0
    log_info "wrk $target c=$conc: $WARMUP warm-up, then $DURATION"
    run_child /dev/null timeout "$WARMUP_LIMIT" wrk -t"$THREADS" -c"$conc" -d"$WARMUP" \
        -H "x-access-token: $TOKEN" "$url" || log_warn "warm-up of $target c=$conc failed"
    if ! run_child "$out" timeout "$RUN_LIMIT" wrk -t"$THREADS" -c"$conc" -d"$DURATION" --latency \
        -H "x-access-token: $TOKEN" "$url"; then
        status=FAILED
    fi
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

# Signins/s through the gateway with wrk + signin.lua (each one is a full
# argon2id verification, so this measures the password hashing).
run_signin() {
    local out="$STATE_DIR/logs/wrk-signin.txt" stats threads=$THREADS
    local rps=nan p50=nan p99=nan requests=0 non2xx=0 sockerr=0 status="all 200"
    ((threads <= SIGNIN_CONNECTIONS)) || threads=$SIGNIN_CONNECTIONS
    log_info "signin: wrk c=$SIGNIN_CONNECTIONS for $SIGNIN_DURATION"
    run_child "$out" env BENCH_USER="$BENCH_USER" BENCH_PASSWORD="$BENCH_PASSWORD" \
        timeout "$SIGNIN_LIMIT" wrk -t"$threads" -c"$SIGNIN_CONNECTIONS" -d"$SIGNIN_DURATION" --latency \
        -s "$BENCH_DIR/signin.lua" "${URL[gateway]}/api/auth/signin" || status="wrk FAILED"
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
    local line n secs per_s p50 p99
    if ((REFRESH_SECONDS == 0)); then
        fact refresh.status "skipped (BENCH_REFRESH_SECONDS=0)"
        return 0
    fi
    log_info "refresh: sequential loop for ${REFRESH_SECONDS}s"
    if line="$(timeout $((REFRESH_SECONDS + 30)) python3 "$BENCH_DIR/refresh.py" \
        "${URL[gateway]}" "$BENCH_USER" "$BENCH_PASSWORD" "$REFRESH_SECONDS" 2>"$STATE_DIR/logs/refresh.err")"; then
        read -r n secs per_s p50 p99 <<<"$line"
        fact refresh.count "$n"
        fact refresh.seconds "$secs"
        fact refresh.per_s "$per_s"
        fact refresh.p50 "$p50"
        fact refresh.p99 "$p99"
    else
        cat "$STATE_DIR/logs/refresh.err" >&2
        fact refresh.status "FAILED: $(head -c 300 "$STATE_DIR/logs/refresh.err")"
        FAILURES+=("refresh: $(head -c 300 "$STATE_DIR/logs/refresh.err")")
    fi
    check_alive
}

# ------------------------------------------------------------------- main ---

main() {
    cd "$REPO_ROOT"
    check_settings
    install_tools
    build

    # Bounds for every wrk call: its duration plus a generous margin, so a
    # hung server can never hold the bench forever.
    RUN_LIMIT=$(($(duration_seconds "$DURATION") + 30))
    WARMUP_LIMIT=$(($(duration_seconds "$WARMUP") + 30))
    SIGNIN_LIMIT=$(($(duration_seconds "$SIGNIN_DURATION") + 30))

    # Everything is loopback: make sure a proxy setting never captures curl.
    export no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
    export NO_PROXY="$no_proxy"
    # Room for the connections of high concurrencies (best effort; the
    # services started below inherit it).
    local nofile
    nofile="$(ulimit -Hn)"
    if [[ "$nofile" == unlimited ]] || ((nofile > 65536)); then nofile=65536; fi
    ulimit -n "$nofile" 2>/dev/null || true

    unset DATABASE_URL REDIS_URL JWT_PRIVATE_KEY_FILE JWKS_URL
    STATE_DIR="$(mktemp -d /tmp/authstack-bench.XXXXXX)"
    chmod 755 "$STATE_DIR" # the postgres user (and nginx workers) must enter it
    mkdir -p "$STATE_DIR/logs"
    : >"$STATE_DIR/facts"
    : >"$STATE_DIR/runs"
    # shellcheck disable=SC2034 # read by start_stores (stores.sh)
    STORES_EPHEMERAL=1 # throwaway data: skip fsync
    start_stores "$STATE_DIR"
    ensure_dev_key "$STATE_DIR/jwt-dev-key.pem"

    start_services
    record_hwm rss_hwm_start_kib # idle, before any request
    make_user
    start_nginx
    check_targets

    fact duration "$DURATION"
    fact warmup "$WARMUP"
    fact threads "$THREADS"
    fact nginx_workers "$NGINX_WORKERS"
    fact gateway_env "${GATEWAY_ENV[*]}"
    fact cpus "$(nproc)"
    fact other_cpu_pct "$(other_cpu_percent)"

    start_rss_sampler
    local conc target
    for conc in "${CONCURRENCIES[@]}"; do
        for target in "${TARGETS[@]}"; do
            run_wrk "$target" "$conc"
        done
    done
    # Signin runs argon2id (19 MiB per hash in flight): the peak before it
    # tells what the GET load alone costs.
    record_hwm rss_hwm_get_kib
    run_signin
    run_refresh
    record_rss

    local report="$STATE_DIR/bench-results.txt"
    {
        printf '\n=== auth stack benchmark (%s, commit %s) ===\n\n' \
            "$(date '+%Y-%m-%d %H:%M')" "$(git -C "$REPO_ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
        python3 "$BENCH_DIR/report.py" "$STATE_DIR/runs" "$STATE_DIR/facts"
        printf '\n  took %d s in all (build %d s)\n' $((SECONDS - START_SECONDS)) "$BUILD_SECONDS"
        if ((${#FAILURES[@]} > 0)); then
            printf '\n  BROKEN: %d step(s) failed:\n' "${#FAILURES[@]}"
            printf '    - %s\n' "${FAILURES[@]}"
        fi
    } >"$report"
    cat "$report"
    if [[ -n "${BENCH_OUTPUT:-}" ]]; then
        cp "$report" "$BENCH_OUTPUT"
        log_info "report copied to $BENCH_OUTPUT"
    fi
    ((${#FAILURES[@]} == 0)) || die "${#FAILURES[@]} bench step(s) failed (see above)"
}

main "$@"
