# shellcheck shell=bash
# Mail delivery throughput, part of Benchmarks/bench.sh (sourced), or alone:
#
#   bash Benchmarks/parts/mail.sh          (BENCH_BIN_DIR, BENCH_MAIL_COUNT as below)
#
#   run_mail_delivery   mails/s through the outbox to a local SMTP server, and
#                       that server's own rate in the same run (the baseline)
#   mail_report         the lines of the report
#
# BENCH_MAIL_ENV adds settings to that auth service (MAIL_BATCH_SIZE=50, say).
# BENCH_MAIL_COUNT mails (default 2000, 0 skips) are written to the outbox in
# one statement; an auth service of its own, with SMTP_URL pointing at a local
# compose/images/mail/mailcatcher.py, delivers them. Reported: mails/s from the insert
# to the last mail sent (PostgreSQL's timestamps), whether each arrived exactly
# once, and the baseline: the same server taking the first of those messages,
# byte for byte, as many times from Python's smtplib over one connection. The ratio of the two
# is what the outbox, the worker and the SMTP client cost over bare SMTP.
# shellcheck disable=SC2154 # globals of Benchmarks/bench.sh (STATE_DIR, BIN_DIR, ...)

MAIL_COUNT="${BENCH_MAIL_COUNT:-2000}"
read -r -a MAIL_ENV <<<"${BENCH_MAIL_ENV:-}"
MAIL_PROCESSES=()

# Stop what run_mail_delivery started (the launcher stops it otherwise).
stop_mail_bench() {
    local name
    for name in "${MAIL_PROCESSES[@]}"; do
        harness stop "$name"
    done
    MAIL_PROCESSES=()
}

# start_mail_catcher NAME PORT DIR: a mail catcher of the bench's own, until it accepts.
start_mail_catcher() {
    harness start "$1" -- /usr/bin/python3 "$REPO_ROOT/compose/images/mail/mailcatcher.py" --port "$2" --dir "$3" --json
    MAIL_PROCESSES+=("$1")
    harness tcp "$1" "$2" 20
}

