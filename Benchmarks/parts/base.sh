# shellcheck shell=bash
# What every benchmark entry point sources first (bench.sh, bench-scale.sh,
# parts/mail.sh alone): the shared shell of scripts/lib (logs, packages,
# keys, the harness's launcher) and the parts that find the binaries and start the stores and services.
# Needs REPO_ROOT and BENCH_DIR.
# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"
# shellcheck source=scripts/lib/keys.sh
source "$REPO_ROOT/scripts/lib/keys.sh"
# shellcheck source=scripts/lib/launcher.sh
source "$REPO_ROOT/scripts/lib/launcher.sh"
# shellcheck source=Benchmarks/parts/helpers.sh
source "$BENCH_DIR/helpers.sh"
# shellcheck source=Benchmarks/parts/binaries.sh
source "$BENCH_DIR/binaries.sh"
# shellcheck source=Benchmarks/parts/stack.sh
source "$BENCH_DIR/stack.sh"
