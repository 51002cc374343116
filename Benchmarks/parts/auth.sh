# shellcheck shell=bash
# The auth endpoints, part of Benchmarks/bench.sh (sourced).
#
#   run_signin    signins/s through the default gateway (wrk + signin.lua)
#   run_refresh   one client's refreshes/s in sequence (refresh.py)
# shellcheck disable=SC2154,SC2153 # globals of Benchmarks/bench.sh (THREADS, TOKEN, ...)

# Signins/s through the default gateway with wrk + signin.lua (each one is a
# full argon2id verification, so this measures the password hashing).
run_signin() {
    local out="$STATE_DIR/logs/wrk-signin.txt" threads=$THREADS status=ok
    ((threads <= SIGNIN_CONNECTIONS)) || threads=$SIGNIN_CONNECTIONS
    log_info "signin: wrk c=$SIGNIN_CONNECTIONS for $SIGNIN_DURATION"
    run_child "$out" env BENCH_USER="$BENCH_USER" BENCH_PASSWORD="$BENCH_PASSWORD" \
        timeout "$SIGNIN_LIMIT" wrk -t"$threads" -c"$SIGNIN_CONNECTIONS" -d"$SIGNIN_DURATION" --latency \
        -s "$BENCH_DIR/signin.lua" "${URL[gw-default]}/api/auth/signin" || status=FAILED
    local outcome="all 200"
    read_wrk "$out" signin "$status" || outcome="FAILED: ${WRK[4]} non-2xx, ${WRK[5]} socket errors"
    fact signin.conc "$SIGNIN_CONNECTIONS"
    fact signin.duration "$SIGNIN_DURATION"
    fact signin.rps "${WRK[0]}"
    fact signin.p50 "${WRK[1]}"
    fact signin.p99 "${WRK[2]}"
    fact signin.requests "${WRK[3]}"
    fact signin.status "$outcome"
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
