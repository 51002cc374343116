#!/usr/bin/env python3
"""Revocation propagation between two gateway replicas, for bench.sh.

    propagation.py A_URL B_URL USERNAME PASSWORD SESSIONS

Both gateways front the same auth service and Redis. It signs the user in
SESSIONS times through gateway A (a few at a time: each signin is an argon2id
hash), then for each session in turn:

1. asks A and B for GET /api/test/user with the session's access token and
   requires 200 from both (so the token sits in both gateways' caches of
   verified tokens: what is measured is revocation, not a first verification);
2. signs the session out through A, and from the moment A's answer is read:
   - asks A once more, on a new connection (so the requests spread over A's
     event loops): it must answer 401 at once, since A applies what it carried;
   - meanwhile a second thread polls B on a keep-alive connection, back to
     back, until B answers 401, or gives up after POLL_LIMIT_S.

Prints KEY=VALUE facts for report.py: prop.sessions, prop.p50_ms, prop.p99_ms,
prop.max_ms (from A's signout answer to B's first 401, over the sessions B
refused), prop.b_never (sessions B still let through after POLL_LIMIT_S),
prop.b_polls_p50 (requests B answered before refusing), prop.a_refused_next /
prop.a_allowed_next (A's very next answer: 401 / anything else).
Exit status 1, with the reason on stderr, when the set-up fails (a signin or a
check before the signout does not answer 200, a signout does not answer 200).
"""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import math
import sys
import threading
import time
import urllib.parse

POLL_LIMIT_S = 2.0
SIGNIN_WORKERS = 4
PATH = "/api/test/user"


class Gateway:
    """One keep-alive HTTP/1.1 connection to a gateway, reopened when it breaks."""

    def __init__(self, base: str) -> None:
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, token: str | None = None, body: dict | None = None) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["x-access-token"] = token
        payload = json.dumps(body) if body is not None else None
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
            try:
                self.conn.request(method, path, body=payload, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def once(self, method: str, path: str, token: str) -> int:
        """One request on a connection of its own."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request(method, path, headers={"x-access-token": token})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()


def fail(message: str) -> int:
    print(f"propagation.py: {message}", file=sys.stderr)
    return 1


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def sign_in(base: str, username: str, password: str) -> str:
    status, raw = Gateway(base).request("POST", "/api/auth/signin", body={"username": username, "password": password})
    if status != 200:
        raise RuntimeError(f"signin answered {status}: {raw[:200]!r}")
    return json.loads(raw)["accessToken"]


def poll_until_refused(b: Gateway, token: str, go: threading.Event, result: dict) -> None:
    """Wait for GO, then ask B back to back until it answers 401; record when."""
    go.wait()
    start = result["t0"]
    polls = 0
    while True:
        status, _ = b.request("GET", PATH, token=token)
        polls += 1
        now = time.perf_counter()
        if status == 401:
            result["ms"] = (now - start) * 1000.0
            break
        if status != 200:
            result["error"] = f"B answered {status} while polling"
            break
        if now - start > POLL_LIMIT_S:
            break
    result["polls"] = polls


def main() -> int:
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    a_url, b_url, username, password, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    try:
        with concurrent.futures.ThreadPoolExecutor(SIGNIN_WORKERS) as pool:
            tokens = list(pool.map(lambda _: sign_in(a_url, username, password), range(n)))
    except (RuntimeError, OSError, http.client.HTTPException, KeyError, ValueError) as error:
        return fail(f"signing in {n} sessions: {error}")

    a, b = Gateway(a_url), Gateway(b_url)
    delays: list[float] = []
    polls: list[int] = []
    never = refused_next = allowed_next = 0
    for i, token in enumerate(tokens):
        for name, gw in (("A", a), ("B", b)):
            status, raw = gw.request("GET", PATH, token=token)
            if status != 200:
                return fail(f"session {i}: {name} answered {status} before the signout: {raw[:200]!r}")
        go, result = threading.Event(), {}
        poller = threading.Thread(target=poll_until_refused, args=(b, token, go, result))
        poller.start()
        status, raw = a.request("POST", "/api/auth/signout", token=token, body={})
        result["t0"] = time.perf_counter()
        go.set()
        if status != 200:
            poller.join()
            return fail(f"session {i}: signout answered {status}: {raw[:200]!r}")
        if a.once("GET", PATH, token) == 401:
            refused_next += 1
        else:
            allowed_next += 1
        poller.join()
        if "error" in result:
            return fail(f"session {i}: {result['error']}")
        polls.append(result.get("polls", 0))
        if "ms" in result:
            delays.append(result["ms"])
        else:
            never += 1

    delays.sort()
    polls.sort()
    facts = {
        "sessions": n,
        "p50_ms": f"{percentile(delays, 50):.2f}",
        "p99_ms": f"{percentile(delays, 99):.2f}",
        "max_ms": f"{delays[-1]:.2f}" if delays else "nan",
        "b_never": never,
        "b_polls_p50": polls[len(polls) // 2] if polls else 0,
        "a_refused_next": refused_next,
        "a_allowed_next": allowed_next,
        "poll_limit_ms": int(POLL_LIMIT_S * 1000),
    }
    for key, value in facts.items():
        print(f"prop.{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
