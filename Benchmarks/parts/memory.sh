# shellcheck shell=bash
# Memory of the services, part of Benchmarks/bench.sh (sourced).
#
#   start_rss_sampler   VmRSS of every service every 0.5 s, into rss-samples
#   record_hwm PREFIX   the peak so far (VmHWM) of every service, as facts
#   record_rss          stop the sampler; the final peaks and the largest sample
# shellcheck disable=SC2154 # globals of Benchmarks/bench.sh

# Sample VmRSS of every service every 0.5 s into rss-samples (name kB).
# Pure bash reads of /proc: no forks stealing CPU from the load.
start_rss_sampler() {
    local names=()
    mapfile -t names < <(services)
    (
        trap 'exit 0' TERM
        while :; do
            for name in "${names[@]}"; do
                while read -r key value _; do
                    [[ "$key" == VmRSS: ]] && printf '%s %s\n' "$name" "$value"
                done 2>/dev/null <"/proc/${PID[$name]}/status" || true
            done
            sleep 0.5
        done
    ) >"$STATE_DIR/rss-samples" &
    SAMPLER_PID=$!
}

# Peak RSS so far (VmHWM, the kernel's high-water mark since start) of every
# service, as fact PREFIX.NAME.
record_hwm() {
    local prefix="$1" name
    for name in $(services); do
        fact "$prefix.$name" "$(awk '/^VmHWM:/ {print $2}' "/proc/${PID[$name]}/status")"
    done
}

# Stop the sampler; record the final peaks and the largest sample.
record_rss() {
    local name
    stop_pid "$SAMPLER_PID" 2
    SAMPLER_PID=""
    record_hwm rss_hwm_kib
    for name in $(services); do
        fact "rss_sampled_kib.$name" "$(awk -v n="$name" '$1 == n && $2 > m {m = $2} END {print m + 0}' "$STATE_DIR/rss-samples")"
    done
}
