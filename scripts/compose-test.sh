#!/usr/bin/env bash
# `make compose-test`: build the container images without any image registry,
# start compose/compose.yaml (PostgreSQL, Redis, 2 auth + 2 content replicas,
# the gateway), run the frontends suite through the gateway, then prove that
# the stack rides out a replica dying or restarting under load.
# Everything is torn down (`down -v`) on exit, whatever happened.
#
# Phases (each one timed, the table printed at the end):
#   packages   docker.io, docker-compose, debootstrap (Debian) when missing
#   build      `swift build -c release --static-swift-stdlib` into
#              .build-release-static, in the background from the start
#   dockerd    start the Docker daemon when none answers (stopped at the end
#              only if this script started it; its log goes to a temp dir)
#   base       local/debian:bookworm from debootstrap --variant=minbase and
#              the host's own Debian mirror, `docker import`ed; cached
#   images     PostgreSQL, Redis and mail-catcher images FROM it (compose/images/*); the
#              app image from compose/Dockerfile fed the host-built binaries
#              (BINARIES_FROM, an image FROM scratch holding /staging)
#   up         `docker-compose up -d`, wait for the gateway's /health/ready
#   contract   the frontends suite (Tests/system/frontends) against the
#              published gateway: scripts/system-test.sh with
#              SYSTEM_TEST_GATEWAY_URL; test_running_stack.py there is what
#              only the containers show (the mounted key, the bootstrap
#              admin, a session rotating across the auth replicas)
#   load       four bounded (LOAD_DURATION s) loads on loopback: a baseline,
#              a content replica SIGKILLed, a content replica stopped with
#              SIGTERM and started again, an auth replica restarted; each
#              checked against its bound (below)
#   overlays   compose/ha.yaml and compose/observability.yaml added: two
#              Redis replicas, three Sentinels, Prometheus, the trace
#              receiver; the services recreated to use them
#   observe    Prometheus scrapes the gateway and all four replicas; a signin
#              through the gateway is one trace of gateway and auth spans
#   failover   the Redis master SIGKILLed under load: protected routes answer
#              again within FAILOVER_MAX_SECONDS (default 15) of the kill, a
#              session rotated before it still refreshes after it, and the
#              Sentinels name another master
#
# Bounds checked ("first attempt" is what a client without retries sees; the
# load client retries a failed request once, at once, on a new connection):
#   baseline: no failed request at all.
#   SIGKILL of a content replica, SIGTERM stop/start of a content replica,
#   SIGTERM restart of an auth replica: at most GRACEFUL_MAX_FAILED (SIGTERM)
#   or KILL_MAX_FAILED (SIGKILL) failed first attempts, default
#   LOAD_CONCURRENCY: each client connection has one request in flight, and
#   what fails is what was in flight on (or just handed to) the gateway's
#   pooled connections to that replica when it closed them; none later than
#   1 s after the event (the survivors take all traffic by then); and none
#   after one client retry.
#   A graceful stop (SIGTERM) must lose nothing: the gateway sends a GET again
#   when the stopping replica closed its pooled connection under it, so the
#   default bound for the SIGTERM cases is 0.
#
# Environment:
#   DOCKER            Docker client (default /usr/bin/docker: Debian's 20.10
#                     client drives BuildKit itself, a newer client without
#                     the buildx plugin cannot)
#   GATEWAY_PORT      loopback port to publish the gateway on (default 8080,
#                     or the next free one)
#   LOAD_DURATION     seconds of each load (default 10), LOAD_CONCURRENCY
#                     connections (default 16)
#   GRACEFUL_MAX_FAILED, KILL_MAX_FAILED   bounds above (default 0 and LOAD_CONCURRENCY)
#   KEEP_IMAGES=0     also remove local/debian:bookworm and the PostgreSQL and
#                     Redis images at the end (kept by default, as a cache)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"

