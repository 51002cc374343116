"""Stalled stores, each in a System of its own with its own Redis and PostgreSQL, paused with SIGSTOP.

Redis paused: protected routes fail closed with the documented 503 within about a second, public routes
keep working, refresh and signin answer 503 within 3 s, and everything recovers on SIGCONT without a
restart and without losing a session (the refused refresh's token rotates afterwards, no reuse counted).
Redis killed and started again on its AOF data: the same fail-closed 503, and the sessions go on.

PostgreSQL paused for longer than the auth service's database deadline (DATABASE_TIMEOUT, set short
here): signin, signup and refresh answer the documented 503 fast, well under the gateway's 15 s
UPSTREAM_TIMEOUT; after the resume nothing has happened behind the client's back: the signup answered
503 created no account, the refresh answered 503 did not spend its token (the client's retry with the
same token works, and rotates as a live token, not as a replay), the auth service's readiness said 503
during the stall, and no session is lost.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from support.accounts import SessionTracker, create_account, refresh, signin, signup, unique_name
from support.checks import SERVICE_UNAVAILABLE_MESSAGE
from support.http import Reply
from support.processes import wait_until
from support.stores import PrivatePostgres, PrivateRedis
from support.system import System
from support.tally import TALLY

from .common import after_batch

#: The auth service's bound on one database operation, in seconds (its DATABASE_TIMEOUT setting).
DATABASE_TIMEOUT = 2
#: "Fast": well under the gateway's default 15 s upstream deadline, with slack for a busy machine.
FAST = 3 * DATABASE_TIMEOUT
#: The refresh grace window, short so that the retry after the stall is past it: a replay inside the
#: window gets the same pair whatever happened, which would hide a token spent behind the client's back.
REFRESH_REUSE_GRACE = 1


def _pids(system: System) -> list[int]:
    return [process.pid for process in system.processes]


def _refreshes(system: System, outcome: str) -> int:
    """The auth service's auth_refreshes_total{outcome=OUTCOME}, 0 while it has never been counted."""
    prefix = f'auth_refreshes_total{{outcome="{outcome}"}} '
    for line in system.metrics("auth").splitlines():
        if line.startswith(prefix):
            return int(float(line[len(prefix):]))
    return 0


def _refresh_once_back(client, token: str, timeout: float = 10.0) -> Reply:  # noqa: ANN001 (a Client)
    """REFRESH with TOKEN, asked again while it answers 503 (the store is coming back), for up to TIMEOUT s."""
    deadline = time.monotonic() + timeout
    while True:
        reply = refresh(client, token, check=False)
        if reply.status != 503 or time.monotonic() >= deadline:
            return reply
        time.sleep(0.2)


def _first_refusal(client, user, give_up_after: float) -> tuple[Reply, float]:  # noqa: ANN001 (a Client, an Account)
    """/api/test/user asked as USER until it is not 200 or GIVE_UP_AFTER s have passed: the last answer and
    the seconds from the first ask to it."""
    started = time.monotonic()
    while True:
        reply = client.get("/api/test/user", headers=user.headers(), timeout=(5, 10))
        if reply.status != 200 or time.monotonic() - started > give_up_after:
            return reply, time.monotonic() - started
        time.sleep(0.05)


def test_redis_paused_fails_protected_routes_closed_and_recovers_without_losing_a_session(
    private_redis: PrivateRedis, make_system: Callable[..., System], sessions: SessionTracker
) -> None:
    """Redis SIGSTOPped: within 2.5 s /api/test/user answers the documented 503 (the gateway's copy of
    the revocation record may be trusted for REVOCATION_MAX_LAG, 1 s, after Redis last answered), and
    each refusal is immediate; `/` and /api/test/all answer 200; after SIGCONT the same processes serve
    /api/test/user again within 10 s and every session still refreshes."""
    system = make_system(redis_url=private_redis.url, name="redis-paused")
    client = system.http
    user = sessions.track(create_account(client))
    for _ in range(3):
        sessions.track(create_account(client))
    # Refreshed and signed in only during the stall, and refreshed with the same token after it.
    stalled = create_account(client)
    pids = _pids(system)
    private_redis.pause()
    try:
        refused, waited = _first_refusal(client, user, give_up_after=2.5)
        assert refused.status == 503 and refused.message == SERVICE_UNAVAILABLE_MESSAGE, refused
        assert waited < 2.5, f"fail-closed only after {waited:.2f}s"
        assert refused.elapsed < 1.0, f"a fail-closed answer itself took {refused.elapsed:.2f}s"
        for path in ("/", "/api/test/all"):
            public = client.get(path, timeout=(5, 10))
            assert public.status == 200, f"public {path} during the Redis stall: {public}"
        # The session store and the sign-in throttle live in Redis: both routes fail with the documented
        # 503, and fast, rather than wait on a server that does not answer.
        for name, reply in (("refresh", refresh(client, stalled.refresh_token, check=False)),
                            ("signin", signin(client, stalled.username, stalled.password, check=False))):
            assert reply.status == 503 and reply.message == SERVICE_UNAVAILABLE_MESSAGE, f"{name}: {reply}"
            assert reply.elapsed < 3.0, f"{name} answered 503 only after {reply.elapsed:.2f}s"
        system.assert_all_live()
    finally:
        private_redis.resume()
    assert wait_until(lambda: client.get("/api/test/user", headers=user.headers(), check=False).status == 200, 10,
                      interval=0.2), "protected route did not recover within 10 s of the Redis resume"
    retried = _refresh_once_back(client, stalled.refresh_token)
    assert retried.status == 200, f"the refresh refused during the stall spent its token: {retried}"
    assert _refreshes(system, "reuse_detected") == 0
    assert _pids(system) == pids, "a process was restarted"
    after_batch(system, sessions)