run_mail_delivery() {
    if ((MAIL_COUNT == 0)); then
        fact mail.status "skipped (BENCH_MAIL_COUNT=0)"
        return 0
    fi
    [[ "$MAIL_COUNT" =~ ^[1-9][0-9]*$ ]] || die "BENCH_MAIL_COUNT must be a whole number"
    ensure_packages python3 python3-aiosmtpd postgresql-client-15
    local port auth_port metrics_port replica row
    harness port && port="$REPLY"
    start_mail_catcher mail-catcher "$port" "$STATE_DIR/mail-outbox"

    harness port && auth_port="$REPLY"
    harness port && metrics_port="$REPLY"
    harness start auth-mail DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" \
        JWT_PRIVATE_KEY_FILE="$STATE_DIR/jwt-dev-key.pem" AUTH_PORT="$auth_port" AUTH_METRICS_PORT="$metrics_port" \
        LOG_LEVEL=warning SMTP_URL="smtp://127.0.0.1:$port" MAIL_FROM="Bench <no-reply@bench.test>" \
        MAIL_POLL_INTERVAL=0.05 "${MAIL_ENV[@]}" -- "$BIN_DIR/AuthService"
    replica="$REPLY"
    MAIL_PROCESSES+=(auth-mail)
    harness http auth-mail "http://127.0.0.1:$auth_port/health/ready" 60

    log_info "mail: $MAIL_COUNT mails through the outbox"
    psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "
        INSERT INTO auth_mail_outbox (kind, recipient, parameters, \"messageId\")
        SELECT 'password_changed', 'user' || n || '@bench.test', jsonb_build_object('username', 'user' || n),
            gen_random_uuid()::text || '@bench.test'
        FROM generate_series(1, $MAIL_COUNT) AS n" || die "could not fill the outbox"
    local deadline=$((SECONDS + 300)) left cpu_before
    cpu_before="$(process_cpu_ticks "$replica")"
    while :; do
        left="$(psql -X -At "$DATABASE_URL" -c "SELECT count(*) FROM auth_mail_outbox WHERE \"sentAt\" IS NULL AND \"failedAt\" IS NULL")"
        ((left == 0)) && break
        ((SECONDS < deadline)) || { FAILURES+=("mail: $left of $MAIL_COUNT not delivered within 300 s"); break; }
        sleep 0.2
    done
    fact mail.replica_cpu_ms_per_mail "$(python3 -c "print(f'{($(process_cpu_ticks "$replica") - $cpu_before) * 1000 / $(getconf CLK_TCK) / $MAIL_COUNT:.2f}')")"
    row="$(psql -X -At -F ' ' "$DATABASE_URL" -c "
        SELECT count(*) FILTER (WHERE \"sentAt\" IS NOT NULL), count(*) FILTER (WHERE \"failedAt\" IS NOT NULL),
            round((count(*) FILTER (WHERE \"sentAt\" IS NOT NULL)
                / GREATEST(extract(epoch FROM max(\"sentAt\") - min(\"createdAt\")), 0.001))::numeric, 1)
        FROM auth_mail_outbox WHERE recipient LIKE '%@bench.test'")"
    local sent failed per_s received distinct
    read -r sent failed per_s <<<"$row"
    received="$(find "$STATE_DIR/mail-outbox" -name '[0-9]*.eml' | wc -l)"
    distinct="$(grep -h -m1 -i '^Message-ID:' "$STATE_DIR/mail-outbox"/[0-9]*.eml | sort -u | wc -l)"
    fact mail.count "$MAIL_COUNT"
    fact mail.sent "$sent"
    fact mail.failed "$failed"
    fact mail.per_s "$per_s"
    fact mail.received "$received"
    fact mail.distinct "$distinct"
    if ((received != MAIL_COUNT || distinct != MAIL_COUNT || failed != 0)); then
        FAILURES+=("mail: $received received, $distinct distinct, $failed given up of $MAIL_COUNT")
    fi
    # The baseline, on a catcher of its own: the first message the outbox delivered, byte for byte,
    # to as many recipients, in sequence over one connection (smtplib does not pipeline either).
    local baseline_port first
    first="$(find "$STATE_DIR/mail-outbox" -name '000001-*.eml' -print -quit)"
    harness port && baseline_port="$REPLY"
    start_mail_catcher mail-baseline "$baseline_port" "$STATE_DIR/mail-baseline"
    log_info "mail: the SMTP server alone, $MAIL_COUNT messages over one connection"
    /usr/bin/python3 - "$baseline_port" "$MAIL_COUNT" "$first" >"$STATE_DIR/mail-baseline.out" <<'PY' || die "the SMTP baseline failed"
import smtplib, sys, time
port, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
message = open(path, "rb").read()
with smtplib.SMTP("127.0.0.1", port) as client:
    client.ehlo("bench")
    started = time.monotonic()
    for index in range(count):
        client.sendmail("no-reply@bench.test", [f"user{index}@bench.test"], message)
    elapsed = time.monotonic() - started
print(f"{count / elapsed:.1f}")
PY
    fact mail.baseline_per_s "$(tail -n 1 "$STATE_DIR/mail-baseline.out")"
    stop_mail_bench
}

# utime + stime of PID, in clock ticks.
process_cpu_ticks() {
    local stat fields
    stat="$(cat "/proc/$1/stat")"
    read -r -a fields <<<"${stat##*) }"
    printf '%s\n' $((fields[11] + fields[12]))
}

mail_report() {
    local baseline per_s
    baseline="$(fact_value mail.baseline_per_s)"
    per_s="$(fact_value mail.per_s)"
    [[ -n "$per_s" ]] || { printf '\n  mail delivery: %s\n' "$(fact_value mail.status)"; return 0; }
    printf '\n  mail delivery (outbox -> local SMTP server, one auth replica, batches of 20 per session):\n'
    printf '    %s mails: %s/s, %s received, %s distinct Message-IDs, %s given up; the replica used %s ms of CPU per mail\n' \
        "$(fact_value mail.count)" "$per_s" "$(fact_value mail.received)" "$(fact_value mail.distinct)" "$(fact_value mail.failed)" \
        "$(fact_value mail.replica_cpu_ms_per_mail)"
    printf '    baseline, the same server from smtplib over one connection: %s/s; outbox / baseline = %s\n' "$baseline" \
        "$(python3 -c "print(f'{$per_s / $baseline:.2f}')")"
}

# Alone: throwaway stores and key, the release binaries (or BENCH_BIN_DIR), then the report.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
    BENCH_DIR="$REPO_ROOT/Benchmarks/parts"
    # shellcheck source=Benchmarks/parts/base.sh
    source "$BENCH_DIR/base.sh"
    PORT_BASE="${BENCH_PORT_BASE:-19300}"
    FAILURES=()
    STATE_DIR=""
    BIN_DIR=""
    # shellcheck disable=SC2317,SC2329 # invoked through on_exit
    standalone_cleanup() {
        stop_launcher
        [[ -n "$STATE_DIR" ]] && rm -rf -- "$STATE_DIR"
    }
    on_exit standalone_cleanup
    cd "$REPO_ROOT"
    ensure_stack_packages
    find_binaries
    unset DATABASE_URL REDIS_URL
    STATE_DIR="$(mktemp -d /tmp/authstack-mailbench.XXXXXX)"
    chmod 755 "$STATE_DIR"
    mkdir -p "$STATE_DIR/logs"
    : >"$STATE_DIR/facts"
    start_launcher "$STATE_DIR" "$PORT_BASE-$((PORT_BASE + 199))"
    start_stores
    ensure_dev_key "$STATE_DIR/jwt-dev-key.pem"
    run_mail_delivery
    mail_report
    ((${#FAILURES[@]} == 0)) || die "mail bench: ${FAILURES[*]}"
fi
