#!/usr/bin/env python3
"""The request paths of one row of bench-scale.sh, for paths.lua.

    paths.py ROW FIRST_ID USERS EVENTS HOT_USER COUNT SEED

Prints COUNT paths of row ROW, drawn with SEED, for a store of USERS bulk users (`scale0000001`... with
ids FIRST_ID.. on, after the accounts the bench made itself) and EVENTS audit events; HOT_USER is the
user id that has many events of its own. With USERS 0 (the empty store) the same requests are made
for the bench's own accounts (ids below FIRST_ID) or for ids and names that do not exist.
"""

import random
import sys

AUDIT_TYPES = ("signin_succeeded", "signin_failed", "refresh_reuse_detected", "signout", "password_changed")


def paths(row: str, first: int, users: int, events: int, hot: int, rng: random.Random) -> str:
    span = users if users > 0 else 1_000_000  # the loaded users, or (empty store) as many absent ones
    number = rng.randint(1, span)  # of a name, scale0000001...
    user = first + number - 1  # an id
    if row == "users_first":
        return "/api/admin/users?limit=20"
    if row == "users_after":
        return f"/api/admin/users?limit=20&after={rng.randint(0, first + span)}"
    if row == "users_offset":
        return f"/api/admin/users?limit=20&offset={rng.randint(0, 9980)}"
    if row == "search_one":
        return f"/api/admin/users?limit=20&q=scale{number:07d}"
    if row == "search_thousand":
        # scale0012 matches scale0012000 to scale0012999: a thousand users with neighbouring ids.
        return f"/api/admin/users?limit=20&q=scale{number // 1000:04d}"
    if row == "search_all":
        return f"/api/admin/users?limit=20&q=scale.example&after={rng.randint(0, first + span)}"
    if row == "user_detail":
        # On the empty store, the bench's own accounts: a detail of an id that is not there is a 404.
        return f"/api/admin/users/{user if users > 0 else rng.randint(1, first - 1)}"
    if row == "audit_latest":
        return "/api/admin/audit?limit=50"
    if row == "audit_user":
        return f"/api/admin/audit?limit=50&userId={user}"
    if row == "audit_user_type":
        # Half the time the user with many events, and a type it has few of.
        if rng.random() < 0.5:
            return f"/api/admin/audit?limit=50&userId={hot}&type=password_changed"
        return f"/api/admin/audit?limit=50&userId={user}&type={rng.choice(AUDIT_TYPES)}"
    if row == "audit_type_before":
        return f"/api/admin/audit?limit=50&type={rng.choice(AUDIT_TYPES)}&before={rng.randint(1, max(events, 1_000_000))}"
    raise SystemExit(f"paths.py: unknown row {row}")


def main() -> int:
    row, first, users, events, hot, count, seed = sys.argv[1], *map(int, sys.argv[2:8])
    rng = random.Random(seed)
    print("\n".join(paths(row, first, users, events, hot, rng) for _ in range(count)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
