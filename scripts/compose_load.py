#!/usr/bin/env python3
"""Load through a running stack's gateway, for scripts/compose-test.sh (standard library only).

  compose_load.py token --base-url URL
      Signs up and signs in a fresh user; prints its access and refresh tokens.

  compose_load.py refresh --base-url URL --token REFRESH_TOKEN
      Refreshes the session; prints the new refresh token (exit status 1 when refused).

  compose_load.py load --url URL [--header 'Name: value']... [--expect-body TEXT]
                       [--duration S] [--concurrency N] [--retries R]
                       [--at 'SECONDS:COMMAND']... [--out FILE]
      A bounded load (closed loop: N connections, one request at a time each,
      for S seconds). A request counts as failed when it does not answer 200
      (with TEXT as the body, if given) or the connection fails; a failed
      request is retried up to R times at once on a new connection, as a
      client would. Each --at runs COMMAND (split like a shell would, no shell)
      SECONDS after the start, and its time is recorded. Prints one JSON
      summary: totals, first-attempt and final failures by cause, latency
      percentiles and where the failures fell relative to the events.

What the running containers show through the gateway is checked by the frontends suite
(Tests/system/frontends/test_running_stack.py), which compose-test.sh runs against the same gateway.
"""

from __future__ import annotations

import argparse
import http.client
import json
import secrets
import shlex
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

