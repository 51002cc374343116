"""Generated hostile bodies (hypothesis, derandomized, fixed example counts) on every route.

Each test is one batch: a canary session is opened first, then every example is sent through the
gateway and must get a 4xx JSON answer (or the route's success where the body happens to be valid) and
change nothing (a refused signup made no account; no refresh or signin succeeds with junk); no process
may die during the batch, and after it every process answers /health/live and the canary still
refreshes.
"""

from __future__ import annotations

from typing import Callable

from hypothesis import example, given, settings
from hypothesis import strategies as st

from support.accounts import SessionTracker, create_account, signin
from support.http import Client, Reply
from support.system import System

from .bodies import JSON_TYPE, credentials_in, hostile_bodies
from .common import after_batch

#: Junk signins for names like rootadmin lock them in Redis: keep that away from every other System.
PRIVATE_REDIS = True

#: Examples per route: bounded so the whole module stays well under a minute on debug binaries.
SIGNUP_EXAMPLES = 150
SIGNIN_EXAMPLES = 100
REFRESH_EXAMPLES = 80
SIGNOUT_EXAMPLES = 60
GET_EXAMPLES = 80

#: Bodies over the 16 KiB the auth service read in effect before issue 7 (each killed the gateway on
#: signout: the service answered before the body was through), and near the 64 KiB limit.
PAD_20K = '{"pad":"%s"}' % ("x" * 20_000)
PAD_60K = '{"pad":"%s"}' % ("x" * 60_000)

#: Known offenders from issue 7, always tried first.
COMBINING_USERNAME = "".join(letter + "\u0301" * 90 for letter in "abc")  # 3 characters, 273 code points
COMBINING_EMAIL = "a" + "\u0301" * 260 + "@example.com"  # 13 characters, 273 code points


def _json(text: str) -> tuple[str, bytes]:
    return JSON_TYPE, text.encode("utf-8")


def _send(client: Client, path: str, content_type: str | None, body: bytes, headers: dict[str, str] | None = None,
          method: str = "POST") -> Reply:
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    return client.request(method, path, data=body, headers=all_headers)


def _example(system: System, content_type: str | None, body: bytes, run: Callable[[], None]) -> None:
    """Runs one example; any failure (a broken rule, a refused connection) is re-raised from this one
    place as an AssertionError naming the body and whether a process died, so hypothesis reports it as
    one consistent failure even when its replay meets a dead gateway."""
    try:
        run()
        system.assert_no_crash()
    except Exception as error:  # noqa: BLE001 (every failure of the example is reported the same way)
        dead = [process.status_report(6) for process in system.crashed()]
        note = f"\nprocess(es) died: {dead}" if dead else ""
        raise AssertionError(f"{type(error).__name__}: {error}\n  body ({content_type}): {body[:300]!r}{note}") from None


def _is_client_error(reply: Reply) -> bool:
    return 400 <= reply.status < 500


def _open_batch(system: System) -> SessionTracker:
    tracker = SessionTracker()
    tracker.track(create_account(system.http))
    return tracker


