#!/usr/bin/env bash
# `make bench-scale`: what requests cost as the stores grow (issue 22). Two stacks side by side on
# throwaway PostgreSQL and Redis, each an auth service and a gateway (release builds, defaults but for a
# one-hour access token and rate limits out of reach; one content service behind both): "scale", whose
# database and Redis database are loaded with users, audit events and sessions straight into the
# stores (SQL in chunks, `redis-cli --pipe`; no argon2 per user) up to each size of BENCH_SCALE_STEPS,
# and "empty", which keeps only the bench's own accounts. At each size every row runs on both, one
# after the other, in BENCH_SCALE_ROUNDS rounds: each figure has the empty-store baseline of the same
# moment next to it, and a ratio is the median of the rounds' ratios, so that a slow spell of this
# shared machine skews a round, not a side.
#
# Rows (Benchmarks/parts/scale/rows.sh): the admin's user list (first page, a page at a random depth by
# `after`, an offset page, searches with one match, a thousand neighbouring matches and every user),
# one user, the audit trail (latest, by user, by user and type, by type before an id), each at
# BENCH_SCALE_ADMIN_CONNECTIONS connections with wrk; signin (argon2id) at 8, `/api/test/user` at
# 32, and one client's sequential refreshes. Then: PostgreSQL table and index sizes and Redis
# used_memory (per session loaded) at each size, one real session's Redis keys after 1 and after
# 1,000 refreshes, and a writer of audit batches alone and while the oldest day of events is purged.
# The bulk-loaded sessions are proved to be what the service writes: a sample refreshes through the
# gateway. The report ends with the targets of issue 22 as PASS / MISS.
#
# Environment (all optional):
#   BENCH_SCALE_USERS      users at the largest size            (default 1000000)
#   BENCH_SCALE_EVENTS     audit events at the largest size     (default 5000000)
#   BENCH_SCALE_SESSIONS   live sessions at the largest size    (default 100000)
#   BENCH_SCALE_STEPS      the sizes, as fractions of those     (default "1"; "0.1 0.3 1" for a curve)
#   BENCH_SCALE_AUDIT_DAYS days the events are spread over      (default 30: a day is EVENTS/30)
#   BENCH_SCALE_DURATION   wrk duration of each row             (default 3s)
#   BENCH_SCALE_ROUNDS     rounds of every row on both stacks   (default 3)
#   BENCH_SCALE_ADMIN_CONNECTIONS  connections of the admin rows (default 4)
#   BENCH_SCALE_WRITER_SECONDS     the writer alone before the purge (default 10)
#   BENCH_REFRESH_SECONDS  the sequential refresh row           (default 3)
#   BENCH_BIN_DIR, BENCH_PORT_BASE, BENCH_OUTPUT, BENCH_KEEP_LOGS: as for `make bench`
# The report goes to stdout; progress to stderr. Every process it starts is stopped at the end.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH_DIR="$REPO_ROOT/Benchmarks/parts"
SCALE_DIR="$BENCH_DIR/scale"
# shellcheck source=Benchmarks/parts/base.sh
source "$BENCH_DIR/base.sh"
# shellcheck source=Benchmarks/parts/scale/load.sh
source "$SCALE_DIR/load.sh"
# shellcheck source=Benchmarks/parts/scale/rows.sh
source "$SCALE_DIR/rows.sh"
# shellcheck source=Benchmarks/parts/scale/purge.sh
source "$SCALE_DIR/purge.sh"

USERS="${BENCH_SCALE_USERS:-1000000}"
EVENTS="${BENCH_SCALE_EVENTS:-5000000}"
SESSIONS="${BENCH_SCALE_SESSIONS:-100000}"
read -r -a STEPS <<<"${BENCH_SCALE_STEPS:-1}"
AUDIT_DAYS="${BENCH_SCALE_AUDIT_DAYS:-30}"
DURATION="${BENCH_SCALE_DURATION:-3s}"
ROUNDS="${BENCH_SCALE_ROUNDS:-3}"
ADMIN_CONNECTIONS="${BENCH_SCALE_ADMIN_CONNECTIONS:-4}"
WRITER_SECONDS="${BENCH_SCALE_WRITER_SECONDS:-10}"
REFRESH_SECONDS="${BENCH_REFRESH_SECONDS:-3}"
PORT_BASE="${BENCH_PORT_BASE:-19300}"
PG_BIN_DIR="${PG_BIN_DIR:-/usr/lib/postgresql/15/bin}" # pgbench
THREADS=2
SIGNIN_CONNECTIONS=8
GET_CONNECTIONS=32
GATEWAY_ENV=()

STATE_DIR=""
BIN_DIR=""
declare -A URL=()
CHILD_PID=""
# Per stack (scale, empty): its gateway's URL is URL[gw-SIDE]; these hold its accounts.
declare -A TOKEN=()       # the bench user's access token, for /api/test/user
declare -A ADMIN_TOKEN=() # the bootstrap admin's
declare -A BENCH_USERS=() # the bench user's name
declare -A FIRST_ID=()    # the first id after the bench's own accounts (where bulk users start)
BENCH_PASSWORD=""
TEMPLATE_HASH=""
HOT_USER=0
LOADED_USERS=0
LOADED_EVENTS=0
LOADED_SESSIONS=0
START_EPOCH="$(date +%s)"
FAILURES=()
START_SECONDS=$SECONDS

