#!/usr/bin/env python3
"""Render bench.sh's results as the report: settings, the rows, the other
figures and the targets of issue 9.

    report.py RUNS_TSV FACTS_FILE

RUNS_TSV: one line per wrk run, tab-separated:
    target  concurrency  round  req_per_s  p50_ms  p99_ms  requests  non2xx  socket_errors  cpu_ticks  ok|FAILED
(cpu_ticks: the CPU time of the row's proxy during the run, in clock ticks).
Each row shows the median of its rounds; each ratio is the median of the
ratios of the rounds, both sides of a ratio coming from the same round.
FACTS_FILE: KEY=VALUE lines written by bench.sh (start-up times, RSS, signin,
refresh, verification per key kind, propagation, log line counts, settings).
Missing facts print as "n/a"; a target whose inputs are missing or FAILED
prints "n/a" rather than PASS or MISS.

The targets are informational: this prints PASS / MISS but always exits 0.
"""

from __future__ import annotations

import math
import statistics
import sys
from dataclasses import dataclass

# The rows, in report order: (target, number, label, the nginx row it is compared with).
ROWS = [
    ("direct", 1, "content service directly", "nginx-nolog"),
    ("nginx-log", 2, "nginx -> content, access log on", "nginx-log"),
    ("nginx-nolog", 3, "nginx -> content, access log off", "nginx-nolog"),
    ("gw-default", 4, "gateway -> content, defaults", "nginx-log"),
    ("gw-nolog", 5, "gateway, LOG_LEVEL=warning", "nginx-nolog"),
    ("gw-norevoke", 6, "gateway variant, no log, no revocation", "nginx-nolog"),
    ("stack", 7, "whole stack at defaults", "nginx-log"),
    ("haproxy", 8, "HAProxy -> content, no log", "nginx-nolog"),
    ("gw-traced", 9, "gateway, defaults, traces at 10 %", "nginx-log"),
]
ROW_ORDER = {target: i for i, (target, *_rest) in enumerate(ROWS)}

# The targets of issues 9, 20 and 26.
VS_NGINX_LOGGING_MIN = 0.73  # row 4 / row 2: no lower than before issue 20's rewrite
VS_NGINX_LOGGING_AIM = 0.9  # row 4 / row 2: issue 20's aim
VS_NGINX_QUIET_MIN = 0.73  # row 5 / row 3
ADDED_P99_MAX_MS = 5.0  # row 4 p99 - row 1 p99, at c=32
REVOCATION_MAX_COST = 0.05  # 1 - row 5 / row 6
LOGGING_MAX_COST = 0.10  # 1 - row 4 / row 5
TRACING_MAX_COST = 0.05  # 1 - row 9 / row 4 (issue 26)
GATEWAY_RSS_MAX_MIB = 64.0  # during the GET load
PROPAGATION_MAX_MS = 100.0  # every other replica refuses within this
READY_MAX_MS = 1000.0

GATEWAYS = ("gw-default", "gw-nolog", "gw-norevoke", "gw-stack", "gw-traced")
SERVICES = ("auth", "content-quiet", "content-info") + GATEWAYS


@dataclass
class Run:
    """One wrk run of one row at one concurrency."""

    target: str
    conc: int
    round: int
    rps: float
    p50: float
    p99: float
    requests: int
    non2xx: int
    sockerr: int
    cpu_ticks: int
    status: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def median(values: list[float]) -> float:
    known = [v for v in values if not math.isnan(v)]
    return statistics.median(known) if known else math.nan


@dataclass
class Row:
    """One row at one concurrency: its runs, one per round."""

    target: str
    conc: int
    runs: list[Run]

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.ok for r in self.runs)

    @property
    def rps(self) -> float:
        return median([r.rps for r in self.runs])

    @property
    def p50(self) -> float:
        return median([r.p50 for r in self.runs])

    @property
    def p99(self) -> float:
        return median([r.p99 for r in self.runs])

    def cpu_us(self, ticks_per_s: float) -> float:
        """The proxy's CPU microseconds per request, the median of the rounds."""
        return median([r.cpu_ticks * 1e6 / ticks_per_s / r.requests if r.requests else math.nan for r in self.runs])

    def by_round(self) -> dict[int, Run]:
        return {r.round: r for r in self.runs}


