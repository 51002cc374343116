#!/usr/bin/env bash
# `make bench`: the gateway's data plane measured next to nginx, every cost in
# one run on one machine state, on throwaway PostgreSQL + Redis and key.
#
# GET /api/test/user with a valid token, wrk -t2, a warm-up then a measured
# run, at each concurrency (default 32 and 64), in rounds (default 5) that
# each run every row once, through:
#   1 direct        the content service itself
#   2 nginx-log     nginx proxy_pass, access log on (buffer=64k flush=1s), keep-alive upstream pool
#   3 nginx-nolog   the same nginx, access log off
#   4 gw-default    the gateway at its defaults: request logging on, revocation check on
#   5 gw-nolog      the gateway with LOG_LEVEL=warning (no request lines), revocation check on
#   6 gw-norevoke   a BenchmarkVariants build of the gateway, LOG_LEVEL=warning and
#                   BENCH_SKIP_REVOCATION_CHECK=1 (no request lines, no revocation check)
#   7 stack         the whole stack at defaults: gateway defaults -> content service at LOG_LEVEL=info
#   8 haproxy       HAProxy (Debian's), no log, keep-alive and connection reuse to the upstream
#   9 gw-traced     row 4 with traces on (OTEL_EXPORTER_OTLP_ENDPOINT), one request in ten
#                   sampled, exported to a sink that only answers (parts/otlp_sink.py)
# Rows 1-6, 8 and 9 share one upstream, a content service at LOG_LEVEL=warning, so they
# compare proxies; row 7 has its own content service logging at info.
# Then: token verification per key kind (TokenVerificationBench, one core),
# signins/s and sequential refreshes/s through the gateway, revocation
# propagation between two gateway replicas (rows 4 and 7's gateways: signout
# through one, how long until the other refuses the token), peak RSS of every
# service, and the time each took from exec to /health/live. The report ends
# with the targets of issue 9 as PASS / MISS.
#
# Before the loads it proves what rows 5 and 6 claim: a signed-out token is
# still let through by the row-6 gateway and refused by the row-5 gateway,
# which is started with BENCH_SKIP_REVOCATION_CHECK=1 as well (a production
# build has no such switch, so it must ignore the variable).
#
# The parts, in Benchmarks/parts/: binaries.sh (prebuilt or built binaries, the
# variant build), launcher.sh (the stores and processes, started and
# stopped by the system tests' harness), stack.sh (the services, the user,
# the checks before measuring), nginx.sh, load.sh (the GET rows), auth.sh (signin, refresh),
# tokens.sh (verification per key kind, propagation), memory.sh, cpu.sh (how
# busy the machine is with other work), helpers.sh; report.py renders the
# results, with parse_wrk.py, refresh.py, propagation.py and signin.lua as
# helpers of the parts.
#
# Exit status: 0 when every step worked, even with targets MISSed (they are
# informational); non-zero when something broke (a service died, a run saw a
# non-2xx answer or a socket error, a check before the loads failed).
#
# Every service runs with a clean environment: the settings below and nothing
# from the caller, so "defaults" are the defaults. Beyond those of each row:
# ACCESS_TOKEN_TTL=3600 (one token outlives the bench), the gateways'
# per-address rate limits raised out of reach (else signin would measure
# 429s), metrics on free ports. nginx runs worker_processes auto (one per CPU,
# as the gateway runs one event loop per CPU).
#
# Environment (all optional):
#   BENCH_BIN_DIR          prebuilt Gateway, AuthService, ContentService (release):
#                          no build
#   BENCH_VARIANT_BIN_DIR  prebuilt Gateway built with `--traits BenchmarkVariants`
#                          and TokenVerificationBench; without it both are built
#                          in .build-bench-variant (see Benchmarks/parts/binaries.sh)
#   BENCH_CONCURRENCIES    wrk connections, space-separated    (default "32 64")
#   BENCH_DURATION         wrk duration of each measured run   (default 3s)
#   BENCH_WARMUP           wrk warm-up before each run         (default 1s)
#   BENCH_ROUNDS           rounds of all the GET rows; each row and ratio
#                          reported is the median of the rounds (default 5)
#   BENCH_THREADS          wrk threads                         (default 2)
#   BENCH_NGINX_WORKERS    nginx worker_processes              (default auto)
#   BENCH_SIGNIN_CONNECTIONS / BENCH_SIGNIN_DURATION  signin run (default 8 / 5s)
#   BENCH_REFRESH_SECONDS  sequential refresh loop, 0 skips it (default 3)
#   BENCH_VERIFY_SECONDS   TokenVerificationBench seconds per key kind, 0 skips (default 2)
#   BENCH_PROPAGATION_SESSIONS  sessions signed out for propagation, 0 skips (default 200)
#   BENCH_GATEWAY_ENV      extra VAR=VALUE settings for every gateway, space-separated
#   BENCH_PORT_BASE        free ports are taken among the 200 from here (default 19300)
#   BENCH_OUTPUT           also write the report to this file
#   BENCH_KEEP_LOGS        copy the service, nginx and Redis logs, raw wrk
#                          output and the report to this folder before the
#                          temporary folder is deleted
# The report goes to stdout; progress, compiler output and errors to stderr.
# Any DATABASE_URL, REDIS_URL or JWT_PRIVATE_KEY_FILE of the caller is ignored:
# the bench always uses its own throwaway stores and key. Every process it
# starts is stopped at the end, however the bench ends.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH_DIR="$REPO_ROOT/Benchmarks/parts"
# shellcheck source=Benchmarks/parts/base.sh
source "$BENCH_DIR/base.sh"
# shellcheck source=Benchmarks/parts/nginx.sh
source "$BENCH_DIR/nginx.sh"
# shellcheck source=Benchmarks/parts/haproxy.sh
source "$BENCH_DIR/haproxy.sh"
# shellcheck source=Benchmarks/parts/cpu.sh
source "$BENCH_DIR/cpu.sh"
# shellcheck source=Benchmarks/parts/memory.sh
source "$BENCH_DIR/memory.sh"
# shellcheck source=Benchmarks/parts/load.sh
source "$BENCH_DIR/load.sh"
# shellcheck source=Benchmarks/parts/auth.sh
source "$BENCH_DIR/auth.sh"
# shellcheck source=Benchmarks/parts/tokens.sh
source "$BENCH_DIR/tokens.sh"
# shellcheck source=Benchmarks/parts/mail.sh
source "$BENCH_DIR/mail.sh"

