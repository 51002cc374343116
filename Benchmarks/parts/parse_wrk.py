#!/usr/bin/env python3
"""Pull the numbers bench.sh needs out of one `wrk --latency` output file.

Prints one line of space-separated fields:

    REQ_PER_S P50_MS P99_MS REQUESTS NON_2XX_3XX SOCKET_ERRORS

Latencies are converted to milliseconds whatever unit wrk chose (us, ms, s,
m). A field wrk did not print is "nan" (rates/latencies) or 0 (counters: wrk
prints "Non-2xx" and "Socket errors" only when there were some). Exit status 1
when the file holds no "Requests/sec" line at all (wrk failed to run).
"""

import re
import sys

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def to_ms(value: str, unit: str) -> float:
    return float(value) * UNIT_MS[unit]


def parse(text: str) -> dict:
    out = {"rps": "nan", "p50": "nan", "p99": "nan", "requests": 0, "non2xx": 0, "sockerr": 0}
    if m := re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M):
        out["rps"] = f"{float(m.group(1)):.1f}"
    # Latency distribution lines look like "     50%  812.00us".
    for pct, key in (("50", "p50"), ("99", "p99")):
        if m := re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M):
            out[key] = f"{to_ms(m.group(1), m.group(2)):.3f}"
    if m := re.search(r"^\s*(\d+) requests in", text, re.M):
        out["requests"] = int(m.group(1))
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text):
        out["non2xx"] = int(m.group(1))
    # "Socket errors: connect 0, read 3, write 0, timeout 0"
    if m := re.search(r"Socket errors:(.*)$", text, re.M):
        out["sockerr"] = sum(int(n) for n in re.findall(r"\d+", m.group(1)))
    return out


def main() -> int:
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} WRK_OUTPUT_FILE", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        stats = parse(f.read())
    print(stats["rps"], stats["p50"], stats["p99"], stats["requests"], stats["non2xx"], stats["sockerr"])
    return 0 if stats["rps"] != "nan" else 1


if __name__ == "__main__":
    sys.exit(main())
