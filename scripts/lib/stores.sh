# shellcheck shell=bash
# `make run`'s PostgreSQL 15 and Redis, whose data survives between runs
# (the tests' and benchmarks' throwaway stores come from the harness:
# launcher.sh).
#
#   start_stores STATE_DIR   start both (each unless DATABASE_URL / REDIS_URL
#                            is already set) and export DATABASE_URL, REDIS_URL
#   stop_stores              stop what start_stores started
#   remove_state_dir DIR     delete a state dir and its /tmp PostgreSQL fallback
#
# Layout of STATE_DIR (reused between runs, so data survives `make run`):
#   postgres/data/           the cluster (owner postgres, mode 700)
#   postgres/run/            its Unix socket folder
#   postgres/postgres.log    server log
#   postgres-password        password of role `auth` (mode 600)
#   postgres.path            only when the `postgres` user cannot enter
#                            STATE_DIR (or its path is too long for a socket):
#                            the /tmp/authstack.XXXXXX folder holding
#                            postgres/ instead
#   redis/                   Redis data (appendonly), redis.log, redis.pid
#
# Call start_stores from the main shell, not in $(...): it records what it
# started in shell variables, and Redis must stay a child of this shell.
# Needs common.sh.

PG_BIN_DIR="${PG_BIN_DIR:-/usr/lib/postgresql/15/bin}"
PG_FIRST_PORT=54329
REDIS_FIRST_PORT=63790

# What start_stores started (empty when nothing / not us).
_STORES_PG_DATA=""
_STORES_REDIS_PID=""
_STORES_REDIS_PIDFILE=""

# Run a command as the `postgres` user, from / so that a working directory
# that user cannot enter does not matter. Paths given must be absolute.
as_postgres() {
    (cd / && as_root runuser -u postgres -- "$@")
}

# True when the process PID runs executable EXE with working directory CWD.
# Used to recognise a server left running by an earlier run of ours.
_pid_is_ours() {
    local pid="$1" exe="$2" cwd="$3"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    exe="$(readlink -f "$exe")" # redis-server is a symlink to redis-check-rdb
    [[ "$(as_root readlink "/proc/$pid/exe" 2>/dev/null)" == "$exe" ]] &&
        [[ "$(as_root readlink "/proc/$pid/cwd" 2>/dev/null)" == "$cwd" ]]
}

# ------------------------------------------------------------- PostgreSQL ---

