"""Refresh outcomes as the auth service counts them (auth_refreshes_total{outcome=...}), with no grace
window (REFRESH_REUSE_GRACE=0), so that any replay a second later is past it.

A client that keeps its signin token (the tutorial's refresh clients) is a successor replay each time,
never reuse; a client that rotates keeps reuse detection, counted once.
"""

from __future__ import annotations

import time
from typing import Callable

from support.accounts import create_account, refresh
from support.system import System

ENV = {"REFRESH_REUSE_GRACE": "0"}


def _counted(system: System, outcome: str) -> int:
    """auth_refreshes_total{outcome=OUTCOME}, 0 while never counted."""
    prefix = f'auth_refreshes_total{{outcome="{outcome}"}} '
    for line in system.metrics("auth").splitlines():
        if line.startswith(prefix):
            return int(float(line[len(prefix):]))
    return 0


def test_a_client_sending_its_signin_token_at_every_refresh_gets_the_same_successor_counted_as_successor_replays(
    make_system: Callable[..., System],
) -> None:
    system = make_system(env=ENV, name="refresh-successor-replay")
    client = system.http
    user = create_account(client)
    successors, access_tokens = set(), set()
    for _ in range(4):
        reply = refresh(client, user.refresh_token)
        assert reply.status == 200, reply
        successors.add(reply.json()["refreshToken"])
        access_tokens.add(reply.json()["accessToken"])
        assert client.get("/api/test/user", headers={"x-access-token": reply.json()["accessToken"]}).status == 200
        # Past the (zero) grace window, so the next replay is the GoTrue case, not a grace replay.
        time.sleep(1.1)
    assert len(successors) == 1 and len(access_tokens) == 4
    assert _counted(system, "successor_replay") == 3
    assert _counted(system, "reuse_detected") == 0


def test_a_rotating_client_replaying_an_old_token_is_reuse_counted_once_and_the_session_ends(
    make_system: Callable[..., System],
) -> None:
    system = make_system(env=ENV, name="refresh-reuse")
    client = system.http
    user = create_account(client)
    one = refresh(client, user.refresh_token).json()["refreshToken"]
    second = refresh(client, one)
    assert second.status == 200, second
    two, access_token = second.json()["refreshToken"], second.json()["accessToken"]
    time.sleep(1.1)
    reuse = refresh(client, user.refresh_token, check=False)
    assert reuse.status == 403 and "already used" in (reuse.message or ""), reuse
    assert refresh(client, two, check=False).status == 403
    assert client.get("/api/test/user", headers={"x-access-token": access_token}).status == 401
    assert _counted(system, "reuse_detected") == 1
