# shellcheck shell=bash
# The GET rows, part of Benchmarks/bench.sh (sourced). Results go to STATE_DIR/runs
# (one line per wrk run) and facts, both rendered by report.py.
#
#   run_wrk TARGET C ROUND a warm-up and a measured wrk run of one row
#   count_request_lines    what each logging row wrote, to prove it logged
# shellcheck disable=SC2154,SC2153 # globals of Benchmarks/bench.sh (THREADS, TOKEN, ...)

# The process whose CPU time a row's requests cost: the proxy of the row, or
# the content service for the direct row.
declare -A ROW_PROCESS=([direct]=content-quiet [nginx-log]=nginx [nginx-nolog]=nginx [gw-default]=gw-default
    [gw-nolog]=gw-nolog [gw-norevoke]=gw-norevoke [stack]=gw-stack [haproxy]=haproxy [gw-traced]=gw-traced)

# One wrk run: TARGET at CONCURRENCY in round ROUND, a warm-up first. Appends a
# line to runs, with the CPU time (clock ticks) the row's proxy used.
run_wrk() {
    local target="$1" conc="$2" round="$3" url="${URL[$1]}$PATH_UNDER_TEST"
    local out="$STATE_DIR/logs/wrk-$target-c$conc-r$round.txt" status=ok
    local before other ticks_before ticks_after
    log_info "wrk $target c=$conc round $round: $WARMUP warm-up, then $DURATION"
    run_child /dev/null timeout "$WARMUP_LIMIT" wrk -t"$THREADS" -c"$conc" -d"$WARMUP" \
        -H "Authorization: Bearer $TOKEN" "$url" || log_warn "warm-up of $target c=$conc failed"
    before="$(cpu_ticks)"
    ticks_before="$(process_ticks "${ROW_PROCESS[$target]}")"
    if ! run_child "$out" timeout "$RUN_LIMIT" wrk -t"$THREADS" -c"$conc" -d"$DURATION" --latency \
        -H "Authorization: Bearer $TOKEN" "$url"; then
        status=FAILED
    fi
    ticks_after="$(process_ticks "${ROW_PROCESS[$target]}")"
    other="$(other_cpu_between "$before" "$(cpu_ticks)")"
    fact "other_cpu_pct.$target.$conc.$round" "$other"
    ((other < 10)) || log_warn "other processes used ${other}% of the CPU during $target c=$conc: its figures are skewed"
    read_wrk "$out" "$target c=$conc" "$status" || status=FAILED
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$conc" "$round" "${WRK[@]}" \
        $((ticks_after - ticks_before)) "$status" >>"$STATE_DIR/runs"
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
