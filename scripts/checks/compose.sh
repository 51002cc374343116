#!/usr/bin/env bash
# Offline check: compose/compose.yaml and the files added to it (ha.yaml,
# observability.yaml) are valid against the Compose Specification (the schema
# vendored in check-jsonschema) and pass yamllint.
# Installs its tools from PyPI when missing. Exits non-zero on a finding.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO_ROOT"

# Install a PyPI tool when its command is missing: pip_tool COMMAND REQUIREMENT.
pip_tool() {
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "compose.sh: installing $2 from PyPI" >&2
    python3 -m pip install --quiet --disable-pip-version-check "$2"
    hash -r
    command -v "$1" >/dev/null 2>&1 || { echo "compose.sh: $1 not on PATH after installing $2" >&2; exit 1; }
}

pip_tool check-jsonschema 'check-jsonschema==0.39.0'
pip_tool yamllint 'yamllint==1.38.0'

files=(compose/compose.yaml compose/ha.yaml compose/observability.yaml)
check-jsonschema --builtin-schema vendor.compose-spec "${files[@]}"
yamllint --strict -c deploy/.yamllint "${files[@]}"
echo "compose.sh: ${files[*]} OK"
