"""Concurrency races through the gateway: one name signed up at once, one token refreshed at once, and the
issue's signout crash (many sessions of one user signed out from 8 threads, with and without a body)."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from requests.structures import CaseInsensitiveDict

from support.accounts import Account, SessionTracker, create_account, existing_account, refresh, signin, signup, unique_name
from support.checks import check_response
from support.http import Reply
from support.rawhttp import RawConnection, request_bytes
from support.system import System

from .common import after_batch

USERNAME_TAKEN = "Failed! Username is already in use!"


def _all_at_once(system: System, count: int, action: Callable[[int, object], Reply]) -> list[Reply]:
    """Runs ACTION(index, client) in COUNT threads released together, each with its own client."""
    barrier = threading.Barrier(count)
    clients = [system.client() for _ in range(count)]

    def run(index: int) -> Reply:
        barrier.wait(timeout=10)
        return action(index, clients[index])

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_16_concurrent_signups_of_one_name_give_exactly_one_account(hostile_system: System) -> None:
    """16 signups of one username (each with its own email) released at once: exactly one 200, fifteen
    400 "Failed! Username is already in use!", and only the winner's password signs in."""
    name = unique_name("race")
    replies = _all_at_once(hostile_system, 16, lambda index, client: signup(
        client, name, password=f"password-{index}", email=f"{name}-{index}@example.com"))
    winners = [index for index, reply in enumerate(replies) if reply.status == 200]
    assert len(winners) == 1, [str(reply) for reply in replies]
    losers = [reply for reply in replies if reply.status != 200]
    assert all(reply.status == 400 and reply.message == USERNAME_TAKEN for reply in losers), [str(r) for r in losers]
    client = hostile_system.http
    assert signin(client, name, f"password-{winners[0]}").status == 200
    other = (winners[0] + 1) % 16
    assert signin(client, name, f"password-{other}", check=False).status == 401
    after_batch(hostile_system)


def test_concurrent_refreshes_of_one_token_agree_and_keep_the_session(hostile_system: System, sessions: SessionTracker) -> None:
    """8 refreshes of one refresh token at once: every answer is 200 with one and the same new pair (the
    grace window) or a documented 403, at least one is 200, and the session lives on: its new refresh
    token refreshes and its access token opens /api/test/user."""
    account = create_account(hostile_system.http)
    replies = _all_at_once(hostile_system, 8, lambda index, client: refresh(client, account.refresh_token))
    ok = [reply for reply in replies if reply.status == 200]
    refused = [reply for reply in replies if reply.status != 200]
    assert ok, [str(reply) for reply in replies]
    assert all(reply.status == 403 and reply.message for reply in refused), [str(reply) for reply in refused]
    pairs = {(reply.json()["accessToken"], reply.json()["refreshToken"]) for reply in ok}
    assert len(pairs) == 1, f"{len(pairs)} different pairs from one token: {pairs}"
    access, refresh_token = pairs.pop()
    account.access_token, account.refresh_token = access, refresh_token
    sessions.track(account)
    after_batch(hostile_system, sessions)


def _signin_sessions(system: System, account: Account, count: int) -> list[Account]:
    with ThreadPoolExecutor(4) as pool:
        clients = [system.client() for _ in range(4)]
        return list(pool.map(lambda index: existing_account(clients[index % 4], account.username, account.password),
                             range(count)))


def _late_body_signout(system: System, account: Account, delay: float) -> Reply:
    """A signout whose `{}` body leaves DELAY seconds after its head (a slow link; the head is flushed first)."""
    with RawConnection(system.gateway_port) as conn:
        conn.send(request_bytes("POST", "/api/auth/signout", [("x-access-token", account.access_token),
                                ("Content-Type", "application/json"), ("Content-Length", "2")]))
        time.sleep(delay)
        conn.try_send(b"{}")
        outcome = conn.read_response(5.0)
    assert outcome.kind == "answered", f"late-body signout: {outcome.describe()}"
    check_response("POST", "/api/auth/signout", outcome.status or 0, outcome.body)
    return Reply(status=outcome.status or 0, headers=CaseInsensitiveDict(outcome.headers), body=outcome.body,
                 elapsed=outcome.elapsed, method="POST", path="/api/auth/signout")


def test_40_sessions_signed_out_from_8_threads_with_and_without_a_body(hostile_system: System) -> None:
    """The issue's crash: 40 sessions of one user signed out from 8 threads, in rounds with body `{}` (what
    Angular's `http.post(url, {})` sends), with no body, with an empty JSON body, and with `{}` arriving
    0-150 ms after the head. Every signout answers 200, its access token is refused afterwards, another
    user's session lives on, and every process is live after each round (today a body that arrives after
    the auth service answered kills the gateway)."""
    bystander = create_account(hostile_system.http)
    user = create_account(hostile_system.http)
    seeded = random.Random(7)
    delays = [seeded.uniform(0.0, 0.15) for _ in range(40)]
    clients = [hostile_system.client() for _ in range(8)]
    rounds: list[tuple[str, Callable[[int, Account], Reply]]] = [
        ("{}", lambda index, account: clients[index % 8].post(
            "/api/auth/signout", json={}, headers=account.headers())),
        ("no body", lambda index, account: clients[index % 8].post(
            "/api/auth/signout", headers=account.headers())),
        ("{} after the head", lambda index, account: _late_body_signout(
            hostile_system, account, delays[index])),
        ("{}", lambda index, account: clients[index % 8].post(
            "/api/auth/signout", json={}, headers=account.headers())),
        ("empty JSON body", lambda index, account: clients[index % 8].post(
            "/api/auth/signout", data=b"", headers={"Content-Type": "application/json", **account.headers()})),
    ]
    for number, (label, sign_out) in enumerate(rounds, start=1):
        accounts = _signin_sessions(hostile_system, user, 40)
        broken = threading.Event()  # after one failure the rest of the round is skipped, not waited for

        def attempt(index: int) -> str | None:
            if broken.is_set():
                return None
            try:
                reply = sign_out(index, accounts[index])
            except Exception as error:  # noqa: BLE001 (a dead gateway fails in many ways; all are reported)
                broken.set()
                return f"{type(error).__name__}: {error}"
            return None if reply.status == 200 else str(reply)

        with ThreadPoolExecutor(8) as pool:
            wrong = [result for result in pool.map(attempt, range(40)) if result]
        time.sleep(0.3)
        hostile_system.assert_all_live()
        assert not wrong, f"round {number} ({label}): {len(wrong)} signout(s) failed: {wrong[:3]}"
        for account in accounts[:3]:
            probe = hostile_system.http.get("/api/test/user", headers=account.headers())
            assert probe.status == 401, f"round {number}: a signed-out token still works: {probe}"
    assert hostile_system.http.get("/api/test/user", headers=bystander.headers()).status == 200
