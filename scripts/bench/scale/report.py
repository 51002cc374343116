#!/usr/bin/env python3
"""The report of bench-scale.sh, from its runs and facts files.

    report.py RUNS FACTS

RUNS has one line per measured run: STEP SIDE ROUND ROW RPS P50_MS P99_MS REQUESTS STATUS, where STEP
is the size the scale stack was loaded to ("1000000u-5000000e-100000s") and SIDE is "scale" or
"empty" (the stack beside it with the empty stores, measured right before or after it). FACTS has
KEY=VALUE lines. Prints the table of rows by size, each figure the median of its rounds with, in
brackets, the median of the rounds' ratios to the empty stack; then the stores' sizes, the session
footprint, the purge, and the targets of issue 22 as PASS / MISS.
"""

import math
import statistics
import sys
from collections import defaultdict

ROWS = [
    ("users_first", "GET /api/admin/users?limit=20"),
    ("users_after", "  ...&after=<random id> (any depth)"),
    ("users_offset", "  ...&offset=<random, up to 9,980>"),
    ("search_one", "  ...&q=scale<7 digits> (one match)"),
    ("search_thousand", "  ...&q=scale<4 digits> (1,000 neighbours)"),
    ("search_all", "  ...&q=scale.example&after=<random> (all)"),
    ("user_detail", "GET /api/admin/users/{id}"),
    ("audit_latest", "GET /api/admin/audit?limit=50"),
    ("audit_user", "  ...&userId=<random>"),
    ("audit_user_type", "  ...&userId=&type= (half: the hot user)"),
    ("audit_type_before", "  ...&type=&before=<random>"),
    ("signin", "POST /api/auth/signin (argon2id), c=8"),
    ("refresh", "POST /api/auth/refreshtoken, one client"),
    ("test_user", "GET /api/test/user, c=32"),
]
THROUGHPUT_ROWS = {"signin", "refresh", "test_user"}
LATENCY_TARGET_MS = 50.0


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def median(values: list[float]) -> float:
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else math.nan


