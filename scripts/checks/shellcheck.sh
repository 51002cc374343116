#!/usr/bin/env bash
# Check: every shell script in scripts/, Benchmarks/ and .ci/ passes `shellcheck -x` (all
# severities, sourced files followed). A shell script is a *.sh file or a file
# whose first line names sh or bash. Installs Debian's shellcheck when missing.
# Exits non-zero on any finding.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"
cd "$REPO_ROOT"

command -v shellcheck >/dev/null 2>&1 || ensure_packages shellcheck

scripts=()
while IFS= read -r -d '' file; do
    if [[ "$file" == *.sh ]] || head -n 1 "$file" | grep -qE '^#!.*\b(ba)?sh\b'; then
        scripts+=("$file")
    fi
done < <(find scripts Benchmarks .ci -type f -print0 | sort -z)
((${#scripts[@]} > 0)) || die "no shell scripts found under scripts/, Benchmarks/ and .ci/"

# -x follows `source` lines; paths in `# shellcheck source=` are relative to the repository root.
shellcheck -x --source-path=SCRIPTDIR --source-path="$REPO_ROOT" "${scripts[@]}"
echo "shellcheck.sh: ${#scripts[@]} scripts clean ($(shellcheck --version | sed -n 's/^version: //p'))"
