#!/usr/bin/env bash
# `make clean-state`: delete the local state of `make run` (.local/: database,
# Redis data, JWT dev key) and the /tmp folder its database may have been put
# in (Tests/system/support/kept.py). Stops nothing: stop `make run` first.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"

STATE="$REPO_ROOT/.local"
if [[ -f "$STATE/postgres.path" ]]; then
    base="$(<"$STATE/postgres.path")"
    if [[ "$base" == /tmp/authstack.* && -d "$base" && ! -L "$base" ]]; then
        as_root rm -rf -- "$base"
    fi
fi
as_root rm -rf -- "$STATE"
log_info "removed $STATE"
