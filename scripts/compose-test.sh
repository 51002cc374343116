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
#              published gateway: `scripts/test.sh system` with
#              SYSTEM_TEST_GATEWAY_URL; test_running_stack.py there is what
#              only the containers show (the mounted key, the bootstrap
#              admin, a session rotating across the auth replicas). Then the
#              compose suite (Tests/system/compose, with SYSTEM_TEST_COMPOSE
#              naming the stack): replicas killed and restarted under load,
#              then compose/ha.yaml and compose/observability.yaml added
#              (Prometheus, traces, the Redis master killed under load); each
#              test's docstring says its bounds
#
# Environment:
#   DOCKER            Docker client (default /usr/bin/docker: Debian's 20.10
#                     client drives BuildKit itself, a newer client without
#                     the buildx plugin cannot)
#   GATEWAY_PORT      loopback port to publish the gateway on (default 8080,
#                     or the next free one)
#   KEEP_IMAGES=0     also remove local/debian:bookworm and the PostgreSQL and
#                     Redis images at the end (kept by default, as a cache)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"

DOCKER="${DOCKER:-/usr/bin/docker}"
PROJECT=authtest
COMPOSE_FILE="$REPO_ROOT/compose/compose.yaml"
BASE_IMAGE="local/debian:bookworm"
APP_IMAGE="authtest/auth-backend:local"
BINARIES_IMAGE="authtest/auth-backend-binaries:local"
POSTGRES_IMAGE="auth-backend/postgres:15-bookworm" # as in compose.yaml
REDIS_IMAGE="auth-backend/redis:7-bookworm"        # as in compose.yaml
MAIL_IMAGE="auth-backend/mail:bookworm"            # as in compose.yaml
PROMETHEUS_IMAGE="auth-backend/prometheus:bookworm" # as in observability.yaml
TRACES_IMAGE="auth-backend/traces:bookworm"         # as in observability.yaml
SCRATCH_PATH="$REPO_ROOT/.build-release-static"

WORK=""
BUILD_PID=""
BUILD_STARTED=0
DOCKERD_PID=""
STACK_UP=0
PHASE="setup"
PHASE_START=$SECONDS
TIMINGS=()

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
    docker-compose -f "$COMPOSE_FILE" -p "$PROJECT" "$@"
}

# The stack down, volumes too, with every file the compose suite may have added to it (so that
# their containers and volumes go as well).
compose_down() {
    docker-compose -f "$COMPOSE_FILE" -f "$REPO_ROOT/compose/ha.yaml" -f "$REPO_ROOT/compose/observability.yaml" \
        -p "$PROJECT" down -v --remove-orphans
}

print_summary() {
    local line
    if ((${#TIMINGS[@]} > 0)); then
        log_info "phase timings:"
        for line in "${TIMINGS[@]}"; do log_info "  $line"; done
    fi
}

# Runs once, with later signals ignored (on_exit): make passes a group's SIGTERM on.
# shellcheck disable=SC2329 # invoked by on_exit
cleanup() {
    local rc=$1 failed_phase="$PHASE"
    end_phase
    if ((STACK_UP)); then
        if ((rc != 0)); then
            log_error "last lines of the stack's logs:"
            compose logs --no-color --tail=40 2>&1 | tail -n 150 >&2
        fi
        log_info "tearing the stack down (down -v)"
        compose_down >/dev/null 2>&1 ||
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
}
on_exit cleanup

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
    docker_build --build-arg "BASE=$BASE_IMAGE" -t "$MAIL_IMAGE" "$REPO_ROOT/compose/images/mail"
    docker_build --build-arg "BASE=$BASE_IMAGE" -t "$PROMETHEUS_IMAGE" "$REPO_ROOT/compose/images/prometheus"
    docker_build --build-arg "BASE=$BASE_IMAGE" -t "$TRACES_IMAGE" "$REPO_ROOT/compose/images/traces"
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

# The frontends suite through the compose gateway, in the mode that tests a
# running system from outside (`scripts/test.sh system`), then the compose suite,
# which acts on the containers (it kills replicas and the Redis master).
run_contract_suite() {
    SYSTEM_TEST_GATEWAY_URL="$BASE_URL" SYSTEM_TEST_ADMIN_PASSWORD="$BOOTSTRAP_ADMIN_PASSWORD" \
        SYSTEM_TEST_COMPOSE="docker-compose -f $COMPOSE_FILE -p $PROJECT" DOCKER="$DOCKER" \
        SYSTEM_TEST_OUTPUT="$WORK/contract" SYSTEM_TEST_ARGS="-v Tests/system/frontends Tests/system/compose" \
        bash "$REPO_ROOT/scripts/test.sh" system
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
    compose_down >/dev/null 2>&1 || true
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

    phase down
    compose_down 2>&1 | sed 's/^/  [compose] /' >&2
    STACK_UP=0
    end_phase
}

main "$@"