# True when the postgres user can use BASE/postgres: it can enter BASE (and so
# every parent folder) and the socket path fits the 107-byte Unix limit.
_pg_base_usable() {
    local base="$1"
    local socket="$base/postgres/run/.s.PGSQL.65535"
    ((${#socket} <= 107)) || return 1
    [[ "$base" != *"'"* ]] || return 1 # quoted in postgres options below
    as_postgres test -x "$base"
}

# Print the folder that holds postgres/ for STATE_DIR: STATE_DIR itself when
# usable, otherwise a private /tmp/authstack.XXXXXX folder, remembered in
# STATE_DIR/postgres.path so later runs find the same cluster.
_pg_base() {
    local state="$1" record="$1/postgres.path" base=""
    if _pg_base_usable "$state"; then
        printf '%s\n' "$state"
        return 0
    fi
    [[ -f "$record" ]] && base="$(<"$record")"
    if [[ "$base" == /tmp/authstack.* && -d "$base" && ! -L "$base" && -O "$base" ]] &&
        _pg_base_usable "$base"; then
        printf '%s\n' "$base"
        return 0
    fi
    base="$(mktemp -d /tmp/authstack.XXXXXX)"
    chmod 755 "$base"
    printf '%s\n' "$base" >"$record"
    log_warn "user postgres cannot enter $state (or the path is too long for a socket): PostgreSQL data goes to $base instead (lost if /tmp is cleaned)"
    printf '%s\n' "$base"
}

# Print the password of role `auth` for STATE_DIR, creating it once (mode 600).
_pg_password() {
    local file="$1/postgres-password"
    if [[ ! -s "$file" ]]; then
        (umask 077 && openssl rand -hex 24 >"$file.tmp") && mv -f "$file.tmp" "$file"
    fi
    chmod 600 "$file"
    tr -d '[:space:]' <"$file"
}

# Deal with what a killed earlier run may have left in DATA and SOCKDIR:
# stop a postmaster still running on DATA, drop a stale postmaster.pid and
# stale socket/lock files.
_pg_clear_stale() {
    local data="$1" sock="$2" pid
    if as_postgres test -f "$data/postmaster.pid"; then
        pid="$(as_postgres head -n 1 "$data/postmaster.pid")"
        if _pid_is_ours "$pid" "$PG_BIN_DIR/postgres" "$data"; then
            log_warn "PostgreSQL from an earlier run (pid $pid) still uses $data: stopping it"
            as_postgres "$PG_BIN_DIR/pg_ctl" -D "$data" -s -w -t 30 -m fast stop ||
                as_postgres "$PG_BIN_DIR/pg_ctl" -D "$data" -s -w -t 30 -m immediate stop || true
        else
            log_warn "removing stale $data/postmaster.pid"
            as_postgres rm -f "$data/postmaster.pid"
        fi
    fi
    as_postgres find "$sock" -maxdepth 1 -name '.s.PGSQL.*' -delete
}

# Create the cluster in DATA unless it exists (initdb into a side folder first
# so that an interrupted initdb never leaves a half-made cluster behind).
_pg_init() {
    local data="$1" tmp="$1.init" out version
    if as_postgres test -f "$data/PG_VERSION"; then
        version="$(as_postgres cat "$data/PG_VERSION")"
        [[ "$version" == 15 ]] ||
            die "$data holds a PostgreSQL $version cluster, not 15: remove it (make clean-state)"
        return 0
    fi
    log_info "creating PostgreSQL cluster in $data"
    as_postgres rm -rf "$data" "$tmp"
    if ! out="$(as_postgres "$PG_BIN_DIR/initdb" -D "$tmp" -U postgres \
        --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 2>&1)"; then
        printf '%s\n' "$out" >&2
        die "initdb failed"
    fi
    as_postgres mv "$tmp" "$data"
}

# Create role `auth` (password PASSWORD) and database `auth` if missing; the
# password is (re)set on every start so it always matches the password file.
_pg_provision() {
    local sock="$1" port="$2" password="$3"
    as_postgres "$PG_BIN_DIR/psql" -X -q -v ON_ERROR_STOP=1 \
        -h "$sock" -p "$port" -U postgres -d postgres <<SQL
SELECT 'CREATE ROLE auth' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'auth')\gexec
ALTER ROLE auth WITH LOGIN CREATEDB PASSWORD '$password';
SELECT 'CREATE DATABASE auth OWNER auth' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'auth')\gexec
SQL
}

# Start PostgreSQL for STATE_DIR on a free loopback port; export DATABASE_URL.
start_postgres() {
    local state="$1" base root data sock logfile port password deadline opts
    [[ -x "$PG_BIN_DIR/postgres" ]] || die "PostgreSQL 15 not found in $PG_BIN_DIR (package postgresql-15)"
    base="$(_pg_base "$state")"
    root="$base/postgres" data="$base/postgres/data"
    sock="$root/run" logfile="$root/postgres.log"

    as_root install -d -o postgres -g postgres -m 755 "$root" "$sock"
    _pg_clear_stale "$data" "$sock"
    _pg_init "$data"

    # Another process may take the port between the check and the bind: try
    # the next free port a few times before giving up.
    local attempt first="$PG_FIRST_PORT" started=0
    for attempt in 1 2 3 4 5; do
        port="$(free_port "$first")"
        opts="-c listen_addresses=127.0.0.1 -p $port -k '$sock'"
        log_info "starting PostgreSQL on 127.0.0.1:$port (log: $logfile)"
        if as_postgres "$PG_BIN_DIR/pg_ctl" -D "$data" -l "$logfile" -s -w -t 60 -o "$opts" start; then
            started=1
            break
        fi
        log_warn "PostgreSQL could not start on port $port (attempt $attempt)"
        first=$((port + 1))
    done
    if ((started == 0)); then
        as_postgres tail -n 30 "$logfile" >&2 || true
        die "PostgreSQL did not start"
    fi
    _STORES_PG_DATA="$data"

    deadline=$((SECONDS + 30))
    until as_postgres "$PG_BIN_DIR/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; do
        ((SECONDS < deadline)) || die "PostgreSQL on port $port not ready after 30s (see $logfile)"
        sleep 0.2
    done

    password="$(_pg_password "$state")"
    _pg_provision "$sock" "$port" "$password" || die "could not create role/database auth"
    export DATABASE_URL="postgres://auth:$password@127.0.0.1:$port/auth"
}

stop_postgres() {
    [[ -n "$_STORES_PG_DATA" ]] || return 0
    local data="$_STORES_PG_DATA"
    _STORES_PG_DATA=""
    # pg_ctl status: 0 running, 3 not running.
    as_postgres "$PG_BIN_DIR/pg_ctl" -D "$data" status >/dev/null 2>&1 || return 0
    log_info "stopping PostgreSQL"
    as_postgres "$PG_BIN_DIR/pg_ctl" -D "$data" -s -w -t 30 -m fast stop ||
        as_postgres "$PG_BIN_DIR/pg_ctl" -D "$data" -s -w -t 30 -m immediate stop ||
        log_warn "could not stop PostgreSQL in $data"
    return 0
}

# ------------------------------------------------------------------ Redis ---

# Start redis-server for STATE_DIR on a free loopback port; export REDIS_URL.
start_redis() {
    local state="$1" dir="$1/redis" bin port pid old deadline
    bin="$(command -v redis-server)" || die "redis-server not found (package redis-server)"
    mkdir -p "$dir"

    # A Redis left running by a killed earlier run on the same folder.
    if [[ -f "$dir/redis.pid" ]]; then
        old="$(<"$dir/redis.pid")"
        if _pid_is_ours "$old" "$bin" "$dir"; then
            log_warn "Redis from an earlier run (pid $old) still uses $dir: stopping it"
            as_root kill -TERM "$old" 2>/dev/null || true
            deadline=$((SECONDS + 10))
            while as_root kill -0 "$old" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
            as_root kill -KILL "$old" 2>/dev/null || true
        fi
        rm -f "$dir/redis.pid"
    fi

    port="$(free_port "$REDIS_FIRST_PORT")"
    log_info "starting Redis on 127.0.0.1:$port (log: $dir/redis.log)"
    # setsid: a Ctrl-C on the terminal must not reach Redis; stop_stores stops it
    # after the services, and DIE_WITH_PARENT should this script be killed
    # outright. (setsid and setpriv exec in place, so $! is Redis itself.)
    setsid "${DIE_WITH_PARENT[@]}" "$bin" --port "$port" --bind 127.0.0.1 --dir "$dir" \
        --appendonly yes --daemonize no --save "" --logfile "" --databases 32 \
        </dev/null >>"$dir/redis.log" 2>&1 &
    pid=$!
    _STORES_REDIS_PID="$pid"
    _STORES_REDIS_PIDFILE="$dir/redis.pid"
    printf '%s\n' "$pid" >"$dir/redis.pid"

    deadline=$((SECONDS + 30))
    until [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]]; do
        if ! pid_alive "$pid"; then
            tail -n 30 "$dir/redis.log" >&2 || true
            die "Redis exited during start"
        fi
        ((SECONDS < deadline)) || die "Redis on port $port not ready after 30s (see $dir/redis.log)"
        sleep 0.1
    done
    export REDIS_URL="redis://127.0.0.1:$port"
}

