# shellcheck shell=bash
# How busy the machine is with work other than the bench's, part of
# Benchmarks/bench.sh (sourced): figures taken while another process (a build,
# say) shares the cores are skewed, and the report says so.
#
#   other_cpu_percent     busy CPU over one second, while the services idle
#   note_own_pids         remember the bench's own pids (services, nginx workers)
#   cpu_ticks, other_cpu_between   the share of CPU others used during a run
# shellcheck disable=SC2154 # globals of Benchmarks/bench.sh

# The pids whose CPU time is the bench's own: the services, nginx and its
# workers. Set by note_own_pids once everything runs.
OWN_PIDS=()


# Percent of all CPU time that was busy over one second while our services
# sit idle: anything else running on the machine (a build, say) skews every
# figure, and the report says so.
other_cpu_percent() {
    local a b
    read -r -a a </proc/stat
    sleep 1
    read -r -a b </proc/stat
    # Fields after "cpu": user nice system idle iowait irq softirq steal ...
    local busy=$(((b[1] + b[2] + b[3] + b[6] + b[7] + b[8]) - (a[1] + a[2] + a[3] + a[6] + a[7] + a[8])))
    local idle=$(((b[4] + b[5]) - (a[4] + a[5])))
    echo $((busy * 100 / (busy + idle > 0 ? busy + idle : 1)))
}

# Set OWN_PIDS: every process started, and nginx's workers.
note_own_pids() {
    local dir line ppid
    OWN_PIDS=()
    for name in "${STARTED[@]}"; do
        OWN_PIDS+=("${PID[$name]}")
    done
    for dir in /proc/[0-9]*; do
        read -r line 2>/dev/null <"$dir/stat" || continue
        line="${line##*) }"
        read -r _ ppid _ <<<"$line"
        [[ "$ppid" == "${PID[nginx]}" ]] && OWN_PIDS+=("${dir#/proc/}")
    done
    return 0
}

# Print "BUSY TOTAL OWN" in clock ticks: the machine's busy and total CPU time
# (/proc/stat) and the CPU time of the bench's own processes (OWN_PIDS, and
# this shell's reaped children: wrk under timeout). Pure bash reads, no fork.
cpu_ticks() {
    local a line f own=0 pid
    read -r -a a </proc/stat
    for pid in "${OWN_PIDS[@]}" "$$"; do
        read -r line 2>/dev/null <"/proc/$pid/stat" || continue
        line="${line##*) }"
        read -r -a f <<<"$line"
        # From the state on: utime is the 12th field, stime the 13th, cutime, cstime the next two.
        if [[ "$pid" == "$$" ]]; then # the main shell, even from $(...)
            own=$((own + f[13] + f[14]))
        else
            own=$((own + f[11] + f[12]))
        fi
    done
    # Busy: user, nice, system and steal (another VM). Interrupt time is left
    # out: the bench's own loopback traffic causes most of it, and no process
    # is charged with it.
    printf '%s %s %s\n' $((a[1] + a[2] + a[3] + a[8])) \
        $((a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7] + a[8])) "$own"
}

# The CPU time (clock ticks, all threads) used so far by the process NAME (a
# PID key) and its child processes: one service, or nginx's master and workers.
process_ticks() {
    local pid="${PID[$1]}" dir line f total=0
    for dir in /proc/[0-9]*; do
        read -r line 2>/dev/null <"$dir/stat" || continue
        line="${line##*) }"
        read -r -a f <<<"$line"
        if [[ "${dir#/proc/}" == "$pid" || "${f[1]}" == "$pid" ]]; then
            total=$((total + f[11] + f[12]))
        fi
    done
    echo "$total"
}

# other_cpu_between "BUSY TOTAL OWN" "BUSY TOTAL OWN": percent of the machine's
# CPU that processes other than the bench's used in between.
other_cpu_between() {
    local b0 t0 o0 b1 t1 o1
    read -r b0 t0 o0 <<<"$1"
    read -r b1 t1 o1 <<<"$2"
    local other=$(((b1 - b0) - (o1 - o0)))
    ((other > 0)) || other=0
    echo $((other * 100 / (t1 - t0 > 0 ? t1 - t0 : 1)))
}