# Stop the helper in progress, then everything the launcher started; keep logs if asked; delete
# the temporary folder.
# shellcheck disable=SC2317,SC2329 # invoked through on_exit
cleanup() {
    [[ -n "$CHILD_PID" ]] && stop_pid "$CHILD_PID" 5
    stop_launcher
    if [[ -n "${BENCH_KEEP_LOGS:-}" && -n "$STATE_DIR" && -d "$STATE_DIR" ]]; then
        mkdir -p "$BENCH_KEEP_LOGS" && cp -r "$STATE_DIR/logs/." "$STATE_DIR/facts" "$STATE_DIR/runs" "$BENCH_KEEP_LOGS/" 2>/dev/null
        log_info "logs, facts and runs copied to $BENCH_KEEP_LOGS"
    fi
    [[ -n "$STATE_DIR" ]] && rm -rf -- "$STATE_DIR"
}

check_settings() {
    local name step
    for name in USERS EVENTS SESSIONS AUDIT_DAYS ADMIN_CONNECTIONS WRITER_SECONDS REFRESH_SECONDS ROUNDS; do
        [[ "${!name}" =~ ^[0-9]+$ ]] || die "BENCH_SCALE_$name (or BENCH_$name) must be a whole number, not '${!name}'"
    done
    ((USERS >= 1000 && AUDIT_DAYS >= 2 && ADMIN_CONNECTIONS >= THREADS && ROUNDS >= 1)) ||
        die "BENCH_SCALE_USERS must be at least 1000, BENCH_SCALE_AUDIT_DAYS at least 2, BENCH_SCALE_ROUNDS at least 1, connections at least $THREADS"
    ((${#STEPS[@]} > 0)) || die "BENCH_SCALE_STEPS is empty"
    for step in "${STEPS[@]}"; do
        [[ "$step" =~ ^(0?\.[0-9]+|1(\.0*)?)$ ]] || die "BENCH_SCALE_STEPS: '$step' is not a fraction from 0 to 1"
    done
    DURATION_SECONDS="$(duration_seconds "$DURATION")"
}

# The empty stack's stores: a second database on the same PostgreSQL, Redis database 1. Sets
# EMPTY_DATABASE_URL and EMPTY_REDIS_URL.
make_empty_stores() {
    bench_psql -c 'CREATE DATABASE auth_empty'
    EMPTY_DATABASE_URL="${DATABASE_URL%/*}/auth_empty"
    EMPTY_REDIS_URL="$REDIS_URL/1"
}

# start_auth SIDE DATABASE_URL REDIS_URL: an auth service with the bootstrap admin `benchadmin`.
start_auth() {
    local side="$1" database="$2" redis="$3" port metrics
    harness port && port="$REPLY"
    harness port && metrics="$REPLY"
    start_service "auth-$side" "$BIN_DIR/AuthService" "$port" LOG_LEVEL=warning \
        AUTH_HOST=127.0.0.1 AUTH_PORT="$port" AUTH_METRICS_PORT="$metrics" \
        DATABASE_URL="$database" REDIS_URL="$redis" JWT_PRIVATE_KEY_FILE="$JWT_PRIVATE_KEY_FILE" \
        ACCESS_TOKEN_TTL=3600 BOOTSTRAP_ADMIN_USERNAME=benchadmin BOOTSTRAP_ADMIN_EMAIL=benchadmin@bench.example \
        BOOTSTRAP_ADMIN_PASSWORD="$BENCH_PASSWORD"
}

# Both auth services sign with the one key, so the content service (JWKS from the first) accepts
# the tokens of both; each gateway proxies to its own auth service and follows its own Redis.
start_scale_services() {
    BENCH_PASSWORD="$(openssl rand -hex 16)"
    start_auth scale "$DATABASE_URL" "$REDIS_URL/0"
    start_auth empty "$EMPTY_DATABASE_URL" "$EMPTY_REDIS_URL"
    URL[auth]="${URL[auth-scale]}"
    start_content content LOG_LEVEL=warning
    start_gateway gw-scale "$BIN_DIR/Gateway" "${URL[content]}" LOG_LEVEL=warning REDIS_URL="$REDIS_URL/0"
    URL[auth]="${URL[auth-empty]}"
    start_gateway gw-empty "$BIN_DIR/Gateway" "${URL[content]}" LOG_LEVEL=warning REDIS_URL="$EMPTY_REDIS_URL"
}

# make_accounts SIDE: the bench user (its access token for /api/test/user; on the scale side its
# argon2id hash for every bulk user) and the admin's token; bulk users' ids start after theirs.
make_accounts() {
    local side="$1" out="$STATE_DIR/answer.json" status user gw="${URL[gw-$1]}"
    user="bench$(openssl rand -hex 4)"
    BENCH_USERS[$side]="$user"
    status="$(post_json "$gw/api/auth/signup" \
        "{\"username\":\"$user\",\"email\":\"$user@bench.example\",\"password\":\"$BENCH_PASSWORD\"}" "$out")"
    [[ "$status" == 200 ]] || { cat "$out" >&2; die "signup on $side answered $status"; }
    status="$(post_json "$gw/api/auth/signin" "{\"username\":\"$user\",\"password\":\"$BENCH_PASSWORD\"}" "$out")"
    [[ "$status" == 200 ]] || { cat "$out" >&2; die "signin on $side answered $status"; }
    TOKEN[$side]="$(json_field accessToken "$out")"
    status="$(post_json "$gw/api/auth/signin" "{\"username\":\"benchadmin\",\"password\":\"$BENCH_PASSWORD\"}" "$out")"
    [[ "$status" == 200 ]] || { cat "$out" >&2; die "the admin's signin on $side answered $status"; }
    ADMIN_TOKEN[$side]="$(json_field accessToken "$out")"
    local database="$DATABASE_URL"
    [[ "$side" == empty ]] && database="$EMPTY_DATABASE_URL"
    FIRST_ID[$side]=$(($(psql "$database" -X -At -c 'SELECT max(id) FROM users') + 1))
    if [[ "$side" == scale ]]; then
        TEMPLATE_HASH="$(bench_psql -At -v name="$user" <<<"SELECT password FROM users WHERE username = :'name'")"
        [[ "$TEMPLATE_HASH" == "\$argon2id\$"* ]] || die "the bench user's hash is not argon2id: $TEMPLATE_HASH"
        HOT_USER=${FIRST_ID[scale]}
    fi
}

# STEP's size as a label, e.g. 1000000u-5000000e-100000s.
step_label() {
    printf '%su-%se-%ss' "$1" "$2" "$3"
}

main() {
    cd "$REPO_ROOT"
    check_settings
    on_exit cleanup
    ensure_stack_packages
    ensure_packages wrk curl
    command -v pgbench >/dev/null 2>&1 || [[ -x "$PG_BIN_DIR/pgbench" ]] || die "pgbench not found (package postgresql-15)"
    [[ -x "$PG_BIN_DIR/pgbench" ]] && PATH="$PG_BIN_DIR:$PATH"
    find_binaries
    # Everything is loopback: make sure a proxy setting never captures curl.
    export no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
    export NO_PROXY="$no_proxy"

    unset DATABASE_URL REDIS_URL JWT_PRIVATE_KEY_FILE JWKS_URL
    STATE_DIR="$(mktemp -d /tmp/authstack-bench-scale.XXXXXX)"
    chmod 755 "$STATE_DIR"
    mkdir -p "$STATE_DIR/logs"
    : >"$STATE_DIR/facts"
    : >"$STATE_DIR/runs"
    start_launcher "$STATE_DIR" "$PORT_BASE-$((PORT_BASE + 199))"
    start_stores
    ensure_dev_key "$STATE_DIR/jwt-dev-key.pem"
    make_empty_stores
    start_scale_services
    make_accounts scale
    make_accounts empty

    record_sizes empty
    footprint
    local step users events sessions label
    for step in "${STEPS[@]}"; do
        users="$(python3 -c "print(round($USERS * $step))")"
        events="$(python3 -c "print(round($EVENTS * $step))")"
        sessions="$(python3 -c "print(round($SESSIONS * $step))")"
        label="$(step_label "$users" "$events" "$sessions")"
        log_info "=== size $label"
        load_users "$users"
        load_events "$events"
        load_sessions "$sessions"
        analyze_stores
        settle_stores "$label"
        record_sizes "$label"
        measure_step "$label"
    done
    measure_purge

    local report="$STATE_DIR/bench-scale-results.txt"
    {
        printf '\n=== auth stack at scale (%s, commit %s, %s CPUs) ===\n\n' "$(date '+%Y-%m-%d %H:%M')" \
            "$(git -C "$REPO_ROOT" describe --always --dirty 2>/dev/null || echo unknown)" "$(nproc)"
        python3 "$SCALE_DIR/report.py" "$STATE_DIR/runs" "$STATE_DIR/facts"
        printf '\n  took %d s in all (build %s s)\n' $((SECONDS - START_SECONDS)) "$BUILD_SECONDS"
        if ((${#FAILURES[@]} > 0)); then
            printf '\n  BROKEN: %d step(s) failed:\n' "${#FAILURES[@]}"
            printf '    - %s\n' "${FAILURES[@]}"
        fi
    } >"$report"
    cat "$report"
    [[ -n "${BENCH_OUTPUT:-}" ]] && cp "$report" "$BENCH_OUTPUT"
    ((${#FAILURES[@]} == 0)) || die "${#FAILURES[@]} bench step(s) failed (see above)"
}

main "$@"
