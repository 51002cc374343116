#!/usr/bin/env python3
"""Render bench.sh's results as the report table and the target check.

    report.py RUNS_TSV FACTS_FILE

RUNS_TSV: one line per wrk run, tab-separated:
    target  concurrency  req_per_s  p50_ms  p99_ms  requests  non2xx  socket_errors  ok|FAILED
FACTS_FILE: KEY=VALUE lines written by bench.sh (start-up times, RSS, signin,
refresh, settings). Missing facts print as "n/a".

The targets are informational: this prints PASS / MISS but always exits 0.
"""

import math
import sys

SERVICES = ("AuthService", "ContentService", "Gateway")
TARGET_ORDER = {"direct": 0, "nginx": 1, "gateway": 2, "gateway-norevoke": 3}
TARGET_LABEL = {
    "direct": "direct -> content",
    "nginx": "nginx -> content",
    "gateway": "gateway -> content",
    "gateway-norevoke": "gw, no revoc. check",
}

# The targets from the issue.
GATEWAY_VS_NGINX_MIN = 0.5  # at c=32
GATEWAY_MIN_RPS = 5000.0  # 5x the tutorial's ~1000 req/s
REVOCATION_MAX_COST = 0.15  # the Redis check may cost at most 15% of throughput
RSS_MAX_MIB = 64.0
READY_MAX_MS = 1000.0
SIGNIN_MIN_PER_S = 54.0


