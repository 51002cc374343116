#!/usr/bin/env python3
"""Proves that sessions bench-scale.sh wrote straight into Redis are what the auth service writes.

    check_tokens.py BASE_URL TOKENS_FILE

Refreshes every token of TOKENS_FILE (one per line) through BASE_URL/api/auth/refreshtoken, then its
successor once more; each must answer 200 with a new token of the next generation. Prints how many
were checked; exit status 1 with the first failure on stderr. Each token checked is spent: the file is
emptied, so a later step does not try them again.
"""

import http.client
import json
import sys
import urllib.parse


def refresh(conn: http.client.HTTPConnection, token: str) -> tuple[int, dict]:
    conn.request("POST", "/api/auth/refreshtoken", body=json.dumps({"refreshToken": token}),
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    raw = resp.read()
    return resp.status, (json.loads(raw) if raw else {})


def main() -> int:
    base, path = sys.argv[1], sys.argv[2]
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    tokens = [line.strip() for line in open(path) if line.strip()]
    for token in tokens:
        for _ in range(2):
            status, body = refresh(conn, token)
            successor = body.get("refreshToken", "")
            sid, generation = token.split(".")[:2]
            if status != 200 or successor.split(".")[:2] != [sid, str(int(generation) + 1)]:
                print(f"{token[:30]}... answered {status}: {body}", file=sys.stderr)
                return 1
            token = successor
    open(path, "w").close()
    print(len(tokens))
    return 0


if __name__ == "__main__":
    sys.exit(main())