def main() -> int:
    # (step, side, row) -> {round: (rps, p50, p99)}
    runs: dict[tuple[str, str, str], dict[int, tuple[float, float, float]]] = defaultdict(dict)
    failed: set[tuple[str, str, str]] = set()
    steps: list[str] = []
    for line in open(sys.argv[1]):
        fields = line.split()
        if len(fields) != 9:
            continue
        step, side, round_, row, rps, p50, p99, _requests, status = fields
        if status != "ok":
            failed.add((step, side, row))
            continue
        runs[(step, side, row)][int(round_)] = (number(rps), number(p50), number(p99))
        if step not in steps:
            steps.append(step)
    facts: dict[str, str] = {}
    for line in open(sys.argv[2]):
        if "=" in line:
            key, value = line.rstrip("\n").split("=", 1)
            facts[key] = value
    verdicts: list[tuple[str, bool, str]] = []

    print("Each figure: p50 / p99 ms (req/s for the last three rows), the median of the rounds; in brackets,")
    print("the median of the rounds' ratios to the empty-store stack measured beside it (p99, or req/s).\n")
    print("| request | empty stores | " + " | ".join(steps) + " |")
    print("|" + "---|" * (len(steps) + 2))
    for row, label in ROWS:
        empty_rounds = [v for step in steps for v in runs[(step, "empty", row)].values()]
        if row in THROUGHPUT_ROWS:
            cells = [f"{median([v[0] for v in empty_rounds]):,.0f}/s"]
        else:
            cells = [f"{median([v[1] for v in empty_rounds]):.1f} / {median([v[2] for v in empty_rounds]):.1f}"]
        for step in steps:
            scale, empty = runs[(step, "scale", row)], runs[(step, "empty", row)]
            if (step, "scale", row) in failed or (step, "empty", row) in failed or not scale:
                cells.append("FAILED")
                continue
            index = 0 if row in THROUGHPUT_ROWS else 2
            ratio = median([scale[r][index] / empty[r][index] for r in scale if r in empty and empty[r][index] > 0])
            if row in THROUGHPUT_ROWS:
                rps = median([v[0] for v in scale.values()])
                cells.append(f"{rps:,.0f}/s ({ratio:.2f}×)")
                verdicts.append((f"{row} at {step}: req/s within 10 % of the empty store", ratio >= 0.9, f"{ratio:.2f}×"))
            else:
                p50, p99 = median([v[1] for v in scale.values()]), median([v[2] for v in scale.values()])
                cells.append(f"{p50:.1f} / {p99:.1f} ({ratio:.1f}×)")
                verdicts.append((f"{row} at {step}: p99 ≤ {LATENCY_TARGET_MS:.0f} ms", p99 <= LATENCY_TARGET_MS, f"{p99:.1f} ms"))
        print(f"| {label} | " + " | ".join(cells) + " |")

    print("\nStores (MB; Redis bytes per session from used_memory before and after loading them):\n")
    print("| size | users table | users indexes | audit table | audit indexes | Redis used_memory | Redis keys | bytes/session |")
    print("|---|---|---|---|---|---|---|---|")
    for step in ["empty"] + steps:
        sizes = {k.split(".", 2)[2]: int(v) for k, v in facts.items() if k.startswith(f"pg_bytes.{step}.")}
        if not sizes:
            continue
        mb = lambda n: f"{n / 1048576:,.0f}"  # noqa: E731
        users_idx = sum(v for k, v in sizes.items() if k.startswith("users_") and k != "users")
        audit_idx = sum(v for k, v in sizes.items() if k.startswith("auth_audit_events_"))
        sessions = step.rsplit("-", 1)[-1].rstrip("s")
        per = facts.get(f"redis.bytes_per_session.{sessions}", "-")
        print(f"| {step} | {mb(sizes.get('users', 0))} | {mb(users_idx)} | {mb(sizes.get('auth_audit_events', 0))} | "
              f"{mb(audit_idx)} | {mb(int(facts.get(f'redis.used_memory.{step}', 0)))} | {facts.get(f'redis.keys.{step}', '-')} | {per} |")
        if per != "-":
            verdicts.append((f"Redis bytes per loaded session at {step} ≤ 1024", int(per) <= 1024, f"{per} B"))
    last = steps[-1]
    detail = sorted((k.split(".", 2)[2], int(v)) for k, v in facts.items() if k.startswith(f"pg_bytes.{last}."))
    print(f"\nEvery table and index at {last} (MB): " + ", ".join(f"{name} {size / 1048576:,.0f}" for name, size in detail))

    if "footprint.after_1" in facts:
        one, thousand = int(facts["footprint.after_1"]), int(facts["footprint.after_1000"])
        print(f"\nOne session through the gateway: {one} B in {facts['footprint.keys_after_1']} keys after 1 refresh, "
              f"{thousand} B in {facts['footprint.keys_after_1000']} keys after 1,000 (the record alone "
              f"{facts['footprint.record_after_1000']} B; the grace pair lasts REFRESH_REUSE_GRACE seconds)")
        verdicts.append(("a session's keys after 1,000 refreshes are those after one", abs(thousand - one) <= 16
                         and facts["footprint.keys_after_1"] == facts["footprint.keys_after_1000"], f"{one} → {thousand} B"))
        verdicts.append(("a session's record after 1,000 refreshes ≤ 1 KB", int(facts["footprint.record_after_1000"]) <= 1024,
                         f"{facts['footprint.record_after_1000']} B"))

    if "purge.rows" in facts:
        print(f"\nRetention purge of the oldest day: {int(facts['purge.rows']):,} events in {facts['purge.seconds']} s "
              "(chunks of 10,000, the service's statement). A writer of 200-event batches, 4 a second:")
        for name in ("alone", "purge"):
            print(f"  {name:5}: {facts[f'writer.{name}.count']} batches, p50 {facts[f'writer.{name}.p50_ms']} ms, "
                  f"p99 {facts[f'writer.{name}.p99_ms']} ms, max {facts[f'writer.{name}.max_ms']} ms")
        alone, during = number(facts["writer.alone.p99_ms"]), number(facts["writer.purge.p99_ms"])
        verdicts.append(("writer p99 during the purge ≤ 50 ms", during <= 50, f"{during:.1f} ms (alone {alone:.1f} ms)"))

    print("\nTargets (issue 22):")
    for what, ok, figure in verdicts:
        print(f"  {'PASS' if ok else 'MISS'}  {what}: {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