def num(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def fmt(value: float, spec: str = ".0f", suffix: str = "") -> str:
    return "n/a" if math.isnan(value) else f"{value:{spec}}{suffix}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def load(runs_path: str, facts_path: str):
    runs = []
    with open(runs_path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 9:
                continue
            target, conc, rps, p50, p99, requests, non2xx, sockerr, status = parts
            runs.append({
                "target": target, "conc": int(conc), "rps": num(rps), "p50": num(p50), "p99": num(p99),
                "requests": int(requests), "non2xx": int(non2xx), "sockerr": int(sockerr), "status": status,
            })
    facts = {}
    with open(facts_path, encoding="utf-8") as f:
        for line in f:
            key, sep, value = line.rstrip("\n").partition("=")
            if sep:
                facts[key] = value
    return runs, facts


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    runs, facts = load(sys.argv[1], sys.argv[2])
    out = []
    p = out.append

    p("== settings")
    p(f"  duration {facts.get('duration', 'n/a')} per run (after a {facts.get('warmup', 'n/a')} warm-up), "
      f"wrk -t{facts.get('threads', '?')}, nginx worker_processes {facts.get('nginx_workers', '?')}, "
      f"{facts.get('cpus', '?')} CPUs, path GET /api/test/user with one user's token")
    if facts.get("gateway_env"):
        p(f"  gateway started with extra settings: {facts['gateway_env']}")
    other = num(facts.get("other_cpu_pct"))
    note = "  (the machine is not idle: figures are skewed low)" if other >= 10 else ""
    p(f"  CPU busy with other work just before the runs: {fmt(other)}%{note}")
    p("")

    p("== start-up (exec -> /health/live answering; /health/ready in brackets)")
    for svc in SERVICES:
        live, ready = num(facts.get(f"live_ms.{svc}")), num(facts.get(f"ready_ms.{svc}"))
        p(f"  {svc:<15} ready in {fmt(live)} ms  [/health/ready after {fmt(ready)} ms]")
    p("")

    p("== throughput, GET /api/test/user")
    nginx_rps = {r["conc"]: r["rps"] for r in runs if r["target"] == "nginx" and r["status"] == "ok"}
    header = f"  {'target':<20} {'conc':>5} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'vs nginx':>9}  result"
    p(header)
    p("  " + "-" * (len(header) - 2))
    for r in sorted(runs, key=lambda r: (r["conc"], TARGET_ORDER.get(r["target"], 9))):
        base = nginx_rps.get(r["conc"], math.nan)
        ratio = r["rps"] / base if r["status"] == "ok" and base and not math.isnan(base) else math.nan
        result = "ok" if r["status"] == "ok" else f"FAILED ({r['non2xx']} non-2xx, {r['sockerr']} socket errors)"
        p(f"  {TARGET_LABEL.get(r['target'], r['target']):<20} {r['conc']:>5} {fmt(r['rps']):>10} "
          f"{fmt(r['p50'], '.2f'):>8} {fmt(r['p99'], '.2f'):>8} {fmt(ratio, '.2f', 'x'):>9}  {result}")
    p("")

    p("== auth endpoints (through the gateway)")
    p(f"  signin   c={facts.get('signin.conc', '?')} for {facts.get('signin.duration', '?')}: "
      f"{fmt(num(facts.get('signin.rps')), '.1f')} signins/s, p50 {fmt(num(facts.get('signin.p50')), '.1f')} ms, "
      f"p99 {fmt(num(facts.get('signin.p99')), '.1f')} ms, {facts.get('signin.requests', '?')} requests, "
      f"{facts.get('signin.status', 'n/a')}")
    if "refresh.per_s" in facts:
        p(f"  refresh  sequential (c=1) for {facts.get('refresh.seconds', '?')} s: "
          f"{fmt(num(facts.get('refresh.per_s')), '.1f')} refreshes/s, p50 {fmt(num(facts.get('refresh.p50')), '.2f')} ms, "
          f"p99 {fmt(num(facts.get('refresh.p99')), '.2f')} ms, {facts.get('refresh.count', '?')} refreshes, all 200")
    else:
        p(f"  refresh  {facts.get('refresh.status', 'not run')}")
    p("")

    p("== memory (peak RSS = VmHWM at the end, i.e. since start; in brackets the peak once ready,")
    p("   before the signin/refresh runs, and the largest RSS sampled every 0.5 s during all runs)")
    for svc in SERVICES:
        hwm = num(facts.get(f"rss_hwm_kib.{svc}")) / 1024
        start = num(facts.get(f"rss_hwm_start_kib.{svc}")) / 1024
        get = num(facts.get(f"rss_hwm_get_kib.{svc}")) / 1024
        sampled = num(facts.get(f"rss_sampled_kib.{svc}")) / 1024
        p(f"  {svc:<15} peak {fmt(hwm, '.1f'):>5} MiB  [ready {fmt(start, '.1f')}, before signin {fmt(get, '.1f')}, "
          f"sampled max {fmt(sampled, '.1f')} MiB]")
    p("")

    # ------------------------------------------------------------ targets ---
    p("== targets (informational)")
    gw32 = next((r for r in runs if r["target"] == "gateway" and r["conc"] == 32), None)
    ng32 = next((r for r in runs if r["target"] == "nginx" and r["conc"] == 32), None)
    if gw32 is None or ng32 is None:
        p("  n/a   gateway >= 0.5x nginx req/s at c=32: c=32 was not run")
    elif gw32["status"] != "ok" or ng32["status"] != "ok":
        p("  MISS  gateway >= 0.5x nginx req/s at c=32: a run FAILED")
    else:
        ratio = gw32["rps"] / ng32["rps"]
        p(f"  {verdict(ratio >= GATEWAY_VS_NGINX_MIN)}  gateway >= {GATEWAY_VS_NGINX_MIN}x nginx req/s at c=32: "
          f"{ratio:.2f}x ({gw32['rps']:.0f} vs {ng32['rps']:.0f})")

    gw = [r for r in runs if r["target"] == "gateway"]
    if not gw:
        p(f"  n/a   gateway >= {GATEWAY_MIN_RPS:.0f} req/s: no gateway run")
    else:
        failed = [r for r in gw if r["status"] != "ok"]
        worst = min(gw, key=lambda r: r["rps"] if not math.isnan(r["rps"]) else -1)
        ok = not failed and worst["rps"] >= GATEWAY_MIN_RPS
        p(f"  {verdict(ok)}  gateway >= {GATEWAY_MIN_RPS:.0f} req/s at every concurrency: lowest "
          f"{fmt(worst['rps'])} at c={worst['conc']}" + (" (a run FAILED)" if failed else ""))

    for conc in sorted({r["conc"] for r in runs if r["target"] == "gateway"}):
        with_check = next((r for r in runs if r["target"] == "gateway" and r["conc"] == conc), None)
        without = next((r for r in runs if r["target"] == "gateway-norevoke" and r["conc"] == conc), None)
        if with_check is None or without is None or with_check["status"] != "ok" or without["status"] != "ok":
            p(f"  n/a   revocation check costs <= {REVOCATION_MAX_COST:.0%} at c={conc}: a run is missing or FAILED")
            continue
        cost = 1 - with_check["rps"] / without["rps"]
        p(f"  {verdict(cost <= REVOCATION_MAX_COST)}  revocation check costs <= {REVOCATION_MAX_COST:.0%} at c={conc}: "
          f"{cost:.0%} ({with_check['rps']:.0f} with vs {without['rps']:.0f} without)")

    for svc in SERVICES:
        hwm = num(facts.get(f"rss_hwm_kib.{svc}")) / 1024
        p(f"  {verdict(not math.isnan(hwm) and hwm <= RSS_MAX_MIB)}  {svc} peak RSS <= {RSS_MAX_MIB:.0f} MiB: "
          f"{fmt(hwm, '.1f')} MiB")
    for svc in SERVICES:
        live = num(facts.get(f"live_ms.{svc}"))
        p(f"  {verdict(not math.isnan(live) and live <= READY_MAX_MS)}  {svc} ready within 1 s: {fmt(live)} ms")
    signin = num(facts.get("signin.rps"))
    signin_ok = facts.get("signin.status") == "all 200" and not math.isnan(signin) and signin >= SIGNIN_MIN_PER_S
    p(f"  {verdict(signin_ok)}  signin >= {SIGNIN_MIN_PER_S:.0f}/s: {fmt(signin, '.1f')}/s"
      + ("" if facts.get("signin.status") == "all 200" else f" ({facts.get('signin.status', 'not run')})"))

    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
