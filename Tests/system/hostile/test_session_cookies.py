"""Session cookies (``SESSION_COOKIES=only``) under attack: cross-site requests, forged cookie fields, and
a refresh cookie where it does not belong.

Every client here sends exactly the ``Cookie`` field the test writes: requests' own cookie jar is off.
"""

from __future__ import annotations

import pytest

from support.accounts import DEFAULT_PASSWORD, create_account, unique_name
from support.http import Client, Reply
from support.rawhttp import RawConnection, request_bytes
from support.system import System

from .common import expect_answer

SYSTEM_ENV = {"SESSION_COOKIES": "only", "SESSION_COOKIE_SECURE": "false"}
ACCESS, REFRESH = "access-token", "refresh-token"
REFUSED = "Cross-site request refused"
TRUSTED = "http://localhost:8081"  # one of the default CORS_ALLOWED_ORIGINS


def client(system: System) -> Client:
    return system.client()  # keeps no cookies: each request sends the Cookie field it is given


def cookie_value(reply: Reply, name: str) -> str:
    field = next(field for field in reply.set_cookies if field.startswith(name + "="))
    return field.split(";", 1)[0].split("=", 1)[1]


def signed_in(system: System) -> tuple[str, str, str]:
    """A new user signed in through the cookies: (username, access token, refresh token)."""
    http = client(system)
    name = unique_name("ck")
    assert http.post("/api/auth/signup", json={"username": name, "email": f"{name}@example.com",
                                               "password": DEFAULT_PASSWORD}).status == 200
    reply = http.post("/api/auth/signin", json={"username": name, "password": DEFAULT_PASSWORD})
    assert reply.status == 200 and "accessToken" not in reply.json(), reply
    return name, cookie_value(reply, ACCESS), cookie_value(reply, REFRESH)


#: (Content-Type, Origin) of requests a cross-site page (or a form) can make the browser send with cookies.
CROSS_SITE = [
    pytest.param("application/x-www-form-urlencoded", "http://evil.example", id="form-encoded"),
    pytest.param("text/plain", "http://evil.example", id="text-plain"),
    pytest.param("application/x-www-form-urlencoded", TRUSTED, id="form-from-a-trusted-origin"),
    pytest.param("application/json", None, id="no-origin"),
    pytest.param("application/json", "null", id="origin-null"),
    pytest.param("application/json", TRUSTED + ".evil.example", id="lookalike-suffix"),
    pytest.param("application/json", "http://localhost:80810", id="lookalike-port"),
    pytest.param("application/json", "https://localhost:8081", id="other-scheme"),
]


@pytest.mark.parametrize(("content_type", "origin"), CROSS_SITE)
def test_a_cross_site_post_with_the_cookies_is_refused_and_changes_nothing(
    hostile_system: System, content_type: str, origin: str | None
) -> None:
    """Signout, refresh and a password change sent with both cookies but without a trusted Origin and a
    JSON type are 403 "Cross-site request refused", set no cookie, and leave the session, its tokens and
    the password as they were."""
    name, access, refresh = signed_in(hostile_system)
    http = client(hostile_system)
    cookies = f"{ACCESS}={access}; {REFRESH}={refresh}"
    headers = {"Content-Type": content_type, "Cookie": cookies, **({"Origin": origin} if origin else {})}
    bodies = {
        "/api/auth/signout": "{}",
        "/api/auth/refreshtoken": "{}",
        "/api/auth/password": f'{{"currentPassword":"{DEFAULT_PASSWORD}","newPassword":"changed-pw"}}',
    }
    for path, body in bodies.items():
        reply = http.post(path, data=body, headers=headers)
        assert (reply.status, reply.message) == (403, REFUSED), reply
        assert reply.set_cookies == [], f"{path}: {reply.set_cookies}"
    board = http.get("/api/test/user", headers={"Cookie": f"{ACCESS}={access}"})
    assert (board.status, board.text) == (200, "User Content."), f"the session was ended: {board}"
    rotated = http.post("/api/auth/refreshtoken", json={}, headers={"Cookie": f"{REFRESH}={refresh}", "Origin": TRUSTED})
    assert rotated.status == 200, f"the refresh token was spent or revoked: {rotated}"
    again = http.post("/api/auth/signin", json={"username": name, "password": DEFAULT_PASSWORD})
    assert again.status == 200, f"the password was changed: {again}"


def test_the_same_requests_from_a_trusted_origin_with_json_are_taken(hostile_system: System) -> None:
    """The control: with ``Origin`` a trusted origin and a JSON body, the cookie signout ends the session."""
    _, access, refresh = signed_in(hostile_system)
    http = client(hostile_system)
    reply = http.post("/api/auth/signout", json={}, headers={"Cookie": f"{ACCESS}={access}; {REFRESH}={refresh}",
                                                             "Origin": TRUSTED})
    assert (reply.status, reply.message) == (200, "You've been signed out!"), reply
    assert sorted(field.split(";", 1)[0] for field in reply.set_cookies) == [f"{ACCESS}=", f"{REFRESH}="], reply.set_cookies
    board = http.get("/api/test/user", headers={"Cookie": f"{ACCESS}={access}"})
    assert board.status == 401, f"a signed-out access cookie still works: {board}"