def test_redis_killed_fails_protected_routes_closed_and_after_its_restart_the_sessions_go_on(
    private_redis: PrivateRedis, make_system: Callable[..., System], sessions: SessionTracker
) -> None:
    """Redis SIGKILLed, as a lost node: /api/test/user answers the documented 503 within 2 s (the
    gateway trusts its revocation copy for REVOCATION_MAX_LAG, 1 s, after Redis last answered), public
    content stays 200; Redis started again on its data (AOF): the protected route answers 200 within
    10 s, and the session's refresh token still rotates."""
    system = make_system(redis_url=private_redis.url, name="redis-killed")
    client = system.http
    user = sessions.track(create_account(client))
    assert client.get("/api/test/user", headers=user.headers()).status == 200
    private_redis.kill()
    try:
        refused, waited = _first_refusal(client, user, give_up_after=3)
        assert refused.status == 503 and refused.message == SERVICE_UNAVAILABLE_MESSAGE, refused
        assert waited < 2.0, f"fail-closed only after {waited:.2f}s"
        assert client.get("/api/test/all").status == 200
    finally:
        private_redis.start()
    assert wait_until(lambda: client.get("/api/test/user", headers=user.headers(), check=False).status == 200, 10,
                      interval=0.2), "protected route did not recover within 10 s of the Redis restart"
    after_batch(system, sessions)


def test_postgres_paused_answers_503_fast_and_changes_nothing_behind_the_clients_back(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis, make_system: Callable[..., System],
    sessions: SessionTracker,
) -> None:
    """PostgreSQL (postmaster and backends) SIGSTOPped for at least twice DATABASE_TIMEOUT: a signup, a
    signin and a refresh sent during the stall each answer the documented 503 within FAST seconds. After
    SIGCONT: the new name does not sign in (no account was made), the refresh retried with the same token
    after the grace window answers 200 (the client is no worse off), and every session still refreshes
    (today: 503 only at 15 s, the signup made the account, the late rotation turns the retry into reuse)."""
    system = make_system(database_url=private_postgres.url, redis_url=private_redis.url,
                         env={"DATABASE_TIMEOUT": str(DATABASE_TIMEOUT), "REFRESH_REUSE_GRACE": str(REFRESH_REUSE_GRACE)},
                         name="postgres-paused")
    client = system.http
    signer = create_account(client)
    refresher = create_account(client)
    for _ in range(3):
        sessions.track(create_account(client))
    newcomer = unique_name("stall")
    clients = [system.client(timeout=(5, 20)) for _ in range(3)]
    actions: list[tuple[str, Callable[[], Reply]]] = [
        ("signup", lambda: signup(clients[0], newcomer, check=False)),
        ("signin", lambda: signin(clients[1], signer.username, signer.password, check=False)),
        ("refresh", lambda: refresh(clients[2], refresher.refresh_token, check=False)),
    ]
    auth = system.service_client("auth")
    paused_at = time.monotonic()
    private_postgres.pause()
    try:
        with ThreadPoolExecutor(len(actions)) as pool:
            replies = dict(zip([name for name, _ in actions], pool.map(lambda item: item[1](), actions)))
        readiness = auth.get("/health/ready", check=False, timeout=(5, 20))
        # Stay paused past the deadline of anything still queued inside the auth service.
        time.sleep(max(0.0, 2 * DATABASE_TIMEOUT - (time.monotonic() - paused_at)))
        system.assert_all_live()
    finally:
        private_postgres.resume()
    problems = []
    for name, reply in replies.items():
        if reply.status != 503 or reply.message != SERVICE_UNAVAILABLE_MESSAGE:
            problems.append(f"{name} during the stall: {reply}")
        elif reply.elapsed > FAST:
            problems.append(f"{name} answered 503 only after {reply.elapsed:.1f}s (more than {FAST}s)")
    if readiness.status != 503 or readiness.elapsed > FAST:
        problems.append(f"the auth service's /health/ready during the stall: {readiness}")
    # Give anything that would still complete after the resume the time to do so, and let the grace
    # window of a rotation made behind the client's back run out.
    assert wait_until(lambda: client.get("/health/ready", check=False).status == 200, 20, interval=0.2)
    time.sleep(REFRESH_REUSE_GRACE + 1.0)
    created = signin(client, newcomer, check=False)
    if created.status != 401:
        problems.append(f"the signup answered {replies['signup'].status} created the account anyway: {created}")
    retry = refresh(client, refresher.refresh_token, check=False)
    if retry.status != 200:
        problems.append(f"the refresh answered {replies['refresh'].status} spent the token: retry got {retry}")
        TALLY.add("lost_sessions", example=f"refresh retried after a PostgreSQL stall: {retry}")
    else:
        # A live token rotates; a token rotated behind the client's back would be a successor replay.
        counted = {outcome: _refreshes(system, outcome) for outcome in ("rotated", "successor_replay")}
        if counted != {"rotated": 1, "successor_replay": 0}:
            problems.append(f"the retried refresh was not the one rotation of that token: {counted}")
        tokens = retry.json()
        refresher.access_token, refresher.refresh_token = tokens["accessToken"], tokens["refreshToken"]
        sessions.track(refresher)
    sessions.track(signer)
    lost = sessions.lost(client)
    problems += [f"lost session {entry}" for entry in lost]
    system.assert_all_live()
    assert not problems, "\n".join(problems)