DOCKER="${DOCKER:-/usr/bin/docker}"
PROJECT=authtest
COMPOSE_FILE="$REPO_ROOT/compose/compose.yaml"
COMPOSE_FILES=(-f "$COMPOSE_FILE") # the overlays phase adds ha.yaml and observability.yaml
BASE_IMAGE="local/debian:bookworm"
APP_IMAGE="authtest/auth-backend:local"
BINARIES_IMAGE="authtest/auth-backend-binaries:local"
POSTGRES_IMAGE="auth-backend/postgres:15-bookworm" # as in compose.yaml
REDIS_IMAGE="auth-backend/redis:7-bookworm"        # as in compose.yaml
MAIL_IMAGE="auth-backend/mail:bookworm"            # as in compose.yaml
PROMETHEUS_IMAGE="auth-backend/prometheus:bookworm" # as in observability.yaml
TRACES_IMAGE="auth-backend/traces:bookworm"         # as in observability.yaml
SCRATCH_PATH="$REPO_ROOT/.build-release-static"
LOAD_DURATION="${LOAD_DURATION:-10}"
LOAD_CONCURRENCY="${LOAD_CONCURRENCY:-16}"
GRACEFUL_MAX_FAILED="${GRACEFUL_MAX_FAILED:-0}"
KILL_MAX_FAILED="${KILL_MAX_FAILED:-$LOAD_CONCURRENCY}"
FAILOVER_MAX_SECONDS="${FAILOVER_MAX_SECONDS:-15}"
LOAD_TOOL="$REPO_ROOT/scripts/compose_load.py"

WORK=""
BUILD_PID=""
BUILD_STARTED=0
DOCKERD_PID=""
STACK_UP=0
PHASE="setup"
PHASE_START=$SECONDS
TIMINGS=()
RESULTS=()

# ------------------------------------------------------------ bookkeeping ---

phase() { # NAME: close the running phase (recording its time), open NAME
    end_phase
    PHASE="$1"
    PHASE_START=$SECONDS
    log_info "=== phase: $PHASE"
}

end_phase() {
    [[ -n "$PHASE" && "$PHASE" != setup ]] &&
        TIMINGS+=("$(printf '%-10s %4ds' "$PHASE" $((SECONDS - PHASE_START)))")
    PHASE=""
}

compose() {
    docker-compose "${COMPOSE_FILES[@]}" -p "$PROJECT" "$@"
}