def test_generated_signup_bodies_are_refused_and_create_nothing(hostile_system: System) -> None:
    """Signup bodies of every hostile kind: each answer is a 4xx JSON error or, for a body that is in fact
    a valid signup, 200 with only ROLE_USER; after a refusal the name and password in the body do not
    sign in (today: 500 for a 3-character username of 273 code points)."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()

    @settings(max_examples=SIGNUP_EXAMPLES)
    @given(hostile_bodies())
    @example(_json('{"username":"%s","email":"combining@example.com","password":"secret-pw"}' % COMBINING_USERNAME))
    @example(_json('{"username":"combiningmail","email":"%s","password":"secret-pw"}' % COMBINING_EMAIL))
    @example(_json('{"username":"nul\\u0000name","email":"nul@example.com","password":"secret-pw"}'))
    @example(_json('{"username":"adminwannabe","email":"wannabe@example.com","password":"secret-pw","roles":["admin"]}'))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = _send(client, "/api/auth/signup", content_type, body)
            credentials = credentials_in(content_type, body)
            if reply.status == 200:
                assert credentials is not None, "signup accepted a body without credentials"
                account = signin(client, *credentials)
                assert account.json()["roles"] == ["ROLE_USER"], f"signup granted {account.json()['roles']}"
                return
            assert _is_client_error(reply), str(reply)
            if credentials is not None:
                after = signin(client, *credentials, check=False)
                assert after.status != 200, f"refused signup ({reply.status}) still made an account"

        _example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


def test_generated_signin_bodies_get_4xx_and_never_a_token(hostile_system: System) -> None:
    """Signin bodies of every hostile kind: each answer is a 4xx JSON error, never 200 (today: 500 for
    U+0000 in the username)."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()

    @settings(max_examples=SIGNIN_EXAMPLES)
    @given(hostile_bodies())
    @example(_json('{"username":"root\\u0000admin","password":"secret-pw"}'))
    @example(_json('{"username":"rootadmin","password":"pass\\u0000word"}'))
    @example(_json('{"username":"%s","password":"secret-pw"}' % COMBINING_USERNAME))
    @example(_json('{"username":"\\ud800","password":"secret-pw"}'))
    @example(_json(PAD_60K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = _send(client, "/api/auth/signin", content_type, body)
            assert _is_client_error(reply), str(reply)

        _example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


def test_generated_refresh_bodies_get_4xx_and_never_a_token(hostile_system: System) -> None:
    """Refresh bodies of every hostile kind: each answer is a 4xx JSON error, never 200, and the canary
    session (whose token is not among them) still refreshes afterwards."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()

    @settings(max_examples=REFRESH_EXAMPLES)
    @given(hostile_bodies())
    @example(_json('{"refreshToken":"\\u0000"}'))
    @example(_json('{"refreshToken":"%s"}' % ("A" * 60_000)))
    @example(_json('{"refreshToken":{"$gt":""}}'))
    @example(_json(PAD_20K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = _send(client, "/api/auth/refreshtoken", content_type, body)
            assert _is_client_error(reply), str(reply)

        _example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


def test_generated_signout_bodies_are_ignored_or_refused(hostile_system: System) -> None:
    """Signout with a valid token and a hostile body: 200 (the body does not matter) or a 4xx JSON error;
    a 200 really ends that session, and the canary session of the same user lives on."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()
    canary = sessions.accounts[0]

    @settings(max_examples=SIGNOUT_EXAMPLES)
    @given(hostile_bodies())
    @example(_json("{}"))
    @example(_json(PAD_20K))
    @example(_json(PAD_60K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            session = signin(client, canary.username, canary.password).json()
            token = {"x-access-token": session["accessToken"]}
            reply = _send(client, "/api/auth/signout", content_type, body, headers=token)
            assert reply.status == 200 or _is_client_error(reply), str(reply)
            if reply.status == 200:
                after = client.get("/api/test/user", headers=token)
                assert after.status == 401, f"signed-out token still opens /api/test/user: {after}"

        _example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


GET_PATHS = ["/", "/api/test/all", "/api/test/user", "/.well-known/jwks.json", "/api/test/admin", "/api/nothing"]


def test_generated_bodies_on_get_routes_are_ignored_or_refused(hostile_system: System) -> None:
    """GET routes given a hostile body (which they never read): 2xx or a 4xx JSON error, never a 5xx, and
    the gateway keeps serving (a dropped body must not be consumed twice)."""
    sessions = _open_batch(hostile_system)
    client = hostile_system.client()
    token = sessions.accounts[0].headers()

    @settings(max_examples=GET_EXAMPLES)
    @given(st.sampled_from(GET_PATHS), hostile_bodies())
    @example("/api/test/all", _json(PAD_20K))
    @example("/api/test/user", _json(PAD_60K))
    @example("/api/nothing", _json(PAD_60K))
    def check(path: str, case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = _send(client, path, content_type, body, headers=token, method="GET")
            assert reply.status < 300 or _is_client_error(reply), str(reply)

        _example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)
