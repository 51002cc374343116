# shellcheck shell=bash
# A local SMTP server for `make run` when SMTP_URL is unset: compose/images/mail/mailcatcher.py on
# Debian's python3-aiosmtpd, on a free loopback port, keeping every message in STATE_DIR/mail and
# printing one line per message (recipient, subject, link) in the run log with a [mail] prefix.
#
#   start_mail_server STATE_DIR   start it unless SMTP_URL is set; export SMTP_URL
#   stop_mail_server              stop what start_mail_server started
#
# Needs common.sh, and REPO_ROOT set by the calling script.

MAIL_FIRST_PORT=2525
_MAIL_PID=""

start_mail_server() {
    local state="$1" port
    if [[ -n "${SMTP_URL:-}" ]]; then
        log_info "SMTP_URL is set: not starting the local SMTP server"
        return 0
    fi
    ensure_packages python3 python3-aiosmtpd
    mkdir -p "$state/mail"
    port="$(free_port "$MAIL_FIRST_PORT")"
    log_info "starting the local SMTP server on 127.0.0.1:$port (mail kept in $state/mail)"
    # Debian's python3, which has aiosmtpd (a pyenv python first on PATH would not). setsid and
    # DIE_WITH_PARENT as for the services: cleanup stops it, or its parent's death does.
    setsid "${DIE_WITH_PARENT[@]}" /usr/bin/python3 "$REPO_ROOT/compose/images/mail/mailcatcher.py" \
        --port "$port" --dir "$state/mail" </dev/null \
        > >(trap '' INT TERM HUP QUIT && exec sed -u 's/^/[mail]    /') 2>&1 &
    _MAIL_PID=$!
    if ! wait_for_tcp 127.0.0.1 "$port" 20; then
        die "the local SMTP server did not start"
    fi
    export SMTP_URL="smtp://127.0.0.1:$port"
}

stop_mail_server() {
    [[ -n "$_MAIL_PID" ]] || return 0
    stop_pid "$_MAIL_PID" 10
    _MAIL_PID=""
}
