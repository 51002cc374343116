#!/bin/sh
# Healthy once the server takes TCP connections (not during first-start set-up,
# which listens on the Unix socket only).
exec pg_isready --quiet --host=127.0.0.1 --port=5432 \
    --username="${POSTGRES_USER:-auth}" --dbname="${POSTGRES_DB:-${POSTGRES_USER:-auth}}"
