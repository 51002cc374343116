# shellcheck shell=bash
# The services `make bench` measures, part of Benchmarks/bench.sh (sourced).
#
#   start_services           auth, two content services, four gateways
#   make_user                sign up and sign in the bench user: TOKEN
#   check_targets            every row answers 200 "User Content." with TOKEN
#   check_revocation_switch  row 6 skips the revocation check, row 5 does not
# shellcheck disable=SC2154 # globals of Benchmarks/bench.sh

# start_service NAME BINARY PORT VAR=VALUE...: BINARY as process NAME with
# exactly these settings (launcher.sh), listening on PORT, and the time from
# exec to /health/live and to /health/ready recorded.
start_service() {
    local name="$1" binary="$2" port="$3"
    shift 3
    start_process "$name" "$@" -- "$binary"
    URL["$name"]="http://127.0.0.1:$port"
    harness http "$name" "${URL[$name]}/health/live" 30
    fact "live_ms.$name" "$REPLY"
    log_info "$name (pid ${PID[$name]}) on port $port: live in $REPLY ms"
    harness http "$name" "${URL[$name]}/health/ready" 60
    fact "ready_ms.$name" "$REPLY"
}

# start_gateway NAME BINARY CONTENT_URL VAR=VALUE...: a gateway in front of the
# auth service and CONTENT_URL. The per-address rate limits (signin 30/min by
# default) would turn the signin and refresh runs into a measure of 429s:
# raised far out of reach; the limiter's Redis round trip still runs.
start_gateway() {
    local name="$1" binary="$2" content="$3" port metrics
    shift 3
    harness port && port="$REPLY"
    harness port && metrics="$REPLY"
    start_service "$name" "$binary" "$port" \
        GATEWAY_HOST=127.0.0.1 GATEWAY_PORT="$port" GATEWAY_METRICS_PORT="$metrics" \
        AUTH_SERVICE_URL="${URL[auth]}" CONTENT_SERVICE_URL="$content" REDIS_URL="$REDIS_URL" \
        RATE_LIMIT_SIGNIN=100000000 RATE_LIMIT_SIGNUP=100000000 RATE_LIMIT_REFRESH=100000000 \
        "$@" "${GATEWAY_ENV[@]}"
}

# start_content NAME VAR=VALUE...: a content service.
start_content() {
    local name="$1" port metrics
    shift
    harness port && port="$REPLY"
    harness port && metrics="$REPLY"
    start_service "$name" "$BIN_DIR/ContentService" "$port" \
        CONTENT_HOST=127.0.0.1 CONTENT_PORT="$port" CONTENT_METRICS_PORT="$metrics" \
        AUTH_SERVICE_URL="${URL[auth]}" "$@"
}

start_services() {
    local port metrics
    harness port && port="$REPLY"
    harness port && metrics="$REPLY"
    start_service auth "$BIN_DIR/AuthService" "$port" LOG_LEVEL=warning \
        AUTH_HOST=127.0.0.1 AUTH_PORT="$port" AUTH_METRICS_PORT="$metrics" \
        DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" \
        JWT_PRIVATE_KEY_FILE="$JWT_PRIVATE_KEY_FILE" \
        ACCESS_TOKEN_TTL=3600 # the one token must outlive a long bench

    # The upstream of rows 1-6, quiet so that the rows compare proxies.
    start_content content-quiet LOG_LEVEL=warning
    # Row 7's, at its default level (info: one line per request).
    start_content content-info
    URL[direct]="${URL[content-quiet]}"

    start_gateway gw-default "$BIN_DIR/Gateway" "${URL[content-quiet]}"
    # BENCH_SKIP_REVOCATION_CHECK=1 here too: a production build has no such
    # switch, and check_revocation_switch proves this gateway ignores it.
    start_gateway gw-nolog "$BIN_DIR/Gateway" "${URL[content-quiet]}" LOG_LEVEL=warning BENCH_SKIP_REVOCATION_CHECK=1
    start_gateway gw-norevoke "$VARIANT_BIN_DIR/Gateway" "${URL[content-quiet]}" LOG_LEVEL=warning BENCH_SKIP_REVOCATION_CHECK=1
    start_gateway gw-stack "$BIN_DIR/Gateway" "${URL[content-info]}"
    URL[stack]="${URL[gw-stack]}"
    # Row 9: row 4 with traces on, one in ten sampled, exported to a sink that only answers.
    harness port && port="$REPLY"
    start_process otlp-sink -- python3 "$BENCH_DIR/otlp_sink.py" "$port"
    harness tcp otlp-sink "$port" 20
    start_gateway gw-traced "$BIN_DIR/Gateway" "${URL[content-quiet]}" OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" \
        OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1
}

