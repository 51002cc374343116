# shellcheck shell=bash
# Access tokens, part of Benchmarks/bench.sh (sourced).
#
#   run_token_verification   TokenVerificationBench: verifications/s per key kind
#   run_propagation          revocation propagation between two gateways (propagation.py)
# shellcheck disable=SC2154 # globals of Benchmarks/bench.sh

# TokenVerificationBench: full verification (signature and claims, no cache)
# per key kind on one core, while the services idle. Facts verify.KIND.per_s
# and verify.KIND.us; verify.kinds lists the kinds in the order printed.
run_token_verification() {
    local bin="$VARIANT_BIN_DIR/TokenVerificationBench" out="$STATE_DIR/logs/token-verification.txt" kind per_s us kinds=()
    if ((VERIFY_SECONDS == 0)); then
        fact verify.status "skipped (BENCH_VERIFY_SECONDS=0)"
        return 0
    fi
    if [[ ! -x "$bin" ]]; then
        fact verify.status "not run: $bin not found"
        FAILURES+=("token verification per key kind: $bin not found")
        return 0
    fi
    log_info "token verification: ${VERIFY_SECONDS}s per key kind"
    if ! run_child "$out" timeout $((VERIFY_SECONDS * 3 + 30)) "$bin" "$VERIFY_SECONDS"; then
        fact verify.status "FAILED: $(head -c 300 "$out")"
        FAILURES+=("TokenVerificationBench: $(head -c 300 "$out")")
        return 0
    fi
    while IFS=$'\t' read -r kind per_s us; do
        [[ "$kind" =~ ^[A-Za-z0-9]+$ && "$per_s" =~ ^[0-9]+$ ]] || continue
        kinds+=("$kind")
        fact "verify.$kind.per_s" "$per_s"
        fact "verify.$kind.us" "$us"
    done <"$out"
    if ((${#kinds[@]} == 0)); then
        fact verify.status "FAILED: no kind<TAB>per_s<TAB>us line in its output"
        FAILURES+=("TokenVerificationBench printed no result line")
        return 0
    fi
    fact verify.kinds "${kinds[*]}"
    fact verify.seconds "$VERIFY_SECONDS"
}

# Revocation propagation between two replicas on the same auth service and
# Redis: gw-default (A, which carries each signout) and gw-stack (B, polled).
# propagation.py writes its facts (prop.*) to stdout.
run_propagation() {
    local out="$STATE_DIR/logs/propagation.txt"
    if ((PROPAGATION_SESSIONS == 0)); then
        fact prop.status "skipped (BENCH_PROPAGATION_SESSIONS=0)"
        return 0
    fi
    log_info "propagation: $PROPAGATION_SESSIONS sessions signed out through gw-default, polled on gw-stack"
    if run_child "$out" timeout $((PROPAGATION_SESSIONS + 120)) python3 "$BENCH_DIR/propagation.py" \
        "${URL[gw-default]}" "${URL[gw-stack]}" "$BENCH_USER" "$BENCH_PASSWORD" "$PROPAGATION_SESSIONS"; then
        grep -E '^prop\.[a-z0-9_]+=' "$out" >>"$STATE_DIR/facts"
    else
        cat "$out" >&2
        fact prop.status "FAILED: $(grep -v '^prop\.' "$out" | head -c 300)"
        FAILURES+=("propagation: $(grep -v '^prop\.' "$out" | head -c 300)")
    fi
    check_alive
}