@pytest.mark.parametrize("value", [
    pytest.param("{token},Path=/", id="comma"),
    pytest.param('"{token}"', id="quoted"),
    pytest.param("{token}%3BPath%3D%2F", id="percent-encoded-separator"),
    pytest.param("{token} x", id="space-inside"),
    pytest.param("", id="empty"),
    pytest.param("a" * 9000, id="oversized"),
])
def test_a_forged_session_cookie_is_400(hostile_system: System, value: str) -> None:
    """A session cookie whose value is not a token's characters, empty or oversized is 400, on a board and
    on refresh alike; nothing is forwarded."""
    _, access, _ = signed_in(hostile_system)
    forged = value.format(token=access)
    http = client(hostile_system)
    for method, path in (("GET", "/api/test/user"), ("POST", "/api/auth/refreshtoken")):
        cookie = f"{ACCESS}={forged}" if path.startswith("/api/test") else f"{REFRESH}={forged}"
        reply = http.request(method, path, headers={"Cookie": cookie, "Origin": TRUSTED, "Content-Type": "application/json"},
                             data="{}" if method == "POST" else None)
        assert (reply.status, reply.message) == (400, "Malformed session cookie"), f"{path} {cookie[:80]}: {reply}"


def test_attributes_in_a_cookie_field_are_other_cookies_not_attributes(hostile_system: System) -> None:
    """``access-token=<token>; Path=/; HttpOnly`` sent by a client: ``Path`` and ``HttpOnly`` are cookies of
    other names, ignored; the access cookie is the token, checked as ever (and refused once signed out)."""
    _, access, refresh = signed_in(hostile_system)
    http = client(hostile_system)
    injected = {"Cookie": f"{ACCESS}={access}; Path=/; HttpOnly; Max-Age=99999"}
    board = http.get("/api/test/user", headers=injected)
    assert (board.status, board.text) == (200, "User Content."), board
    out = http.post("/api/auth/signout", json={}, headers={"Cookie": f"{ACCESS}={access}; {REFRESH}={refresh}", "Origin": TRUSTED})
    assert out.status == 200, out
    assert http.get("/api/test/user", headers=injected).status == 401


def test_a_duplicated_session_cookie_is_400_in_one_field_or_two(hostile_system: System) -> None:
    """Two access cookies (the same or different values, in one Cookie field or in two) are 400: a jar that
    says two things is not guessed at."""
    _, access, _ = signed_in(hostile_system)
    _, other, _ = signed_in(hostile_system)
    http = client(hostile_system)
    for cookie in (f"{ACCESS}={access}; {ACCESS}={access}", f"{ACCESS}={access}; {ACCESS}={other}"):
        reply = http.get("/api/test/user", headers={"Cookie": cookie})
        assert (reply.status, reply.message) == (400, "Duplicate session cookie"), reply
    with RawConnection(hostile_system.gateway_port) as conn:
        conn.send(request_bytes("GET", "/api/test/user", [("Cookie", f"{ACCESS}={access}"), ("Cookie", f"{ACCESS}={other}")]))
        outcome = conn.read_response(5.0)
    expect_answer(outcome, {400}, "GET", "/api/test/user", "two Cookie fields with an access cookie each")


def test_a_refresh_cookie_authenticates_nothing_but_refresh_and_signout(hostile_system: System) -> None:
    """The refresh cookie alone, sent where it does not belong (a board, the profile, a password change,
    or in the access cookie's place), is not taken as a credential: the gateway forwards it to no service
    but refresh and signout, so these answer as without any token."""
    _, _, refresh = signed_in(hostile_system)
    http = client(hostile_system)
    only_refresh = {"Cookie": f"{REFRESH}={refresh}", "Origin": TRUSTED}
    for method, path in (("GET", "/api/test/user"), ("GET", "/api/auth/me"), ("POST", "/api/auth/password")):
        reply = http.request(method, path, headers={**only_refresh, "Content-Type": "application/json"},
                             data='{"currentPassword":"x","newPassword":"y-y-y-y"}' if method == "POST" else None)
        assert (reply.status, reply.message) == (403, "No token provided!"), f"{method} {path}: {reply}"
    as_access = http.get("/api/test/user", headers={"Cookie": f"{ACCESS}={refresh}"})
    assert as_access.status == 401, as_access
    rotated = http.post("/api/auth/refreshtoken", json={}, headers=only_refresh)
    assert rotated.status == 200, f"the refresh cookie itself was spent or refused: {rotated}"