# POST JSON BODY to URL; prints the HTTP status, the answer goes to OUT_FILE.
# Extra arguments go to curl (headers).
post_json() {
    local url="$1" body="$2" out="$3"
    shift 3
    curl -sS --max-time 10 -o "$out" -w '%{http_code}' \
        -H 'Content-Type: application/json' "$@" -d "$body" "$url"
}

# GET PATH_UNDER_TEST from BASE_URL with access token TOKEN; prints the status.
get_with_token() {
    curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" "$1$PATH_UNDER_TEST"
}

# Print field NAME of the JSON object in FILE (empty when missing).
json_field() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]) or "")' "$2" "$1"
}

# Sign the bench user in through gateway GW; prints the access token.
signin_token() {
    local out="$STATE_DIR/signin.json" status
    status="$(post_json "${URL[$1]}/api/auth/signin" \
        "{\"username\":\"$BENCH_USER\",\"password\":\"$BENCH_PASSWORD\"}" "$out")"
    [[ "$status" == 200 ]] || { cat "$out" >&2; die "signin through $1 answered $status"; }
    json_field accessToken "$out"
}

# Sign up and sign in the bench user through the default gateway; sets TOKEN.
make_user() {
    local out="$STATE_DIR/answer.json" status
    # Letters and digits only: signin.lua builds its JSON without escaping.
    BENCH_USER="bench$(openssl rand -hex 4)"
    BENCH_PASSWORD="$(openssl rand -hex 16)"
    status="$(post_json "${URL[gw-default]}/api/auth/signup" \
        "{\"username\":\"$BENCH_USER\",\"email\":\"$BENCH_USER@bench.example\",\"password\":\"$BENCH_PASSWORD\"}" "$out")"
    [[ "$status" == 200 ]] || { cat "$out" >&2; die "signup answered $status"; }
    TOKEN="$(signin_token gw-default)"
    [[ -n "$TOKEN" ]] || die "signin answer has no accessToken"
    log_info "signed up and signed in $BENCH_USER"
}

# Each target must answer the path with exactly 200 "User Content." before it
# is measured (wrk alone would also count a 3xx as success), and each gateway
# must refuse a request without a token: it checks tokens.
check_targets() {
    local target body="$STATE_DIR/answer.txt" status name
    for target in "${TARGETS[@]}"; do
        status="$(curl -sS --max-time 5 -o "$body" -w '%{http_code}' \
            -H "Authorization: Bearer $TOKEN" "${URL[$target]}$PATH_UNDER_TEST")"
        [[ "$status" == 200 && "$(<"$body")" == "User Content." ]] ||
            die "$target answered $status '$(head -c 200 "$body")' on $PATH_UNDER_TEST, expected 200 'User Content.'"
    done
    for name in gw-default gw-nolog gw-norevoke gw-stack; do
        status="$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "${URL[$name]}$PATH_UNDER_TEST")"
        [[ "$status" == 403 ]] || die "$name answered $status without a token, expected 403"
    done
}

# Prove that row 6 is what it says and row 5 is not: a session signed out
# through the default gateway must be refused by gw-nolog (a production build,
# started with BENCH_SKIP_REVOCATION_CHECK=1 all the same) within 2 s, and
# still be let through by gw-norevoke (the BenchmarkVariants build).
check_revocation_switch() {
    local token status i name out="$STATE_DIR/signout.json"
    token="$(signin_token gw-default)"
    for name in gw-nolog gw-norevoke; do
        status="$(get_with_token "${URL[$name]}" "$token")"
        [[ "$status" == 200 ]] || die "$name answered $status with a fresh token"
    done
    status="$(post_json "${URL[gw-default]}/api/auth/signout" '{}' "$out" -H "x-access-token: $token")"
    [[ "$status" == 200 ]] || { cat "$out" >&2; die "signout answered $status"; }
    for ((i = 0; i < 40; i++)); do
        status="$(get_with_token "${URL[gw-nolog]}" "$token")"
        [[ "$status" == 401 ]] && break
        sleep 0.05
    done
    if [[ "$status" == 401 ]]; then
        fact switch.production_ignores yes
    else
        fact switch.production_ignores no
        FAILURES+=("gw-nolog (production build, BENCH_SKIP_REVOCATION_CHECK=1) still answers $status to a signed-out token after 2 s: row 5 is not a revocation-on row")
    fi
    status="$(get_with_token "${URL[gw-norevoke]}" "$token")"
    if [[ "$status" == 200 ]]; then
        fact switch.variant_skips yes
    else
        fact switch.variant_skips no
        FAILURES+=("gw-norevoke answers $status to a signed-out token: $VARIANT_BIN_DIR/Gateway is not a BenchmarkVariants build, row 6 measures nothing")
    fi
    log_info "revocation switch: production build ignores it: $(fact_value switch.production_ignores), variant skips the check: $(fact_value switch.variant_skips)"
}
