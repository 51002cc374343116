# shellcheck shell=bash
# Does the retention purge stall writers? Part of scripts/bench-scale.sh (sourced).
#
#   measure_purge   a writer inserting audit batches as the service does (200 events, 4 times a
#                   second, pgbench -R), alone for WRITER_SECONDS and then while the oldest day of
#                   events is purged with the service's own statement, chunk by chunk; the writer's
#                   transactions are split by when they began
# Facts: purge.rows, purge.seconds, and writer.{alone,purge}.{count,p50_ms,p99_ms,max_ms}.
# shellcheck disable=SC2154 # globals of scripts/bench-scale.sh

# The statement of PostgresAuditRepository.purge(olderThan:), without its deadline guard.
PURGE_CHUNK_SQL='DELETE FROM auth_audit_events WHERE id IN (
    SELECT id FROM auth_audit_events WHERE "occurredAt" < to_timestamp(:cutoff) ORDER BY "occurredAt" LIMIT 10000)'

measure_purge() {
    local script="$STATE_DIR/writer.sql" stop="$STATE_DIR/writer.stop" cutoff deleted total=0 t0 t1 writer_pid
    cutoff=$((START_EPOCH - AUDIT_DAYS * 86400 + 86400))
    cat >"$script" <<SQL
\\set uid random(1, $((LOADED_USERS > 0 ? LOADED_USERS : 1)))
INSERT INTO auth_audit_events ("occurredAt", type, "userId", ip, "userAgent", details)
SELECT now(), 'signin_succeeded', :uid, '203.0.113.9', 'bench writer', '{}'::jsonb FROM generate_series(1, 200);
SQL
    # pgbench writes its transaction log when it ends (a signal loses it): runs of 5 s, one after the
    # other, until the purge is over.
    rm -f "$stop"
    (
        run=0
        while [[ ! -e "$stop" ]]; do
            run=$((run + 1))
            pgbench -n -f "$script" -R 4 -T 5 -c 1 -l --log-prefix="$STATE_DIR/writer-$run" "$DATABASE_URL" \
                >>"$STATE_DIR/logs/pgbench.txt" 2>&1 || exit 1
        done
    ) &
    writer_pid=$!
    log_info "purge: the writer alone for ${WRITER_SECONDS}s"
    sleep "$WRITER_SECONDS"
    log_info "purge: the oldest of $AUDIT_DAYS days of events, with the writer running"
    t0="$(now_us)"
    while :; do
        deleted="$(bench_psql -At -c "WITH d AS (${PURGE_CHUNK_SQL//:cutoff/$cutoff} RETURNING 1) SELECT count(*) FROM d")"
        total=$((total + deleted))
        ((deleted == 10000)) || break
    done
    t1="$(now_us)"
    touch "$stop"
    wait "$writer_pid" || FAILURES+=("the purge's writer (pgbench) failed: $(tail -n 3 "$STATE_DIR/logs/pgbench.txt")")
    fact purge.rows "$total"
    fact purge.seconds "$(python3 -c "print(f'{($t1 - $t0) / 1e6:.1f}')")"
    summarize_writer alone 0 "$((t0 / 1000000 - 1))" "$STATE_DIR"/writer-*.*
    summarize_writer purge "$((t0 / 1000000))" "$((t1 / 1000000))" "$STATE_DIR"/writer-*.*
}

# summarize_writer NAME FROM TO LOGS...: the latency of the writer's transactions that began between
# the epoch seconds FROM and TO, from pgbench's transaction logs.
summarize_writer() {
    local name="$1" from="$2" to="$3" line count p50 p99 max
    shift 3
    line="$(cat "$@" | python3 -c '
import statistics, sys
lo, hi = int(sys.argv[1]), int(sys.argv[2])
ms = sorted(int(f[2]) / 1000 for f in (l.split() for l in sys.stdin) if len(f) >= 6 and lo <= int(f[4]) <= hi)
if not ms:
    print("0 nan nan nan")
else:
    print(len(ms), f"{statistics.median(ms):.1f}", f"{ms[min(len(ms) - 1, int(len(ms) * 0.99))]:.1f}", f"{ms[-1]:.1f}")
' "$from" "$to")"
    read -r count p50 p99 max <<<"$line"
    fact "writer.$name.count" "$count"
    fact "writer.$name.p50_ms" "$p50"
    fact "writer.$name.p99_ms" "$p99"
    fact "writer.$name.max_ms" "$max"
}
