#!/usr/bin/env python3
"""Sessions for bench-scale.sh, straight into Redis: the Redis protocol on stdout for `redis-cli --pipe`.

    sessions.py COUNT FIRST_USER USERS NOW SEED TOKENS_FILE [SAMPLE]

Writes COUNT session records as the auth service keeps them (Sources/AuthService/Sessions:
RedisSessionStore, RedisSessionScripts.open and .rotate), for users FIRST_USER .. FIRST_USER+USERS-1
drawn at random, each as it is after some hundreds of refreshes (a current and a previous secret, the
nonce, the last rotation), with a browser's user agent in 64-byte pieces. Absolute lifetime 7 days,
idle lifetime 1 day, as the defaults. SAMPLE (default 200) of their current refresh tokens go to
TOKENS_FILE, one per line, so that the bench can prove through the gateway that they refresh: the
layout written here and the service's cannot drift apart unnoticed.
"""

import base64
import hashlib
import random
import sys

ABSOLUTE, IDLE, NOTICE = 604_800, 86_400, 3_600
AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def digest(text: str) -> str:
    return b64(hashlib.sha256(text.encode()).digest())


def command(*args: object) -> bytes:
    parts = [str(a).encode() for a in args]
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


def main() -> int:
    count, first_user, users, now, seed = map(int, sys.argv[1:6])
    tokens_file = sys.argv[6]
    sample = int(sys.argv[7]) if len(sys.argv) > 7 else 200
    rng = random.Random(seed)
    out = sys.stdout.buffer
    sampled = []
    for n in range(count):
        uid = first_user + rng.randrange(users)
        sid = b64(rng.randbytes(16))
        family, secret = b64(rng.randbytes(16)), b64(rng.randbytes(32))
        generation = rng.randint(2, 1000)
        created = now - rng.randint(0, 6 * 86_400)
        used = max(created, now - rng.randint(0, 3_600))
        exp, idle = created + ABSOLUTE, min(created + ABSOLUTE, used + IDLE)
        key = f"session:{sid}"
        pieces = [AGENT[i:i + 64] for i in range(0, len(AGENT), 64)]
        agent_fields = []
        for i, piece in enumerate(pieces):
            agent_fields += ["ua" if i == 0 else f"ua{i + 1}", piece]
        out.write(command(
            "HSET", key, "uid", uid, "created", created, "used", used, "exp", exp, "idle", idle, "gen", generation,
            "fam", digest(family), "cur", digest(secret), "prev", digest(b64(rng.randbytes(32))), "rot", used,
            "nonce", b64(rng.randbytes(16)), "ip", f"198.51.100.{n % 250 + 1}", *agent_fields,
        ))
        out.write(command("EXPIREAT", key, idle + NOTICE))
        out.write(command("SADD", f"user:sessions:{uid}", sid))
        out.write(command("EXPIRE", f"user:sessions:{uid}", ABSOLUTE + NOTICE))
        if len(sampled) < sample:
            sampled.append(f"{sid}.{generation}.{family}.{secret}")
    with open(tokens_file, "w") as tokens:
        tokens.write("\n".join(sampled) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
