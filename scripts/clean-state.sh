#!/usr/bin/env bash
# `make clean-state`: delete the local state of `make run` (.local/: database,
# Redis data, JWT dev key) and the /tmp folder its database may have been put
# in. Stops nothing: stop `make run` first.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"
# shellcheck source=scripts/lib/stores.sh
source "$REPO_ROOT/scripts/lib/stores.sh"

remove_state_dir "$REPO_ROOT/.local"
log_info "removed $REPO_ROOT/.local"