print_summary() {
    local line
    if ((${#TIMINGS[@]} > 0)); then
        log_info "phase timings:"
        for line in "${TIMINGS[@]}"; do log_info "  $line"; done
    fi
    if ((${#RESULTS[@]} > 0)); then
        log_info "load results:"
        for line in "${RESULTS[@]}"; do log_info "  $line"; done
    fi
}

# shellcheck disable=SC2329 # invoked by the EXIT trap
cleanup() {
    local rc=$? failed_phase="$PHASE"
    trap - EXIT INT TERM
    trap '' PIPE
    set +e
    end_phase
    if ((STACK_UP)); then
        if ((rc != 0)); then
            log_error "last lines of the stack's logs:"
            compose logs --no-color --tail=40 2>&1 | tail -n 150 >&2
        fi
        log_info "tearing the stack down (down -v)"
        compose down -v --remove-orphans >/dev/null 2>&1 ||
            log_warn "docker-compose down failed"
    fi
    if [[ -n "$BUILD_PID" ]] && pid_alive "$BUILD_PID"; then
        log_info "stopping the background swift build"
        kill -TERM -- "-$BUILD_PID" 2>/dev/null
        wait "$BUILD_PID" 2>/dev/null
    fi
    # The app images change with every build; the base and store images are
    # kept as a cache (KEEP_IMAGES=0 removes them too).
    if "$DOCKER" info >/dev/null 2>&1; then
        "$DOCKER" image rm "$APP_IMAGE" "$BINARIES_IMAGE" >/dev/null 2>&1
        [[ "${KEEP_IMAGES:-1}" == 0 ]] &&
            "$DOCKER" image rm "$POSTGRES_IMAGE" "$REDIS_IMAGE" "$MAIL_IMAGE" "$PROMETHEUS_IMAGE" "$TRACES_IMAGE" \
                "$BASE_IMAGE" >/dev/null 2>&1
    fi
    if [[ -n "$DOCKERD_PID" ]]; then
        log_info "stopping the Docker daemon this script started (pid $DOCKERD_PID)"
        stop_pid "$DOCKERD_PID" 30
    fi
    [[ -n "$WORK" ]] && rm -rf "$WORK"
    print_summary
    if ((rc != 0)); then
        log_error "compose-test FAILED in phase '$failed_phase' (exit status $rc)"
    else
        log_info "compose-test passed"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ steps ---

# The first Debian (not -security) mirror the host's apt uses, else deb.debian.org.
debian_mirror() { # SUFFIX: "debian" or "debian-security"
    local suffix="$1" uri
    uri="$(
        {
            grep -hsE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources | awk '{ for (i = 2; i <= NF; i++) print $i }'
            grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
                awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; break } }'
        } | grep -E "/$suffix/?\$" | head -n 1
    )"
    [[ -n "$uri" ]] || uri="http://deb.debian.org/$suffix"
    printf '%s\n' "${uri%/}"
}

start_swift_build() {
    ensure_swift
    log_info "swift build -c release --static-swift-stdlib in the background (log: $WORK/swift-build.log)"
    # Its own process group, so that cleanup can stop it and its compilers.
    # shellcheck disable=SC2016 # $1/$2 are expanded by the inner bash
    setsid bash -c 'cd "$1" && exec swift build -c release --static-swift-stdlib --scratch-path "$2"' \
        _ "$REPO_ROOT" "$SCRATCH_PATH" >"$WORK/swift-build.log" 2>&1 </dev/null &
    BUILD_PID=$!
    BUILD_STARTED=$SECONDS
}

ensure_dockerd() {
    if "$DOCKER" info >/dev/null 2>&1; then
        log_info "using the running Docker daemon"
        return 0
    fi
    [[ "$(id -u)" -eq 0 ]] || die "no Docker daemon answers and starting one needs root"
    command -v dockerd >/dev/null 2>&1 || die "dockerd not found (package docker.io)"
    log_info "starting dockerd (log: $WORK/dockerd.log)"
    setsid dockerd >"$WORK/dockerd.log" 2>&1 </dev/null &
    DOCKERD_PID=$!
    local deadline=$((SECONDS + 60))
    until "$DOCKER" info >/dev/null 2>&1; do
        if ! pid_alive "$DOCKERD_PID"; then
            tail -n 30 "$WORK/dockerd.log" >&2
            DOCKERD_PID=""
            die "dockerd exited at start"
        fi
        ((SECONDS < deadline)) || { tail -n 30 "$WORK/dockerd.log" >&2; die "dockerd did not answer within 60 s"; }
        sleep 0.5
    done
}

ensure_base_image() {
    if "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
        log_info "$BASE_IMAGE exists, not bootstrapping it again"
        return 0
    fi
    local mirror security rootfs="$WORK/rootfs"
    mirror="$(debian_mirror debian)"
    security="$(debian_mirror debian-security)"
    log_info "debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
        { tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
    # Same apt sources as the official image (updates and security), no
    # downloaded packages or lists left in the image.
    rm -f "$rootfs/etc/apt/sources.list"
    cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | "$DOCKER" import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
    rm -rf "$rootfs"
    log_info "imported $BASE_IMAGE"
}

docker_build() { # docker build with BuildKit (skips the stages not needed)
    DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain "$@" >>"$WORK/docker-build.log" 2>&1 ||
        { tail -n 40 "$WORK/docker-build.log" >&2; die "docker build $* failed"; }
}

build_store_images() {
    log_info "building the store, mail, Prometheus and trace images FROM $BASE_IMAGE"
    docker_build --build-arg "BASE=$BASE_IMAGE" -t "$POSTGRES_IMAGE" "$REPO_ROOT/compose/images/postgres"
    docker_build --build-arg "BASE=$BASE_IMAGE" -t "$REDIS_IMAGE" "$REPO_ROOT/compose/images/redis"
    docker_build --build-arg "BASE=$BASE_IMAGE" -t "$MAIL_IMAGE" -f "$REPO_ROOT/compose/images/mail/Dockerfile" "$REPO_ROOT"
    docker_build --build-arg "BASE=$BASE_IMAGE" -t "$PROMETHEUS_IMAGE" "$REPO_ROOT/compose/images/prometheus"
    docker_build --build-arg "BASE=$BASE_IMAGE" -t "$TRACES_IMAGE" -f "$REPO_ROOT/compose/images/traces/Dockerfile" "$REPO_ROOT"
}

wait_swift_build() {
    log_info "waiting for the release build (pid $BUILD_PID)"
    if ! wait "$BUILD_PID"; then
        BUILD_PID=""
        tail -n 40 "$WORK/swift-build.log" >&2
        die "swift build failed"
    fi
    BUILD_PID=""
    TIMINGS+=("$(printf '%-10s %4ds (in the background, from the start)' swift-build $((SECONDS - BUILD_STARTED)))")
    tail -n 1 "$WORK/swift-build.log" >&2
}

build_app_image() {
    local bin ctx="$WORK/binaries" name
    bin="$(cd "$REPO_ROOT" && swift build -c release --static-swift-stdlib \
        --scratch-path "$SCRATCH_PATH" --show-bin-path)"
    mkdir -p "$ctx/staging"
    for name in Gateway AuthService ContentService; do
        [[ -x "$bin/$name" ]] || die "$bin/$name missing after the build"
        cp "$bin/$name" "$ctx/staging/"
    done
    # The gateway reads its web app and OpenAPI document from the bundle beside it.
    [[ -d "$bin/auth-backend_Gateway.resources" ]] || die "the gateway's resource bundle is missing after the build"
    cp -r "$bin/auth-backend_Gateway.resources" "$ctx/staging/"
    strip "$ctx"/staging/Gateway "$ctx"/staging/AuthService "$ctx"/staging/ContentService
    log_info "binaries: $(du -ch "$ctx"/staging/* | tail -n 1 | cut -f1) stripped"
    printf 'FROM scratch\nCOPY staging/ /staging/\n' >"$ctx/Dockerfile"
    docker_build -t "$BINARIES_IMAGE" "$ctx"
    docker_build -f "$REPO_ROOT/compose/Dockerfile" \
        --build-arg "BINARIES_FROM=$BINARIES_IMAGE" --build-arg "RUNTIME_BASE=$BASE_IMAGE" \
        -t "$APP_IMAGE" "$REPO_ROOT"
    # Every shared library the binaries link must be in the runtime image.
    local missing
    missing="$("$DOCKER" run --rm --entrypoint /bin/sh "$APP_IMAGE" -c \
        'ldd /app/Gateway /app/AuthService /app/ContentService' | grep 'not found' || true)"
    [[ -z "$missing" ]] || die "libraries missing from the runtime image: $missing"
    log_info "$APP_IMAGE: $("$DOCKER" image inspect -f '{{.Size}}' "$APP_IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

prepare_secrets() {
    mkdir -p "$WORK/secrets"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$WORK/secrets/jwt_private_key.pem" 2>/dev/null
    # The services run as uid 10001; a file secret keeps the host's owner.
    chown 10001:10001 "$WORK/secrets/jwt_private_key.pem"
    chmod 400 "$WORK/secrets/jwt_private_key.pem"
    export JWT_PRIVATE_KEY_PATH="$WORK/secrets/jwt_private_key.pem"
    openssl rand -base64 32 >"$WORK/secrets/mfa_encryption.key"
    chown 10001:10001 "$WORK/secrets/mfa_encryption.key"
    chmod 400 "$WORK/secrets/mfa_encryption.key"
    export MFA_ENCRYPTION_KEY_PATH="$WORK/secrets/mfa_encryption.key"
    POSTGRES_PASSWORD="$(openssl rand -hex 16)"
    REDIS_PASSWORD="$(openssl rand -hex 16)"
    # The admin the system tests sign in as (Tests/system/support/system.py).
    BOOTSTRAP_ADMIN_USERNAME=rootadmin
    BOOTSTRAP_ADMIN_EMAIL=rootadmin@example.com
    BOOTSTRAP_ADMIN_PASSWORD="$(openssl rand -hex 12)"
    export POSTGRES_PASSWORD REDIS_PASSWORD
    export BOOTSTRAP_ADMIN_USERNAME BOOTSTRAP_ADMIN_EMAIL BOOTSTRAP_ADMIN_PASSWORD
    export AUTH_BACKEND_IMAGE="$APP_IMAGE" DEBIAN_IMAGE="$BASE_IMAGE"
    # compose.yaml's defaults (the tutorial's origins among them), as a new user gets them: the
    # frontends suite checks exactly those. Except the per-address rate limits: every test request
    # comes from this one address, as in the local system tests (support/system.py).
    unset CORS_ALLOWED_ORIGINS ACCESS_TOKEN_TTL REFRESH_TOKEN_TTL
    export RATE_LIMIT_SIGNIN=100000 RATE_LIMIT_SIGNUP=100000 RATE_LIMIT_REFRESH=100000
}

# The contract through the compose gateway: the frontends suite, in the mode
# that tests a running system from outside (scripts/system-test.sh).
run_contract_suite() {
    SYSTEM_TEST_GATEWAY_URL="$BASE_URL" SYSTEM_TEST_ADMIN_PASSWORD="$BOOTSTRAP_ADMIN_PASSWORD" \
        SYSTEM_TEST_OUTPUT="$WORK/contract" SYSTEM_TEST_ARGS="" bash "$REPO_ROOT/scripts/system-test.sh"
}

# Wait until every container of the project reports healthy.
wait_all_healthy() { # TIMEOUT
    local deadline=$((SECONDS + $1)) states
    while true; do
        states="$(compose ps -q | xargs "$DOCKER" inspect \
            -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}')"
        grep -qv ' running healthy$' <<<"$states" || return 0
        if ((SECONDS >= deadline)); then
            log_error "not healthy after $1 s:"
            printf '%s\n' "$states" >&2
            return 1
        fi
        sleep 1
    done
}

start_stack() {
    GATEWAY_PORT="${GATEWAY_PORT:-8080}"
    if port_in_use "$GATEWAY_PORT"; then
        GATEWAY_PORT="$(free_port 18080)"
        log_warn "port 8080 is taken, publishing the gateway on 127.0.0.1:$GATEWAY_PORT"
    fi
    export GATEWAY_PUBLISH="127.0.0.1:$GATEWAY_PORT"
    BASE_URL="http://127.0.0.1:$GATEWAY_PORT"
    # A project left over by an interrupted run would hold the names.
    compose down -v --remove-orphans >/dev/null 2>&1 || true
    STACK_UP=1
    compose up -d --no-build 2>&1 | sed 's/^/  [compose] /' >&2
    wait_for_http "$BASE_URL/health/ready" 120
    wait_all_healthy 120
    local auth content
    auth="$(compose ps -q auth | wc -l)"
    content="$(compose ps -q content | wc -l)"
    ((auth == 2 && content == 2)) || die "expected 2 auth and 2 content replicas, found $auth and $content"
    log_info "stack ready on $BASE_URL: 2 auth, 2 content, gateway, postgres, redis"
}

# ------------------------------------------------------------------- load ---

# Run one bounded load; check its result against the bounds; record a line.
#   load_case NAME URL EXPECTED_BODY MAX_FIRST_ATTEMPT_FAILURES [--at 'S:CMD']...
load_case() {
    local name="$1" url="$2" body="$3" bound="$4" out="$WORK/load-$1.json"
    shift 4
    local args=(load --url "$url" --duration "$LOAD_DURATION" --concurrency "$LOAD_CONCURRENCY"
        --retries 1 --out "$out" --header "x-access-token: $LOAD_TOKEN")
    [[ -n "$body" ]] && args+=(--expect-body "$body")
    log_info "load '$name': $LOAD_CONCURRENCY connections, ${LOAD_DURATION}s on $url"
    python3 "$LOAD_TOOL" "${args[@]}" "$@" >/dev/null
    local line verdict
    line="$(python3 - "$out" "$bound" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
bound = int(sys.argv[2])
events = "; ".join(f"{e['command'].split()[1]} at {e['at']}s (took {e['took']}s, rc {e['status']})" for e in r["events"])
ok = (r["failed_first_attempt"] <= bound and r["failed_after_retries"] == 0
      and r["failed_later_than_1s_after_first_event"] == 0 and all(e["status"] == 0 for e in r["events"]))
print(("OK  " if ok else "BAD ") +
      f"{r['requests']} requests, {r['req_per_s']}/s, p50 {r['latency_ms']['p50']} ms, "
      f"p99 {r['latency_ms']['p99']} ms; failed first attempt {r['failed_first_attempt']} (bound {bound}) "
      f"{r['first_attempt_causes'] or ''} window {r['failure_window_s']}; after 1 retry {r['failed_after_retries']}"
      + (f"; events: {events}" if events else ""))
PY
    )"
    RESULTS+=("$(printf '%-16s %s' "$name" "$line")")
    log_info "  $line"
    verdict="${line%% *}"
    [[ "$verdict" == OK ]] || die "load '$name' broke its bound"
}

replica() { # SERVICE N: container id of the Nth replica
    compose ps -q "$1" | sed -n "${2}p"
}

restore_replica() { # CONTAINER: started again if the kill left it stopped; wait healthy
    if [[ "$("$DOCKER" inspect -f '{{.State.Running}}' "$1")" != true ]]; then
        "$DOCKER" start "$1" >/dev/null
    fi
    wait_all_healthy 90
}

run_loads() {
    read -r LOAD_TOKEN _ < <(python3 "$LOAD_TOOL" token --base-url "$BASE_URL")
    local user_url="$BASE_URL/api/test/user" jwks_url="$BASE_URL/.well-known/jwks.json"
    local content1 content2 auth1
    content1="$(replica content 1)"
    content2="$(replica content 2)"
    auth1="$(replica auth 1)"

    load_case baseline "$user_url" "User Content." 0

    load_case content-sigkill "$user_url" "User Content." "$KILL_MAX_FAILED" \
        --at "3:$DOCKER kill $content1"
    restore_replica "$content1"

    load_case content-sigterm "$user_url" "User Content." "$GRACEFUL_MAX_FAILED" \
        --at "3:$DOCKER stop -t 10 $content2" --at "6:$DOCKER start $content2"
    restore_replica "$content2"

    load_case auth-restart "$jwks_url" "" "$GRACEFUL_MAX_FAILED" \
        --at "3:$DOCKER restart -t 10 $auth1"
    restore_replica "$auth1"

    local ids
    mapfile -t ids < <(compose ps -q)
    log_info "memory after the loads:"
    "$DOCKER" stats --no-stream --format '  {{.Name}} {{.MemUsage}}' "${ids[@]}" >&2
}

# --------------------------------------------------------------- overlays ---

start_overlays() {
    COMPOSE_FILES+=(-f "$REPO_ROOT/compose/ha.yaml" -f "$REPO_ROOT/compose/observability.yaml")
    PROMETHEUS_URL="http://127.0.0.1:$(free_port 19091)"
    export PROMETHEUS_PUBLISH="${PROMETHEUS_URL#http://}"
    compose up -d --no-build 2>&1 | sed 's/^/  [compose] /' >&2
    wait_all_healthy 120
    wait_for_http "$BASE_URL/health/ready" 60
}

# Prometheus has every metrics port up; one signin is one trace of the gateway and the auth service.
check_observability() {
    local deadline=$((SECONDS + 60)) up=""
    until [[ "$up" == "auth=2 content=2 gateway=1" ]]; do
        ((SECONDS < deadline)) || die "Prometheus does not scrape every replica: $up"
        sleep 1
        up="$(curl -fsS "$PROMETHEUS_URL/api/v1/targets" | python3 -c '
import collections, json, sys
up = collections.Counter(t["labels"]["job"] for t in json.load(sys.stdin)["data"]["activeTargets"] if t["health"] == "up")
print(" ".join(f"{job}={up[job]}" for job in sorted(up)))' || true)"
    done
    log_info "Prometheus scrapes: $up"
    python3 "$LOAD_TOOL" token --base-url "$BASE_URL" >/dev/null
    deadline=$((SECONDS + 30))
    until compose logs --no-color traces | python3 -c '
import json, sys
spans = [json.loads(line.split("|", 1)[1]) for line in sys.stdin if "|" in line and line.split("|", 1)[1].strip().startswith("{")]
gateway = {s["trace"] for s in spans if s["service"] == "gateway" and s["name"] == "POST /api/auth/signin"}
sys.exit(0 if any(s["service"] == "auth-service" and s["trace"] in gateway for s in spans) else 1)'; do
        ((SECONDS < deadline)) || die "no signin trace with gateway and auth-service spans in the trace receiver"
        sleep 1
    done
    log_info "a signin is one trace: the gateway's span and the auth service's"
}

# --------------------------------------------------------------- failover ---

# The master Redis the Sentinels name, as ip:port.
sentinel_master() {
    compose exec -T -e REDISCLI_AUTH="$REDIS_PASSWORD" sentinel-1 \
        redis-cli -p 26379 --raw SENTINEL get-master-addr-by-name auth-backend | paste -sd: -
}

run_failover() {
    local master before after access refresh out="$WORK/load-failover.json" line
    master="$(compose ps -q redis)"
    before="$(sentinel_master)"
    read -r access refresh < <(python3 "$LOAD_TOOL" token --base-url "$BASE_URL")
    # A rotation answered before the kill: WAIT held its answer until a replica had it.
    refresh="$(python3 "$LOAD_TOOL" refresh --base-url "$BASE_URL" --token "$refresh")"
    log_info "master $before; killing it 3 s into a 20 s load"
    python3 "$LOAD_TOOL" load --url "$BASE_URL/api/test/user" --duration 20 --concurrency 8 --retries 0 \
        --header "x-access-token: $access" --expect-body "User Content." --at "3:$DOCKER kill $master" --out "$out" >/dev/null
    line="$(python3 - "$out" "$FAILOVER_MAX_SECONDS" <<'PY'
import json, sys
r, bound = json.load(open(sys.argv[1])), float(sys.argv[2])
kill = r["events"][0]["at"]
window = r["failure_window_s"]
back = (window[1] - kill) if window else 0.0
ok = back <= bound and r["events"][0]["status"] == 0 and r["ok"] > 0
print(("OK  " if ok else "BAD ") + f"{r['requests']} requests, {r['failed_first_attempt']} refused "
      f"{r['first_attempt_causes'] or ''}, the last {back:.1f} s after the kill (bound {bound:.0f} s)")
PY
    )"
    RESULTS+=("$(printf '%-16s %s' redis-failover "$line")")
    log_info "  $line"
    [[ "${line%% *}" == OK ]] || die "protected routes did not come back within $FAILOVER_MAX_SECONDS s of the master's death"
    python3 "$LOAD_TOOL" refresh --base-url "$BASE_URL" --token "$refresh" >/dev/null ||
        die "a session rotated before the failover does not refresh after it"
    after="$(sentinel_master)"
    [[ -n "$after" && "$after" != "$before" ]] || die "the Sentinels still name $before as master"
    log_info "the Sentinels promoted $after; the session rotated before the kill refreshes on it"
}

# ------------------------------------------------------------------- main ---

main() {
    cd "$REPO_ROOT"
    [[ "$(id -u)" -eq 0 ]] || command -v sudo >/dev/null 2>&1 ||
        die "needs root (or sudo) to install packages, run dockerd and debootstrap"
    WORK="$(mktemp -d /tmp/compose-test.XXXXXX)"

    phase packages
    ensure_packages docker.io docker-compose debootstrap openssl curl binutils \
        pkg-config libhiredis-dev libargon2-dev libicu-dev
    [[ -x "$DOCKER" ]] || die "$DOCKER not found"
    start_swift_build

    phase dockerd
    ensure_dockerd

    phase base
    ensure_base_image

    phase images
    build_store_images

    phase build-wait
    wait_swift_build

    phase app-image
    build_app_image

    phase up
    prepare_secrets
    start_stack

    phase contract
    run_contract_suite

    phase load
    run_loads

    phase overlays
    start_overlays

    phase observe
    check_observability

    phase failover
    run_failover

    phase down
    compose down -v --remove-orphans 2>&1 | sed 's/^/  [compose] /' >&2
    STACK_UP=0
    end_phase
}

main "$@"