def num(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def fmt(value: float, spec: str = ".0f", suffix: str = "") -> str:
    return "n/a" if math.isnan(value) else f"{value:{spec}}{suffix}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def load(runs_path: str, facts_path: str) -> tuple[list[Run], dict[str, str]]:
    runs = []
    with open(runs_path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 11:
                continue
            target, conc, round_, rps, p50, p99, requests, non2xx, sockerr, ticks, status = parts
            runs.append(Run(target, int(conc), int(round_), num(rps), num(p50), num(p99), int(requests), int(non2xx),
                            int(sockerr), int(ticks), status))
    facts: dict[str, str] = {}
    with open(facts_path, encoding="utf-8") as f:
        for line in f:
            key, sep, value = line.rstrip("\n").partition("=")
            if sep:
                facts[key] = value
    return runs, facts


class Report:
    """Collects the report's lines."""

    def __init__(self, runs: list[Run], facts: dict[str, str]) -> None:
        self.runs, self.facts, self.lines = runs, facts, []

    def p(self, line: str = "") -> None:
        self.lines.append(line)

    def run(self, target: str, conc: int) -> Row | None:
        runs = [r for r in self.runs if r.target == target and r.conc == conc]
        return Row(target, conc, runs) if runs else None

    @staticmethod
    def per_round(a: Row, b: Row, combine) -> list[float]:
        """`combine(run of a, run of b)` for every round both rows ran in."""
        mine, theirs = a.by_round(), b.by_round()
        return [combine(mine[n], theirs[n]) for n in sorted(mine) if n in theirs]

    @staticmethod
    def rounds_text(values: list[float], spec: str) -> str:
        return "" if len(values) < 2 else " (rounds " + " ".join(f"{v:{spec}}" for v in values) + ")"

    def ticks_per_s(self) -> float:
        return num(self.facts.get("clock_ticks_per_s", "100"))

    def concurrencies(self) -> list[int]:
        return sorted({r.conc for r in self.runs})

    def mib(self, key: str) -> float:
        return num(self.facts.get(key)) / 1024

    # ---------------------------------------------------------- sections ---

    def settings(self) -> None:
        f = self.facts
        self.p("== settings")
        self.p(f"  {f.get('rounds', '?')} rounds of every row, {f.get('duration', 'n/a')} per run (after a {f.get('warmup', 'n/a')} warm-up), "
               f"wrk -t{f.get('threads', '?')}, nginx worker_processes {f.get('nginx_workers', '?')}, "
               f"{f.get('cpus', '?')} CPUs, GET /api/test/user with one user's token")
        self.p(f"  binaries {f.get('bin_dir', '?')}, variant gateway {f.get('variant_bin_dir', '?')}")
        if f.get("debug_build"):
            self.p(f"  WARNING: debug build(s) ({f['debug_build']}): figures say nothing about a release")
        if f.get("gateway_env"):
            self.p(f"  every gateway started with extra settings: {f['gateway_env']}")
        other = num(f.get("other_cpu_pct"))
        note = "  (the machine is not idle: figures are skewed low)" if other >= 10 else ""
        self.p(f"  CPU busy with other work just before the runs: {fmt(other)}%{note}")
        self.p("")

    def throughput(self) -> None:
        self.p("== GET /api/test/user (vs nginx: rows that log per request against row 2, the others against row 3)")
        header = (f"  {'#':>1} {'row':<40} {'c':>3} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'vs nginx':>8} "
                  f"{'CPU us':>6} {'other':>5}  result")
        self.p(header)
        self.p("  " + "-" * (len(header) - 2))
        meta = {target: (number, label, ref) for target, number, label, ref in ROWS}
        keys = sorted({(r.conc, r.target) for r in self.runs}, key=lambda k: (k[0], ROW_ORDER.get(k[1], 99)))
        for conc, target in keys:
            row = self.run(target, conc)
            number, label, ref = meta.get(target, (0, target, ""))
            base = self.run(ref, conc)
            ratio = (median(self.per_round(row, base, lambda a, b: a.rps / b.rps if b.rps else math.nan))
                     if row.ok and base and base.ok else math.nan)
            failed = [r for r in row.runs if not r.ok]
            result = "ok" if not failed else "FAILED (" + ", ".join(
                f"round {r.round}: {r.non2xx} non-2xx, {r.sockerr} socket errors" for r in failed) + ")"
            other = max(num(self.facts.get(f"other_cpu_pct.{target}.{conc}.{r.round}")) for r in row.runs)
            self.p(f"  {number:>1} {label:<40} {conc:>3} {fmt(row.rps):>8} {fmt(row.p50, '.2f'):>7} "
                   f"{fmt(row.p99, '.2f'):>7} {fmt(ratio, '.2f', 'x'):>8} {fmt(row.cpu_us(self.ticks_per_s()), '.1f'):>6} "
                   f"{fmt(other, '.0f', '%'):>5}  {result}")
        noisy = [k for k, v in self.facts.items() if k.startswith("other_cpu_pct.") and num(v) >= 5]
        self.p("  the median of the rounds; vs nginx: the median of the rounds' ratios; CPU us: the CPU time of the "
               "row's proxy (row 1: the content service) per request")
        self.p("  other: the most CPU that processes other than the bench's used during one of the row's runs"
               + (f" ({len(noisy)} run(s) at 5% or more: compare those with care)" if noisy else ""))
        lines = " ".join(f"{name} {self.facts.get('log_lines.' + name, 'n/a')}"
                         for name in ("nginx-log", "gw-default", "gw-stack", "content-info", "gw-nolog",
                                      "gw-norevoke", "content-quiet"))
        self.p(f"  request lines logged for the path: {lines}")
        f = self.facts
        self.p(f"  revocation switch checked before the loads: row 5's production build ignores "
               f"BENCH_SKIP_REVOCATION_CHECK=1: {f.get('switch.production_ignores', 'n/a')}; "
               f"row 6's variant skips the check: {f.get('switch.variant_skips', 'n/a')}")
        self.p("")

    def verification(self) -> None:
        f = self.facts
        self.p("== access-token verification per key kind (TokenVerificationBench: signature and claims, no cache, one core)")
        kinds = f.get("verify.kinds", "").split()
        if not kinds:
            self.p(f"  {f.get('verify.status', 'not run')}")
        for kind in kinds:
            default = "   <- the default: make run generates a P-256 key" if kind == "ES256" else ""
            self.p(f"  {kind:<6} {fmt(num(f.get(f'verify.{kind}.per_s'))):>7} verifications/s  "
                   f"{fmt(num(f.get(f'verify.{kind}.us')), '.1f'):>6} us each{default}")
        self.p("")

    def auth(self) -> None:
        f = self.facts
        self.p("== auth endpoints (through the default gateway)")
        self.p(f"  signin   c={f.get('signin.conc', '?')} for {f.get('signin.duration', '?')}: "
               f"{fmt(num(f.get('signin.rps')), '.1f')} signins/s, p50 {fmt(num(f.get('signin.p50')), '.1f')} ms, "
               f"p99 {fmt(num(f.get('signin.p99')), '.1f')} ms, {f.get('signin.requests', '?')} requests, "
               f"{f.get('signin.status', 'n/a')}")
        if "refresh.per_s" in f:
            self.p(f"  refresh  sequential (c=1) for {f.get('refresh.seconds', '?')} s: "
                   f"{fmt(num(f.get('refresh.per_s')), '.1f')} refreshes/s, p50 {fmt(num(f.get('refresh.p50')), '.2f')} ms, "
                   f"p99 {fmt(num(f.get('refresh.p99')), '.2f')} ms, {f.get('refresh.count', '?')} refreshes, all 200")
        else:
            self.p(f"  refresh  {f.get('refresh.status', 'not run')}")
        self.p("")

    def propagation(self) -> None:
        f = self.facts
        self.p("== revocation propagation (signout through gateway A = row 4's, polled on replica B = row 7's)")
        if "prop.sessions" not in f:
            self.p(f"  {f.get('prop.status', 'not run')}")
        else:
            self.p(f"  {f['prop.sessions']} sessions; from A's signout answer to B's first 401: "
                   f"p50 {f.get('prop.p50_ms')} ms, p99 {f.get('prop.p99_ms')} ms, max {f.get('prop.max_ms')} ms; "
                   f"B still let through after {f.get('prop.poll_limit_ms')} ms: {f.get('prop.b_never')}; "
                   f"B's answers before its first 401, median: {f.get('prop.b_polls_p50')}")
            self.p(f"  A's very next request after its signout answer: {f.get('prop.a_refused_next')} refused (401), "
                   f"{f.get('prop.a_allowed_next')} let through")
        self.p("")

    def startup_and_memory(self) -> None:
        self.p("== start-up (exec -> /health/live; /health/ready in brackets) and memory (peak RSS = VmHWM)")
        self.p("   memory in brackets: peak once ready, peak after the GET rows (before signin), largest 0.5 s sample")
        for svc in SERVICES:
            live, ready = num(self.facts.get(f"live_ms.{svc}")), num(self.facts.get(f"ready_ms.{svc}"))
            self.p(f"  {svc:<14} live in {fmt(live):>4} ms [{fmt(ready):>4}]   peak {fmt(self.mib(f'rss_hwm_kib.{svc}'), '.1f'):>5} MiB "
                   f"[ready {fmt(self.mib(f'rss_hwm_start_kib.{svc}'), '.1f')}, GET {fmt(self.mib(f'rss_hwm_get_kib.{svc}'), '.1f')}, "
                   f"sampled {fmt(self.mib(f'rss_sampled_kib.{svc}'), '.1f')}]")
        self.p("")

    # ----------------------------------------------------------- targets ---

    def ratio_target(self, num_target: str, den_target: str, conc: int, minimum: float, what: str) -> None:
        a, b = self.run(num_target, conc), self.run(den_target, conc)
        if not (a and b and a.ok and b.ok):
            self.p(f"  n/a   {what} at c={conc}: a run is missing or FAILED")
            return
        ratios = self.per_round(a, b, lambda x, y: x.rps / y.rps)
        ratio = median(ratios)
        self.p(f"  {verdict(ratio >= minimum)}  {what} at c={conc}: {ratio:.2f}x{self.rounds_text(ratios, '.2f')} "
               f"({a.rps:.0f} vs {b.rps:.0f} req/s)")

    def cost_target(self, with_target: str, without_target: str, conc: int, maximum: float, what: str) -> None:
        a, b = self.run(with_target, conc), self.run(without_target, conc)
        if not (a and b and a.ok and b.ok):
            self.p(f"  n/a   {what} <= {maximum:.0%} at c={conc}: a run is missing or FAILED")
            return
        costs = self.per_round(a, b, lambda x, y: 1 - x.rps / y.rps)
        cost = median(costs)
        spelled = "" if len(costs) < 2 else " (rounds " + " ".join(f"{c:.1%}" for c in costs) + ")"
        self.p(f"  {verdict(cost <= maximum)}  {what} <= {maximum:.0%} at c={conc}: {cost:.1%}{spelled} "
               f"({a.rps:.0f} with vs {b.rps:.0f} without)")

    def targets(self) -> None:
        f = self.facts
        self.p("== targets (issues 9, 20 and 26; informational)")
        for conc in self.concurrencies():
            self.ratio_target("gw-default", "nginx-log", conc, VS_NGINX_LOGGING_MIN,
                              f"row 4 / row 2 (gateway / nginx, logging on) >= {VS_NGINX_LOGGING_MIN}x")
        for conc in self.concurrencies():
            self.ratio_target("gw-default", "nginx-log", conc, VS_NGINX_LOGGING_AIM,
                              f"row 4 / row 2 (gateway / nginx, logging on) >= {VS_NGINX_LOGGING_AIM}x (the aim)")
        for conc in self.concurrencies():
            self.ratio_target("gw-nolog", "nginx-nolog", conc, VS_NGINX_QUIET_MIN,
                              f"row 5 / row 3 (gateway / nginx, logging off) >= {VS_NGINX_QUIET_MIN}x")
        for conc in self.concurrencies():
            self.ratio_target("gw-nolog", "haproxy", conc, VS_NGINX_QUIET_MIN,
                              f"row 5 / row 8 (gateway / HAProxy, logging off) >= {VS_NGINX_QUIET_MIN}x")
        gw, direct = self.run("gw-default", 32), self.run("direct", 32)
        if gw and direct and gw.ok and direct.ok:
            added_per_round = self.per_round(gw, direct, lambda x, y: x.p99 - y.p99)
            added = median(added_per_round)
            self.p(f"  {verdict(added <= ADDED_P99_MAX_MS)}  p99 added by the gateway (row 4 - row 1) <= "
                   f"{ADDED_P99_MAX_MS:.0f} ms at c=32: {added:.2f} ms{self.rounds_text(added_per_round, '.2f')} "
                   f"({gw.p99:.2f} - {direct.p99:.2f})")
            nginx = self.run("nginx-log", 32)
            if nginx and nginx.ok:
                by_nginx = self.per_round(nginx, direct, lambda x, y: x.p99 - y.p99)
                self.p(f"        for comparison, p99 added by nginx (row 2 - row 1) at c=32: {median(by_nginx):.2f} ms"
                       f"{self.rounds_text(by_nginx, '.2f')}")
        else:
            self.p(f"  n/a   p99 added by the gateway (row 4 - row 1) <= {ADDED_P99_MAX_MS:.0f} ms at c=32: "
                   "a run is missing or FAILED")
        variant_ok = f.get("switch.variant_skips") == "yes"
        for conc in self.concurrencies():
            if variant_ok:
                self.cost_target("gw-nolog", "gw-norevoke", conc, REVOCATION_MAX_COST,
                                 "revocation check cost (1 - row 5 / row 6)")
            else:
                self.p(f"  n/a   revocation check cost (1 - row 5 / row 6) at c={conc}: row 6's binary does not "
                       "skip the check (not a BenchmarkVariants build)")
        for conc in self.concurrencies():
            self.cost_target("gw-default", "gw-nolog", conc, LOGGING_MAX_COST,
                             "request logging cost (1 - row 4 / row 5)")
        for conc in self.concurrencies():
            self.cost_target("gw-traced", "gw-default", conc, TRACING_MAX_COST,
                             "tracing cost at a 10 % sample (1 - row 9 / row 4)")
        peaks = {g: self.mib(f"rss_hwm_get_kib.{g}") for g in GATEWAYS}
        known = {g: v for g, v in peaks.items() if not math.isnan(v)}
        if known:
            worst = max(known, key=known.__getitem__)
            self.p(f"  {verdict(known[worst] <= GATEWAY_RSS_MAX_MIB)}  gateway peak RSS during the GET load <= "
                   f"{GATEWAY_RSS_MAX_MIB:.0f} MiB: {known[worst]:.1f} MiB (highest: {worst}; "
                   + ", ".join(f"{g} {v:.1f}" for g, v in known.items()) + ")")
        else:
            self.p(f"  n/a   gateway peak RSS during the GET load <= {GATEWAY_RSS_MAX_MIB:.0f} MiB: not recorded")
        if "prop.sessions" in f:
            max_ms, never = num(f.get("prop.max_ms")), int(f.get("prop.b_never", "0"))
            ok = never == 0 and not math.isnan(max_ms) and max_ms <= PROPAGATION_MAX_MS
            self.p(f"  {verdict(ok)}  the other replica refuses a signed-out token within {PROPAGATION_MAX_MS:.0f} ms, "
                   f"every session: max {f.get('prop.max_ms')} ms, p99 {f.get('prop.p99_ms')} ms"
                   + (f", {never} never within {f.get('prop.poll_limit_ms')} ms" if never else ""))
            allowed = int(f.get("prop.a_allowed_next", "0"))
            self.p(f"  {verdict(allowed == 0)}  the gateway that carried a signout refuses the token on the very next "
                   f"request: {f.get('prop.a_refused_next')} of {f['prop.sessions']}")
        else:
            self.p("  n/a   propagation: not measured")
        for svc in SERVICES:
            live = num(f.get(f"live_ms.{svc}"))
            if not math.isnan(live) and live > READY_MAX_MS:
                self.p(f"  MISS  {svc} live within {READY_MAX_MS / 1000:.0f} s: {live:.0f} ms")

    def render(self) -> str:
        self.settings()
        self.throughput()
        self.verification()
        self.auth()
        self.propagation()
        self.startup_and_memory()
        self.targets()
        return "\n".join(self.lines)


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    runs, facts = load(sys.argv[1], sys.argv[2])
    print(Report(runs, facts).render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