stop_redis() {
    [[ -n "$_STORES_REDIS_PID" ]] || return 0
    log_info "stopping Redis"
    stop_pid "$_STORES_REDIS_PID" 10
    rm -f "$_STORES_REDIS_PIDFILE"
    _STORES_REDIS_PID="" _STORES_REDIS_PIDFILE=""
}

# ------------------------------------------------------------------- both ---

# Start PostgreSQL unless DATABASE_URL is set and Redis unless REDIS_URL is
# set, keeping their data in STATE_DIR; exports DATABASE_URL and REDIS_URL.
start_stores() {
    local state="$1"
    mkdir -p "$state"
    state="$(cd "$state" && pwd -P)" # absolute, symlinks resolved
    if [[ -n "${DATABASE_URL:-}" ]]; then
        log_info "DATABASE_URL is set: not starting PostgreSQL"
    else
        start_postgres "$state"
    fi
    if [[ -n "${REDIS_URL:-}" ]]; then
        log_info "REDIS_URL is set: not starting Redis"
    else
        start_redis "$state"
    fi
}

# Stop whatever start_stores started. Safe to call more than once.
stop_stores() {
    stop_redis
    stop_postgres
}

# Delete STATE_DIR and the /tmp folder its PostgreSQL data may live in.
# Stops nothing: call stop_stores first if they run.
remove_state_dir() {
    local state="$1" base=""
    [[ -d "$state" ]] || return 0
    [[ -f "$state/postgres.path" ]] && base="$(<"$state/postgres.path")"
    if [[ "$base" == /tmp/authstack.* && -d "$base" && ! -L "$base" ]]; then
        as_root rm -rf -- "$base"
    fi
    as_root rm -rf -- "$state"
}
