#!/usr/bin/env python3
"""What Redis keeps for one real session, after one refresh and after 1,000, for bench-scale.sh.

    footprint.py BASE_URL REDIS_URL USERNAME PASSWORD

Signs up USERNAME (a new user: the user's session set then holds this one session) and signs in
through BASE_URL, refreshes once, sums MEMORY USAGE of the session's keys (its record, the
grace pair, the user's session set), refreshes 999 times more (in sequence, each with the token the
last answer gave) and sums them again. Prints "KEY VALUE" lines: after_1, after_1000 (bytes),
keys_after_1, keys_after_1000 (how many keys the session has) and record_after_1000 (the record alone).
Uses redis-cli for Redis.
"""

import http.client
import json
import subprocess
import sys
import urllib.parse


def post(conn: http.client.HTTPConnection, path: str, body: dict) -> dict:
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = json.loads(resp.read() or b"{}")
    if resp.status != 200:
        raise SystemExit(f"{path} answered {resp.status}: {data}")
    return data


def memory(redis_url: str, keys: list[str]) -> tuple[int, int]:
    """The summed MEMORY USAGE of KEYS that exist, and how many exist."""
    total, present = 0, 0
    for key in keys:
        out = subprocess.run(["redis-cli", "-u", redis_url, "MEMORY", "USAGE", key, "SAMPLES", "0"],
                             capture_output=True, text=True, check=True).stdout.strip()
        if out.isdigit():
            total, present = total + int(out), present + 1
    return total, present


def main() -> int:
    base, redis_url, username, password = sys.argv[1:5]
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    post(conn, "/api/auth/signup", {"username": username, "email": f"{username}@bench.example", "password": password})
    signed_in = post(conn, "/api/auth/signin", {"username": username, "password": password})
    token, user_id = signed_in["refreshToken"], signed_in["id"]
    sid = token.split(".")[0]
    keys = [f"session:{sid}", f"grace:{sid}", f"user:sessions:{user_id}"]
    results = {}
    for refreshes in (1, 999):
        for _ in range(refreshes):
            token = post(conn, "/api/auth/refreshtoken", {"refreshToken": token})["refreshToken"]
        total, present = memory(redis_url, keys)
        done = 1 if refreshes == 1 else 1000
        results[f"after_{done}"], results[f"keys_after_{done}"] = total, present
    results["record_after_1000"] = memory(redis_url, keys[:1])[0]
    print("\n".join(f"{key} {value}" for key, value in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
