# shellcheck shell=bash
# Bulk loads of `make bench-scale`, part of Benchmarks/bench-scale.sh (sourced): straight into the
# stores, as one statement per chunk (PostgreSQL) or one pipe (Redis), never through the API.
#
#   load_users TO          users scale0000001.. up to number TO, each with the role `user`
#   load_events TO         audit events up to number TO, spread over AUDIT_DAYS days ending now
#   load_sessions TO       sessions up to number TO (sessions.py), their memory measured
#   analyze_stores         VACUUM ANALYZE the loaded tables, as autovacuum would in time
#   settle_stores STEP     write the bulk load out before measuring (sync, Redis's AOF rewrite)
# shellcheck disable=SC2154 # globals of Benchmarks/bench-scale.sh

# psql on the bench's database, quiet, stopping at the first error.
bench_psql() {
    psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 "$@"
}

# Users LOADED_USERS+1 .. TO, in chunks of 200,000, each with the template's argon2id hash (so any
# of them signs in with the bench password) and the role `user`.
load_users() {
    local to="$1" from chunk_end t0=$SECONDS
    ((to > LOADED_USERS)) || return 0
    log_info "loading users $((LOADED_USERS + 1))..$to"
    for ((from = LOADED_USERS + 1; from <= to; from += 200000)); do
        chunk_end=$((from + 199999 < to ? from + 199999 : to))
        bench_psql -v from="$from" -v to="$chunk_end" -v hash="$TEMPLATE_HASH" <<'SQL'
WITH made AS (
    INSERT INTO users (username, email, password, "createdAt", "updatedAt", username_key, username_skeleton, email_key, username_lookalike)
    SELECT 'scale' || lpad(n::text, 7, '0'), 'scale' || lpad(n::text, 7, '0') || '@scale.example', :'hash', now(), now(),
        'scale' || lpad(n::text, 7, '0'), 'scale skeleton ' || n, 'scale' || lpad(n::text, 7, '0') || '@scale.example', ''
    FROM generate_series(:from, :to) AS n
    RETURNING id)
INSERT INTO user_roles ("roleId", "userId", "createdAt", "updatedAt") SELECT 1, id, now(), now() FROM made;
SQL
    done
    LOADED_USERS=$to
    fact "load_seconds.users.$to" $((SECONDS - t0))
}

# Events LOADED_EVENTS+1 .. TO of EVENTS in all: event n happens at n/EVENTS of the way through the
# AUDIT_DAYS days before the bench started, so ids follow time as they do in service. Types in the
# proportions of a busy service; users at random among the bulk users, and one user in a hundred
# events is HOT_USER, nearly all of them failed signins (an account under attack).
load_events() {
    local to="$1" from chunk_end t0=$SECONDS
    ((to > LOADED_EVENTS)) || return 0
    log_info "loading audit events $((LOADED_EVENTS + 1))..$to"
    for ((from = LOADED_EVENTS + 1; from <= to; from += 500000)); do
        chunk_end=$((from + 499999 < to ? from + 499999 : to))
        bench_psql -v from="$from" -v to="$chunk_end" -v total="$EVENTS" -v days="$AUDIT_DAYS" -v start="$START_EPOCH" \
            -v users="$((USERS > 0 ? USERS : 1))" -v hot="$HOT_USER" <<'SQL'
INSERT INTO auth_audit_events ("occurredAt", type, "userId", ip, "userAgent", details)
SELECT to_timestamp(:start - :days * 86400.0 + n * (:days * 86400.0 / :total)),
    CASE WHEN n % 100 = 0 THEN (CASE WHEN n % 100000 = 0 THEN 'password_changed' ELSE 'signin_failed' END)
        ELSE (ARRAY['signin_succeeded', 'signin_succeeded', 'signin_succeeded', 'signin_failed', 'signin_failed', 'signout',
            'signup', 'password_changed', 'refresh_reuse_detected', 'roles_changed'])[1 + (n * 2654435761 % 4294967296) % 10] END,
    CASE WHEN n % 100 = 0 THEN :hot ELSE 1 + ((n * 2654435761 % 4294967296) / 10) % :users END,
    '203.0.113.' || (n % 250), 'Mozilla/5.0 (bench)', '{}'::jsonb
FROM generate_series(:from, :to) AS n;
SQL
    done
    LOADED_EVENTS=$to
    fact "load_seconds.events.$to" $((SECONDS - t0))
}

# Sessions LOADED_SESSIONS+1 .. TO through `redis-cli --pipe`, for the bulk users; records Redis's
# used_memory before and after, and keeps a sample of their tokens in STATE_DIR/tokens.
load_sessions() {
    local to="$1" count before after t0=$SECONDS out="$STATE_DIR/logs/sessions-pipe.txt"
    count=$((to - LOADED_SESSIONS))
    ((count > 0)) || return 0
    log_info "loading $count sessions"
    before="$(redis_memory)"
    python3 "$SCALE_DIR/sessions.py" "$count" "${FIRST_ID[scale]}" "$LOADED_USERS" "$(date +%s)" "$to" "$STATE_DIR/tokens" |
        redis-cli -u "$REDIS_URL" --pipe >"$out" 2>&1 || { cat "$out" >&2; die "loading sessions into Redis failed"; }
    grep -q 'errors: 0' "$out" || { cat "$out" >&2; die "Redis refused part of the sessions"; }
    after="$(redis_memory)"
    LOADED_SESSIONS=$to
    fact "redis.bytes_per_session.$to" $(((after - before) / count))
    fact "load_seconds.sessions.$to" $((SECONDS - t0))
}

# Redis's used_memory, in bytes.
redis_memory() {
    redis-cli -u "$REDIS_URL" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'
}

analyze_stores() {
    log_info "VACUUM ANALYZE users, user_roles, auth_audit_events"
    bench_psql -c 'VACUUM ANALYZE users, user_roles, auth_audit_events'
}

# A bulk load leaves gigabytes of dirty pages (tables, indexes, WAL, VACUUM's hint bits) that the
# kernel writes back for minutes, and may start an AOF rewrite in Redis: both would land on the rows
# measured next. In service these rows accumulate over days; the bench measures once they are on disk.
# (PostgreSQL's own dirty buffers are at most shared_buffers, 128 MB; CHECKPOINT needs a superuser.)
settle_stores() {
    local step="$1" t0=$SECONDS dirty
    dirty="$(awk '/^(Dirty|Writeback):/ { kb += $2 } END { print kb * 1024 }' /proc/meminfo)"
    log_info "settling: $((dirty / 1048576)) MB of dirty pages written back"
    sync
    while redis-cli -u "$REDIS_URL" info persistence | grep -Eq '^aof_rewrite_(in_progress|scheduled):1'; do sleep 1; done
    fact "settle.dirty_bytes.$step" "$dirty"
    fact "settle.seconds.$step" $((SECONDS - t0))
}

# Every table and index of the loaded tables with its size in bytes, as facts.
record_sizes() {
    local step="$1" name bytes
    while IFS='|' read -r name bytes; do
        [[ -n "$name" ]] && fact "pg_bytes.$step.$name" "$bytes"
    done < <(bench_psql -At -F '|' <<'SQL'
SELECT c.relname, pg_relation_size(c.oid)
FROM pg_class c
WHERE c.relname IN ('users', 'user_roles', 'auth_audit_events')
   OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN ('users'::regclass, 'user_roles'::regclass, 'auth_audit_events'::regclass))
ORDER BY 1;
SQL
    )
    fact "redis.used_memory.$step" "$(redis_memory)"
    fact "redis.keys.$step" "$(redis-cli -u "$REDIS_URL" dbsize)"
}
