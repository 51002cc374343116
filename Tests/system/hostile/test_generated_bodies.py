"""Generated hostile bodies (hypothesis, derandomized, fixed example counts) on the tutorial's routes.

Each test is one batch: a canary session is opened first, then every example is sent through the
gateway and must get a 4xx JSON answer (or the route's success where the body happens to be valid) and
change nothing (a refused signup made no account; no refresh or signin succeeds with junk); no process
may die during the batch, and after it every process answers /health/live and the canary still
refreshes. The account and admin routes have theirs in test_generated_account_bodies.py.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from support.accounts import signin
from support.system import System

from .bodies import credentials_in, hostile_bodies
from .common import after_batch
from .generated import (COMBINING_EMAIL, COMBINING_USERNAME, PAD_20K, PAD_60K, is_client_error, json_body, open_batch,
                        run_example, send)

#: Junk signins for names like rootadmin lock them in Redis: keep that away from every other System.
PRIVATE_REDIS = True

#: Examples per route: bounded so the whole module stays well under a minute on debug binaries.
SIGNUP_EXAMPLES = 150
SIGNIN_EXAMPLES = 100
REFRESH_EXAMPLES = 80
SIGNOUT_EXAMPLES = 60
GET_EXAMPLES = 80


def test_generated_signup_bodies_are_refused_and_create_nothing(hostile_system: System) -> None:
    """Signup bodies of every hostile kind: each answer is a 4xx JSON error or, for a body that is in fact
    a valid signup, 200 with only ROLE_USER; after a refusal the name and password in the body do not
    sign in (today: 500 for a 3-character username of 273 code points)."""
    sessions = open_batch(hostile_system)
    client = hostile_system.client()

    @settings(max_examples=SIGNUP_EXAMPLES)
    @given(hostile_bodies())
    @example(json_body('{"username":"%s","email":"combining@example.com","password":"secret-pw"}' % COMBINING_USERNAME))
    @example(json_body('{"username":"combiningmail","email":"%s","password":"secret-pw"}' % COMBINING_EMAIL))
    @example(json_body('{"username":"nul\\u0000name","email":"nul@example.com","password":"secret-pw"}'))
    @example(json_body('{"username":"adminwannabe","email":"wannabe@example.com","password":"secret-pw","roles":["admin"]}'))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = send(client, "/api/auth/signup", content_type, body)
            credentials = credentials_in(content_type, body)
            if reply.status == 200:
                assert credentials is not None, "signup accepted a body without credentials"
                account = signin(client, *credentials)
                assert account.json()["roles"] == ["ROLE_USER"], f"signup granted {account.json()['roles']}"
                return
            assert is_client_error(reply), str(reply)
            if credentials is not None:
                after = signin(client, *credentials, check=False)
                assert after.status != 200, f"refused signup ({reply.status}) still made an account"

        run_example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


def test_generated_signin_bodies_get_4xx_and_never_a_token(hostile_system: System) -> None:
    """Signin bodies of every hostile kind: each answer is a 4xx JSON error, never 200 (today: 500 for
    U+0000 in the username)."""
    sessions = open_batch(hostile_system)
    client = hostile_system.client()

    @settings(max_examples=SIGNIN_EXAMPLES)
    @given(hostile_bodies())
    @example(json_body('{"username":"root\\u0000admin","password":"secret-pw"}'))
    @example(json_body('{"username":"rootadmin","password":"pass\\u0000word"}'))
    @example(json_body('{"username":"%s","password":"secret-pw"}' % COMBINING_USERNAME))
    @example(json_body('{"username":"\\ud800","password":"secret-pw"}'))
    @example(json_body(PAD_60K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = send(client, "/api/auth/signin", content_type, body)
            assert is_client_error(reply), str(reply)

        run_example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


def test_generated_refresh_bodies_get_4xx_and_never_a_token(hostile_system: System) -> None:
    """Refresh bodies of every hostile kind: each answer is a 4xx JSON error, never 200, and the canary
    session (whose token is not among them) still refreshes afterwards."""
    sessions = open_batch(hostile_system)
    client = hostile_system.client()

    @settings(max_examples=REFRESH_EXAMPLES)
    @given(hostile_bodies())
    @example(json_body('{"refreshToken":"\\u0000"}'))
    @example(json_body('{"refreshToken":"%s"}' % ("A" * 60_000)))
    @example(json_body('{"refreshToken":{"$gt":""}}'))
    @example(json_body(PAD_20K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = send(client, "/api/auth/refreshtoken", content_type, body)
            assert is_client_error(reply), str(reply)

        run_example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


def test_generated_signout_bodies_are_ignored_or_refused(hostile_system: System) -> None:
    """Signout with a valid token and a hostile body: 200 (the body does not matter) or a 4xx JSON error;
    a 200 really ends that session, and the canary session of the same user lives on."""
    sessions = open_batch(hostile_system)
    client = hostile_system.client()
    canary = sessions.accounts[0]

    @settings(max_examples=SIGNOUT_EXAMPLES)
    @given(hostile_bodies())
    @example(json_body("{}"))
    @example(json_body(PAD_20K))
    @example(json_body(PAD_60K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            session = signin(client, canary.username, canary.password).json()
            token = {"x-access-token": session["accessToken"]}
            reply = send(client, "/api/auth/signout", content_type, body, headers=token)
            assert reply.status == 200 or is_client_error(reply), str(reply)
            if reply.status == 200:
                after = client.get("/api/test/user", headers=token)
                assert after.status == 401, f"signed-out token still opens /api/test/user: {after}"

        run_example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)


GET_PATHS = ["/", "/api/test/all", "/api/test/user", "/.well-known/jwks.json", "/api/test/admin", "/api/nothing"]


def test_generated_bodies_on_get_routes_are_ignored_or_refused(hostile_system: System) -> None:
    """GET routes given a hostile body (which they never read): 2xx or a 4xx JSON error, never a 5xx, and
    the gateway keeps serving (a dropped body must not be consumed twice)."""
    sessions = open_batch(hostile_system)
    client = hostile_system.client()
    token = sessions.accounts[0].headers()

    @settings(max_examples=GET_EXAMPLES)
    @given(st.sampled_from(GET_PATHS), hostile_bodies())
    @example("/api/test/all", json_body(PAD_20K))
    @example("/api/test/user", json_body(PAD_60K))
    @example("/api/nothing", json_body(PAD_60K))
    def check(path: str, case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = send(client, path, content_type, body, headers=token, method="GET")
            assert reply.status < 300 or is_client_error(reply), str(reply)

        run_example(hostile_system, content_type, body, run)

    check()
    after_batch(hostile_system, sessions)