read -r -a CONCURRENCIES <<<"${BENCH_CONCURRENCIES:-32 64}"
DURATION="${BENCH_DURATION:-3s}"
WARMUP="${BENCH_WARMUP:-1s}"
ROUNDS="${BENCH_ROUNDS:-5}"
THREADS="${BENCH_THREADS:-2}"
NGINX_WORKERS="${BENCH_NGINX_WORKERS:-auto}"
SIGNIN_CONNECTIONS="${BENCH_SIGNIN_CONNECTIONS:-8}"
SIGNIN_DURATION="${BENCH_SIGNIN_DURATION:-5s}"
REFRESH_SECONDS="${BENCH_REFRESH_SECONDS:-3}"
VERIFY_SECONDS="${BENCH_VERIFY_SECONDS:-2}"
PROPAGATION_SESSIONS="${BENCH_PROPAGATION_SESSIONS:-200}"
PORT_BASE="${BENCH_PORT_BASE:-19300}"
read -r -a GATEWAY_ENV <<<"${BENCH_GATEWAY_ENV:-}"

# The rows wrk loads, in the order of a round: the two sides of each target
# run one after the other where a line allows (2 and 4, 4 and 1 for the p99,
# 3 and 5, 5 and 8, 8 and 6; 9 and 4 and 4 and 5 are two and three apart), so that a slow
# spell of the machine touches both or neither. report.py prints them in row order.
TARGETS=(gw-traced nginx-log gw-default direct nginx-nolog gw-nolog haproxy gw-norevoke stack)
PATH_UNDER_TEST="/api/test/user"

STATE_DIR=""      # the throwaway folder: stores, key, logs, wrk output
BIN_DIR=""        # Gateway, AuthService, ContentService
VARIANT_BIN_DIR="" # the Gateway built with the BenchmarkVariants trait, TokenVerificationBench
declare -A URL=() # target or process name -> base URL
SAMPLER_PID=""
CHILD_PID="" # the wrk run or helper in progress (see run_child)
TOKEN=""
BENCH_USER=""
BENCH_PASSWORD=""
FAILURES=() # what broke, for the final verdict
START_SECONDS=$SECONDS

# Stop the helper in progress, the RSS sampler, then everything the launcher
# started; keep logs if asked; delete the temporary folder. Runs once, with
# further signals ignored (on_exit).
# shellcheck disable=SC2317,SC2329 # invoked through on_exit
cleanup() {
    [[ -n "$CHILD_PID" ]] && stop_pid "$CHILD_PID" 5
    [[ -n "$SAMPLER_PID" ]] && stop_pid "$SAMPLER_PID" 2
    stop_launcher
    if [[ -n "${BENCH_KEEP_LOGS:-}" && -n "$STATE_DIR" && -d "$STATE_DIR" ]]; then
        mkdir -p "$BENCH_KEEP_LOGS" &&
            cp -r "$STATE_DIR/logs/." "$STATE_DIR/harness/stores/." "$BENCH_KEEP_LOGS/" &&
            cp -f "$STATE_DIR/bench-results.txt" "$STATE_DIR/facts" "$STATE_DIR/runs" "$BENCH_KEEP_LOGS/" 2>/dev/null
        log_info "logs, raw wrk output and report copied to $BENCH_KEEP_LOGS"
    fi
    [[ -n "$STATE_DIR" ]] && rm -rf -- "$STATE_DIR"
}

