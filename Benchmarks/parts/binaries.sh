# shellcheck shell=bash
# The binaries `make bench` runs, part of Benchmarks/bench.sh (sourced).
#
#   find_binaries        BIN_DIR: BENCH_BIN_DIR, or `swift build -c release`
#   find_variant_binary  VARIANT_BIN_DIR: BENCH_VARIANT_BIN_DIR, or a build of
#                        the Gateway with `--traits BenchmarkVariants` and of
#                        TokenVerificationBench (a target only with
#                        ENABLE_AUTH_BENCHMARKS set, see Package.swift) in
#                        .build-bench-variant: the flag never reaches .build,
#                        where flipping it would rebuild SwiftProtobuf (36 s)
#
# The variant build, measured on this package (debug configuration, 2 cores):
# `cp -a .build X` then `swift build --scratch-path X` fails at once (clang's
# precompiled modules in X remember .build's absolute path: "was compiled with
# module cache path ..."), and a fresh scratch path rebuilds every dependency
# (7 min for the Gateway product). So the first variant build copies .build
# once and builds with that copy mounted over .build in a private mount
# namespace (root only): the paths match, and only what the trait changes is
# compiled again: Common and Gateway, 71 files, 19 s; no dependency. Later runs
# are incremental in the copy. Without root, or without a release build in
# .build to copy, it builds in .build-bench-variant directly: every dependency
# the first time.
# Sets BUILD_SECONDS and VARIANT_BUILD_SECONDS ("0" when prebuilt).
# shellcheck disable=SC2034 # the globals set here are read by Benchmarks/bench.sh

BUILD_SECONDS=0
VARIANT_BUILD_SECONDS=0

find_binaries() {
    local name t0=$SECONDS
    if [[ -n "${BENCH_BIN_DIR:-}" ]]; then
        BIN_DIR="$(cd "$BENCH_BIN_DIR" && pwd)" || die "BENCH_BIN_DIR=$BENCH_BIN_DIR is not a folder"
        log_info "using the binaries in BENCH_BIN_DIR=$BIN_DIR (no build)"
    else
        ensure_swift
        log_info "building: swift build -c release"
        # Compiler output to stderr with the logs: stdout carries only the report.
        swift build -c release >&2
        BIN_DIR="$(swift build -c release --show-bin-path)"
        BUILD_SECONDS=$((SECONDS - t0))
    fi
    for name in Gateway AuthService ContentService; do
        [[ -x "$BIN_DIR/$name" ]] || die "$BIN_DIR/$name not found"
    done
    release_build_or_warn "$BIN_DIR/Gateway"
}

find_variant_binary() {
    if [[ -n "${BENCH_VARIANT_BIN_DIR:-}" ]]; then
        VARIANT_BIN_DIR="$(cd "$BENCH_VARIANT_BIN_DIR" && pwd)" ||
            die "BENCH_VARIANT_BIN_DIR=$BENCH_VARIANT_BIN_DIR is not a folder"
        log_info "using the variant gateway in BENCH_VARIANT_BIN_DIR=$VARIANT_BIN_DIR (no build)"
    else
        build_variant
    fi
    [[ -x "$VARIANT_BIN_DIR/Gateway" ]] || die "$VARIANT_BIN_DIR/Gateway not found"
    [[ "$VARIANT_BIN_DIR/Gateway" -ef "$BIN_DIR/Gateway" ]] &&
        die "the variant gateway is the production one ($BIN_DIR/Gateway): row 6 would measure nothing"
    [[ -x "$VARIANT_BIN_DIR/TokenVerificationBench" ]] ||
        log_warn "$VARIANT_BIN_DIR/TokenVerificationBench not found: no verification line per key kind"
    release_build_or_warn "$VARIANT_BIN_DIR/Gateway"
}

build_variant() {
    local scratch="$REPO_ROOT/.build-bench-variant" t0=$SECONDS
    local flags=(-c release --traits BenchmarkVariants) product
    ensure_swift
    export ENABLE_AUTH_BENCHMARKS=1
    if [[ "$(id -u)" -eq 0 && -d "$REPO_ROOT/.build/release" ]] && unshare -m --propagation private true 2>/dev/null; then
        if [[ ! -d "$scratch" ]]; then
            log_info "variant build: copying .build to $scratch once (later runs build incrementally there)"
            cp -a --reflink=auto "$REPO_ROOT/.build" "$scratch.tmp" && mv "$scratch.tmp" "$scratch"
        fi
        log_info "variant build: swift build ${flags[*]} with $scratch mounted over .build (private mount namespace)"
        for product in Gateway TokenVerificationBench; do
            # shellcheck disable=SC2016 # expanded by the inner bash
            unshare -m --propagation private bash -c \
                'mount --bind "$1" "$2/.build" && cd "$2" && shift 2 && swift build "$@"' \
                _ "$scratch" "$REPO_ROOT" "${flags[@]}" --product "$product" >&2 ||
                die "the variant build failed (delete $scratch to start it afresh)"
        done
        VARIANT_BIN_DIR="$scratch/release"
    else
        log_info "variant build: swift build ${flags[*]} --scratch-path $scratch (no release build to start from, or not root: builds every dependency the first time)"
        for product in Gateway TokenVerificationBench; do
            swift build "${flags[@]}" --product "$product" --scratch-path "$scratch" >&2 || die "the variant build failed"
        done
        VARIANT_BIN_DIR="$(swift build "${flags[@]}" --scratch-path "$scratch" --show-bin-path)"
    fi
    VARIANT_BUILD_SECONDS=$((SECONDS - t0))
    log_info "variant build took ${VARIANT_BUILD_SECONDS}s"
}

# Warn when BINARY is a debug build (it links the -Onone support library):
# its figures say nothing about a deployment.
release_build_or_warn() {
    if grep -q -m1 -a 'libswiftSwiftOnoneSupport' "$1" 2>/dev/null; then
        log_warn "$1 is a DEBUG build: figures are not comparable"
        fact_later debug_build "$1"
    fi
    return 0
}

# Facts found before STATE_DIR exists, written by flush_early_facts.
EARLY_FACTS=()
fact_later() {
    EARLY_FACTS+=("$1=$2")
}