# ----------------------------------------------------------------- HTTP ---


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def request(base: str, method: str, path: str, *, body=None, headers=None, timeout=15.0) -> Response:
    """One request on a fresh connection; `body` as a dict is sent as JSON."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    hdrs = dict(headers or {})
    data = None
    if isinstance(body, dict):
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif isinstance(body, (str, bytes)):
        data = body.encode() if isinstance(body, str) else body
    try:
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return Response(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def new_name(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(5)}"  # 3-20 characters, no spaces


def signup(base: str, username: str, password: str) -> Response:
    body = {"username": username, "email": f"{username}@example.com", "password": password}
    return request(base, "POST", "/api/auth/signup", body=body)


def signin(base: str, username: str, password: str) -> Response:
    return request(base, "POST", "/api/auth/signin", body={"username": username, "password": password})


def run_token(args: argparse.Namespace) -> int:
    user, password = new_name("load"), "s3cret-" + secrets.token_hex(4)
    up = signup(args.base_url, user, password)
    if up.status != 200:
        print(f"signup failed: {up.status} {up.text()}", file=sys.stderr)
        return 1
    resp = signin(args.base_url, user, password)
    if resp.status != 200:
        print(f"signin failed: {resp.status} {resp.text()}", file=sys.stderr)
        return 1
    print(resp.json()["accessToken"], resp.json()["refreshToken"])
    return 0


def run_refresh(args: argparse.Namespace) -> int:
    resp = request(args.base_url, "POST", "/api/auth/refreshtoken", body={"refreshToken": args.token})
    if resp.status != 200:
        print(f"refresh failed: {resp.status} {resp.text()}", file=sys.stderr)
        return 1
    print(resp.json()["refreshToken"])
    return 0


# ----------------------------------------------------------------- load ---


@dataclass
class WorkerStats:
    latencies: list = field(default_factory=list)  # seconds, successful requests
    first_failures: list = field(default_factory=list)  # (time, cause)
    final_failures: list = field(default_factory=list)  # (time, cause)
    requests: int = 0
    attempts: int = 0


def run_load(args: argparse.Namespace) -> int:
    url = urllib.parse.urlsplit(args.url)
    path = url.path + (f"?{url.query}" if url.query else "")
    headers = {}
    for header in args.header:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()
    expected = args.expect_body.encode() if args.expect_body is not None else None

    start = time.monotonic()
    wall_start = time.time()
    deadline = start + args.duration
    events: list[dict] = []

    def worker(stats: WorkerStats) -> None:
        conn = None
        while time.monotonic() < deadline:
            stats.requests += 1
            for attempt in range(args.retries + 1):
                stats.attempts += 1
                t0 = time.monotonic()
                cause = None
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=args.timeout)
                    conn.request("GET", path, headers=headers)
                    resp = conn.getresponse()
                    body = resp.read()
                    if resp.status != 200:
                        cause = f"status {resp.status}"
                    elif expected is not None and body != expected:
                        cause = "unexpected body"
                    if resp.will_close:
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException) as error:
                    cause = f"connection: {type(error).__name__}"
                    if conn is not None:
                        conn.close()
                    conn = None
                t1 = time.monotonic()
                if cause is None:
                    stats.latencies.append(t1 - t0)
                    break
                if attempt == 0:
                    stats.first_failures.append((t0 - start, cause))
                if attempt == args.retries:
                    stats.final_failures.append((t0 - start, cause))
                elif conn is not None:  # retry on a new connection, as a client would
                    conn.close()
                    conn = None
        if conn is not None:
            conn.close()

    def scheduler() -> None:
        for spec in args.at:
            offset, _, command = spec.partition(":")
            delay = start + float(offset) - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t = time.monotonic() - start
            result = subprocess.run(shlex.split(command), capture_output=True, text=True)
            events.append({"at": round(t, 3), "took": round(time.monotonic() - start - t, 3),
                           "command": command, "status": result.returncode})

    stats = [WorkerStats() for _ in range(args.concurrency)]
    threads = [threading.Thread(target=worker, args=(st,)) for st in stats]
    events_thread = threading.Thread(target=scheduler)
    for thread in threads:
        thread.start()
    events_thread.start()
    for thread in threads:
        thread.join()
    events_thread.join()
    elapsed = time.monotonic() - start

    latencies = sorted(x for st in stats for x in st.latencies)
    first = sorted(f for st in stats for f in st.first_failures)
    final = sorted(f for st in stats for f in st.final_failures)
    total = sum(st.requests for st in stats)

    def by_cause(failures):
        counts: dict[str, int] = {}
        for _, cause in failures:
            counts[cause] = counts.get(cause, 0) + 1
        return counts

    def percentile(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else None

    first_event = events[0]["at"] if events else None
    summary = {
        "url": args.url,
        "started": wall_start,
        "duration_s": round(elapsed, 2),
        "concurrency": args.concurrency,
        "retries": args.retries,
        "requests": total,
        "attempts": sum(st.attempts for st in stats),
        "req_per_s": round(total / elapsed, 1) if elapsed else 0,
        "ok": len(latencies),
        "failed_first_attempt": len(first),
        "failed_after_retries": len(final),
        "error_rate_after_retries": round(len(final) / total, 6) if total else 0,
        "first_attempt_causes": by_cause(first),
        "final_causes": by_cause(final),
        "failure_window_s": [round(first[0][0], 3), round(first[-1][0], 3)] if first else None,
        "failed_later_than_1s_after_first_event":
            sum(1 for t, _ in first if first_event is not None and t > first_event + 1.0),
        "latency_ms": {"p50": percentile(0.50), "p99": percentile(0.99), "max": percentile(1.0)},
        "events": events,
    }
    text = json.dumps(summary, indent=2)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    print(text)
    return 0


# ------------------------------------------------------------------ main ---


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    token = sub.add_parser("token", help="sign up and sign in a fresh user, print its access and refresh tokens")
    token.add_argument("--base-url", default="http://127.0.0.1:8080")

    refresh = sub.add_parser("refresh", help="refresh a session, print the new refresh token")
    refresh.add_argument("--base-url", default="http://127.0.0.1:8080")
    refresh.add_argument("--token", required=True)

    load = sub.add_parser("load", help="bounded closed-loop GET load with timed events")
    load.add_argument("--url", required=True)
    load.add_argument("--header", action="append", default=[])
    load.add_argument("--expect-body")
    load.add_argument("--duration", type=float, default=10.0)
    load.add_argument("--concurrency", type=int, default=16)
    load.add_argument("--retries", type=int, default=1)
    load.add_argument("--timeout", type=float, default=10.0)
    load.add_argument("--at", action="append", default=[], metavar="SECONDS:COMMAND")
    load.add_argument("--out")

    args = parser.parse_args()
    if args.command == "load" and not 0 < args.duration <= 120:
        parser.error("--duration must be in (0, 120] seconds")
    return {"token": run_token, "refresh": run_refresh, "load": run_load}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