# Die early, before any build, on a setting that cannot work.
check_settings() {
    local c setting
    [[ "$THREADS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_THREADS must be a positive number"
    [[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive number"
    ((${#CONCURRENCIES[@]} > 0)) || die "BENCH_CONCURRENCIES is empty"
    for setting in "${GATEWAY_ENV[@]}"; do
        [[ "$setting" =~ ^[A-Z_][A-Z0-9_]*= ]] || die "BENCH_GATEWAY_ENV: '$setting' is not VAR=VALUE"
    done
    for c in "${CONCURRENCIES[@]}"; do
        [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "BENCH_CONCURRENCIES: '$c' is not a positive number"
        ((c >= THREADS)) || die "BENCH_CONCURRENCIES: wrk needs at least as many connections ($c) as threads ($THREADS)"
    done
    [[ "$SIGNIN_CONNECTIONS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_SIGNIN_CONNECTIONS must be a positive number"
    [[ "$REFRESH_SECONDS" =~ ^[0-9]+$ ]] || die "BENCH_REFRESH_SECONDS must be a whole number of seconds"
    [[ "$VERIFY_SECONDS" =~ ^[0-9]+$ ]] || die "BENCH_VERIFY_SECONDS must be a whole number of seconds"
    [[ "$PROPAGATION_SESSIONS" =~ ^[0-9]+$ ]] || die "BENCH_PROPAGATION_SESSIONS must be a whole number"
    if [[ ! "$PORT_BASE" =~ ^[1-9][0-9]*$ ]] || ((PORT_BASE > 32768 - 200)); then
        die "BENCH_PORT_BASE must be a port below the ephemeral range (32768)"
    fi
    [[ "$NGINX_WORKERS" =~ ^([1-9][0-9]*|auto)$ ]] || die "BENCH_NGINX_WORKERS must be a number or auto"
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
    ensure_packages haproxy
    command -v python3 >/dev/null 2>&1 || ensure_packages python3
}

# Print the report from the facts and runs gathered.
write_report() {
    printf '\n=== auth stack benchmark (%s, commit %s) ===\n\n' \
        "$(date '+%Y-%m-%d %H:%M')" "$(git -C "$REPO_ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
    python3 "$BENCH_DIR/report.py" "$STATE_DIR/runs" "$STATE_DIR/facts"
    mail_report
    printf '\n  took %d s in all (build %s s, variant build %s s)\n' $((SECONDS - START_SECONDS)) \
        "$BUILD_SECONDS" "$VARIANT_BUILD_SECONDS"
    if ((${#FAILURES[@]} > 0)); then
        printf '\n  BROKEN: %d step(s) failed:\n' "${#FAILURES[@]}"
        printf '    - %s\n' "${FAILURES[@]}"
    fi
}

main() {
    cd "$REPO_ROOT"
    check_settings
    on_exit cleanup
    install_tools
    find_binaries
    find_variant_binary

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
    local early
    for early in "${EARLY_FACTS[@]}"; do
        printf '%s\n' "$early" >>"$STATE_DIR/facts"
    done
    start_launcher "$STATE_DIR" "$PORT_BASE-$((PORT_BASE + 199))"
    start_stores
    ensure_dev_key "$STATE_DIR/jwt-dev-key.pem"

    start_services
    record_hwm rss_hwm_start_kib # idle, before any request
    make_user
    start_nginx
    start_haproxy
    check_targets
    check_revocation_switch

    fact duration "$DURATION"
    fact warmup "$WARMUP"
    fact threads "$THREADS"
    fact rounds "$ROUNDS"
    fact clock_ticks_per_s "$(getconf CLK_TCK)"
    fact nginx_workers "$NGINX_WORKERS"
    fact gateway_env "${GATEWAY_ENV[*]}"
    fact cpus "$(nproc)"
    fact other_cpu_pct "$(other_cpu_percent)"
    fact bin_dir "$BIN_DIR"
    fact variant_bin_dir "$VARIANT_BIN_DIR"

    run_token_verification
    note_own_pids
    start_rss_sampler
    # Rounds, each running every row once: a ratio is taken between runs a
    # minute apart at most, and the median round is reported, so a slow spell
    # of this virtual machine skews one round's rows, not one row.
    local round conc target
    for ((round = 1; round <= ROUNDS; round++)); do
        for conc in "${CONCURRENCIES[@]}"; do
            for target in "${TARGETS[@]}"; do
                run_wrk "$target" "$conc" "$round"
            done
        done
    done
    # Signin runs argon2id (19 MiB per hash in flight): the peak before it
    # tells what the GET load alone costs.
    record_hwm rss_hwm_get_kib
    count_request_lines
    run_signin
    run_refresh
    run_propagation
    record_rss
    run_mail_delivery

    local report="$STATE_DIR/bench-results.txt"
    write_report >"$report"
    cat "$report"
    if [[ -n "${BENCH_OUTPUT:-}" ]]; then
        cp "$report" "$BENCH_OUTPUT"
        log_info "report copied to $BENCH_OUTPUT"
    fi
    ((${#FAILURES[@]} == 0)) || die "${#FAILURES[@]} bench step(s) failed (see above)"
}

main "$@"
