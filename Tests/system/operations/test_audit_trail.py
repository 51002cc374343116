"""The audit trail as an admin reads it, written by the real auth service into PostgreSQL.

One account's life, from signup to deletion through the self-service and admin routes, is in the trail
in order, each event with the right actor, the client's address and the request id, and never a
password or a token.
"""

from __future__ import annotations

import json

from support.accounts import Account, admin, create_account, existing_account, signin
from support.processes import wait_until
from support.system import System


def test_one_accounts_life_is_in_the_trail_in_order_with_its_actors_and_no_secret(system: System) -> None:
    client = system.http
    root = admin(client)
    user = create_account(client)
    assert signin(client, user.username, "wrong-password", check=False).status == 401
    changed = client.post("/api/auth/password", headers=user.headers(),
                          json={"currentPassword": user.password, "newPassword": "a-new-password"})
    assert changed.status == 200, changed
    steps = [
        ("PUT", f"/api/admin/users/{user.id}/roles", {"roles": ["user", "moderator"]}),
        ("POST", f"/api/admin/users/{user.id}/disable", None),
        ("POST", f"/api/admin/users/{user.id}/enable", None),
        ("DELETE", f"/api/admin/users/{user.id}/lockout", None),
        ("DELETE", f"/api/admin/users/{user.id}/sessions", None),
    ]
    for method, path, body in steps:
        reply = client.request(method, path, headers=root.headers(), json=body)
        assert reply.status == 200, f"{method} {path}: {reply}"
    again: Account = existing_account(client, user.username, "a-new-password")
    assert client.post("/api/auth/signout", headers=again.headers()).status == 200
    assert client.request("DELETE", f"/api/admin/users/{user.id}", headers=root.headers()).status == 200

    expected = [
        ("signup", None), ("signin_succeeded", None), ("signin_failed", None), ("password_changed", user.id),
        ("roles_changed", root.id), ("user_disabled", root.id), ("user_enabled", root.id), ("lockout_cleared", root.id),
        ("sessions_ended", root.id), ("signin_succeeded", None), ("signout", user.id), ("user_deleted", root.id),
    ]
    events: list[dict] = []

    def written() -> bool:
        # Events are written within about 250 ms, newest first.
        reply = client.get("/api/admin/audit", params={"userId": str(user.id), "limit": "100"}, headers=root.headers())
        assert reply.status == 200, reply
        events[:] = list(reversed(reply.json()["events"]))
        return len(events) >= len(expected)

    assert wait_until(written, 10, interval=0.1), f"only {len(events)} of {len(expected)} audit events after 10 s: {events}"
    assert [event["type"] for event in events] == [kind for kind, _ in expected]
    assert [event.get("actorId") for event in events] == [actor for _, actor in expected]
    for event in events:
        assert event["userId"] == user.id and event["ip"] == "127.0.0.1" and isinstance(event["requestId"], str), event
    failed = next(event for event in events if event["type"] == "signin_failed")
    assert failed["details"]["reason"] == "wrong_password", failed
    roles = next(event for event in events if event["type"] == "roles_changed")["details"]
    assert roles["old"] == ["user"] and roles["new"] == ["user", "moderator"], roles
    text = json.dumps(events, ensure_ascii=False)
    for secret in (user.password, "a-new-password", "wrong-password", user.access_token, user.refresh_token,
                   changed.json()["refreshToken"]):
        assert secret not in text
