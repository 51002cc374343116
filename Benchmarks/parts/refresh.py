#!/usr/bin/env python3
"""Sequential refresh-token throughput for bench.sh.

    refresh.py BASE_URL USERNAME PASSWORD SECONDS

Signs in once, then for SECONDS keeps exchanging the refresh token for a new
pair through BASE_URL/api/auth/refreshtoken over one keep-alive connection.
Each refresh token is single-use, so this cannot be spread over concurrent
connections the way wrk does: it measures one client's refreshes per second.

Prints one line:  REFRESHES SECONDS PER_S P50_MS P99_MS
Exit status 1 (with the reason on stderr) at the first answer that is not 200
or has no new refresh token.
"""

import http.client
import json
import statistics
import sys
import time
import urllib.parse


def post(conn: http.client.HTTPConnection, path: str, body: dict) -> tuple[int, dict]:
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    raw = resp.read()
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {"raw": raw[:200].decode("utf-8", "replace")}
    return resp.status, data


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    base, username, password, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)

    status, data = post(conn, "/api/auth/signin", {"username": username, "password": password})
    if status != 200 or "refreshToken" not in data:
        print(f"refresh.py: signin answered {status}: {data}", file=sys.stderr)
        return 1
    token = data["refreshToken"]

    latencies = []
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        status, data = post(conn, "/api/auth/refreshtoken", {"refreshToken": token})
        latencies.append((time.perf_counter() - t0) * 1000.0)
        if status != 200 or not data.get("refreshToken") or data["refreshToken"] == token:
            print(f"refresh.py: refresh #{len(latencies)} answered {status}: {data}", file=sys.stderr)
            return 1
        token = data["refreshToken"]
    elapsed = time.perf_counter() - start
    conn.close()

    n = len(latencies)
    p50 = statistics.median(latencies)
    p99 = sorted(latencies)[min(n - 1, int(n * 0.99))]
    print(f"{n} {elapsed:.2f} {n / elapsed:.1f} {p50:.3f} {p99:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
