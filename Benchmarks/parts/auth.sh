# shellcheck shell=bash
# The auth endpoints, part of Benchmarks/bench.sh (sourced).
#
#   run_signin    signins/s through the default gateway (wrk + signin.lua)
#   run_refresh   one client's refreshes/s in sequence (refresh.py)
# shellcheck disable=SC2154,SC2153 # globals of Benchmarks/bench.sh (THREADS, TOKEN, ...)

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
