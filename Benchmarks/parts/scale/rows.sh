# shellcheck shell=bash
# The rows `make bench-scale` measures at each size, part of Benchmarks/bench-scale.sh (sourced). Each
# run appends "STEP SIDE ROUND ROW RPS P50_MS P99_MS REQUESTS STATUS" to STATE_DIR/runs.
#
#   measure_step STEP   every row on both stacks (scale, empty), one after the other, in ROUNDS rounds
#   footprint           one real session's Redis keys after 1 and after 1,000 refreshes
# shellcheck disable=SC2154 # globals of Benchmarks/bench-scale.sh

# The admin rows: GETs with the admin's token, at ADMIN_CONNECTIONS connections.
ADMIN_ROWS=(users_first users_after users_offset search_one search_thousand search_all user_detail
    audit_latest audit_user audit_user_type audit_type_before)

# record_run STEP SIDE ROUND ROW WRK_OUTPUT: parse a wrk output and append its line to runs.
record_run() {
    local step="$1" side="$2" round="$3" row="$4" out="$5" status=ok
    read_wrk "$out" "$row on $side at $step, round $round" || status=FAILED
    printf '%s %s %s %s %s %s %s %s %s\n' "$step" "$side" "$round" "$row" "${WRK[@]:0:4}" "$status" >>"$STATE_DIR/runs"
}

# wrk_row STEP SIDE ROUND ROW CONNECTIONS URL_PATH [wrk arguments...]: a 1 s warm-up, then DURATION,
# against SIDE's gateway.
wrk_row() {
    local step="$1" side="$2" round="$3" row="$4" conc="$5" path="$6" out="$STATE_DIR/logs/wrk-$1-$2-r$3-$4.txt"
    shift 6
    run_child /dev/null timeout 40 wrk -t"$THREADS" -c"$conc" -d1s "$@" "${URL[gw-$side]}$path" || true
    run_child "$out" timeout $((DURATION_SECONDS + 40)) wrk -t"$THREADS" -c"$conc" -d"$DURATION" --latency "$@" \
        "${URL[gw-$side]}$path" || log_warn "wrk $row on $side exited non-zero"
    record_run "$step" "$side" "$round" "$row" "$out"
    check_alive
}

# measure_row STEP SIDE ROUND ROW: one row on one stack.
measure_row() {
    local step="$1" side="$2" round="$3" row="$4" paths user users=0 events=0
    if [[ "$side" == scale ]]; then
        users=$LOADED_USERS events=$LOADED_EVENTS
    fi
    user="${BENCH_USERS[$side]}"
    # A bulk user signs in where there are some: found among them by its key, the same argon2id work.
    ((users > 0)) && user="$(printf 'scale%07d' $((users / 2)))"
    case "$row" in
        signin)
            BENCH_USER="$user" BENCH_PASSWORD="$BENCH_PASSWORD" wrk_row "$step" "$side" "$round" signin "$SIGNIN_CONNECTIONS" \
                /api/auth/signin -s "$BENCH_DIR/signin.lua"
            ;;
        test_user)
            wrk_row "$step" "$side" "$round" test_user "$GET_CONNECTIONS" /api/test/user -H "Authorization: Bearer ${TOKEN[$side]}"
            ;;
        refresh)
            run_refresh_row "$step" "$side" "$round" "$user"
            ;;
        *)
            paths="$STATE_DIR/paths-$step-$side-$row"
            [[ -s "$paths" ]] || python3 "$SCALE_DIR/paths.py" "$row" "${FIRST_ID[$side]}" "$users" "$events" "$HOT_USER" 2000 \
                "$((users + 7))" >"$paths"
            BENCH_PATHS="$paths" wrk_row "$step" "$side" "$round" "$row" "$ADMIN_CONNECTIONS" / -s "$SCALE_DIR/paths.lua" \
                -H "x-access-token: ${ADMIN_TOKEN[$side]}"
            ;;
    esac
}

# Every row on both stacks, one right after the other (which one first alternates by round), in
# ROUNDS rounds: a slow spell of the machine falls on both sides of a ratio, or on neither.
measure_step() {
    local step="$1" round row sides
    for ((round = 1; round <= ROUNDS; round++)); do
        sides=(scale empty)
        ((round % 2 == 0)) && sides=(empty scale)
        for row in "${ADMIN_ROWS[@]}" signin test_user refresh; do
            log_info "$row at $step, round $round/$ROUNDS: ${sides[0]}, then ${sides[1]}"
            measure_row "$step" "${sides[0]}" "$round" "$row"
            measure_row "$step" "${sides[1]}" "$round" "$row"
        done
    done
    if [[ -s "$STATE_DIR/tokens" ]]; then
        check_bulk_tokens "$step"
    fi
}

# One client refreshing in sequence for REFRESH_SECONDS (refresh.py): refresh tokens are single-use.
run_refresh_row() {
    local step="$1" side="$2" round="$3" user="$4" n per_s p50 p99 out="$STATE_DIR/logs/refresh-$1-$2-r$3.txt"
    if run_child "$out" timeout $((REFRESH_SECONDS + 60)) python3 "$BENCH_DIR/refresh.py" "${URL[gw-$side]}" "$user" \
        "$BENCH_PASSWORD" "$REFRESH_SECONDS"; then
        read -r n _ per_s p50 p99 <<<"$(tail -n 1 "$out")"
        printf '%s %s %s refresh %s %s %s %s ok\n' "$step" "$side" "$round" "$per_s" "$p50" "$p99" "$n" >>"$STATE_DIR/runs"
    else
        FAILURES+=("refresh on $side at $step, round $round: $(head -c 300 "$out")")
        printf '%s %s %s refresh nan nan nan 0 FAILED\n' "$step" "$side" "$round" >>"$STATE_DIR/runs"
    fi
    check_alive
}

# The bulk-loaded sessions must be what the service writes: a sample of their tokens must refresh
# through the gateway (and their successors once more).
check_bulk_tokens() {
    local step="$1" checked
    if checked="$(python3 "$SCALE_DIR/check_tokens.py" "${URL[gw-scale]}" "$STATE_DIR/tokens" 2>&1)"; then
        fact "bulk_tokens.$step" "$checked"
    else
        FAILURES+=("bulk-loaded sessions at $step: $checked")
        log_error "bulk-loaded sessions do not refresh: $checked"
    fi
}

# The one session of a new user, signed in through the gateway and refreshed 1,000 times: its keys'
# MEMORY USAGE after the first refresh and after the last, as facts.
footprint() {
    local out="$STATE_DIR/logs/footprint.txt"
    log_info "footprint of one session: 1 refresh, then 999 more"
    if run_child "$out" timeout 300 python3 "$SCALE_DIR/footprint.py" "${URL[gw-scale]}" "$REDIS_URL/0" "fp$(openssl rand -hex 4)" \
        "$BENCH_PASSWORD"; then
        while read -r key value; do fact "footprint.$key" "$value"; done <"$out"
    else
        FAILURES+=("footprint: $(head -c 300 "$out")")
    fi
}
