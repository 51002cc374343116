#!/bin/bash
# First start: create the cluster in $PGDATA and the role and database
# POSTGRES_USER / POSTGRES_DB with POSTGRES_PASSWORD (or the content of
# POSTGRES_PASSWORD_FILE). Then run PostgreSQL in the foreground, listening on
# every interface with password (SCRAM) authentication over TCP.
set -euo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=auth}"
: "${POSTGRES_DB:=$POSTGRES_USER}"

if [[ -n "${POSTGRES_PASSWORD_FILE:-}" ]]; then
    POSTGRES_PASSWORD="$(<"$POSTGRES_PASSWORD_FILE")"
fi

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    [[ -n "${POSTGRES_PASSWORD:-}" ]] || {
        echo "postgres: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE" >&2
        exit 1
    }
    echo "postgres: creating the cluster in $PGDATA"
    initdb -D "$PGDATA" --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    {
        echo "listen_addresses = '*'"
        echo "password_encryption = 'scram-sha-256'"
    } >>"$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"

    # A private, socket-only server for the set-up statements.
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
    psql -v ON_ERROR_STOP=1 --username=postgres --dbname=postgres \
        --set=user="$POSTGRES_USER" --set=db="$POSTGRES_DB" \
        --set=password="$POSTGRES_PASSWORD" >/dev/null <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"user";
SQL
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    echo "postgres: role '$POSTGRES_USER' and database '$POSTGRES_DB' created"
fi
unset POSTGRES_PASSWORD

exec postgres -D "$PGDATA"
