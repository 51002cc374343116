"""Angular 12-17 "JWT Authentication with HttpOnly Cookie" against ``SESSION_COOKIES=only``.

The editions' own service code (``auth.service.ts``, ``user.service.ts``, ``http.interceptor.ts``,
``storage.service.ts``; see ``catalogue.ANGULAR_COOKIE``) replayed request for request, with the browser's
cookie jar made explicit (``browser.CookieJar``): the session lives in two HttpOnly cookies the page never
sees, the signin body the page stores carries no token, and logout clears both. ``SESSION_COOKIE_SECURE``
is false as for plain-http development (``make run``): a browser sends no ``Secure`` cookie over http.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from support.accounts import DEFAULT_PASSWORD, signup, unique_name
from support.http import Client
from support.system import ADMIN_PASSWORD, ADMIN_USERNAME, System

from .catalogue import ANGULAR_COOKIE, REACT_VUE_ORIGIN, by_repo
from .clients import AngularCookiePage, parse_jwt
from .conftest import SHORT_TOKENS, _run, system_with_default_cors
from .visits import BOARDS, assert_boards_of_a_user, open_page, register_and_sign_in, wait_until_expired

COOKIES = {"SESSION_COOKIES": "only", "SESSION_COOKIE_SECURE": "false"}
ACCESS, REFRESH = "access-token", "refresh-token"
SIGNED_OUT = "You've been signed out!"
NO_TOKEN = "No token provided!"
REFRESH_EDITION = by_repo("angular-17-refresh-token")


@pytest.fixture(scope="module")
def cookie_system() -> Iterator[System]:
    """Every default (CORS included) but SESSION_COOKIES=only over plain http."""
    yield from _run(system_with_default_cors("cookie-sessions", COOKIES))


@pytest.fixture(scope="module")
def short_cookie_system() -> Iterator[System]:
    """As ``cookie_system``, with access tokens of 2 s and no refresh grace (``SHORT_TOKENS``)."""
    yield from _run(system_with_default_cors("cookie-sessions-short", {**COOKIES, **SHORT_TOKENS}))


def admin_token(client: Client) -> str:
    """The bootstrap admin's access token, from the access cookie of its signin (no body carries one)."""
    reply = client.post("/api/auth/signin", json={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD})
    assert reply.status == 200 and "accessToken" not in reply.json(), reply
    cookie = next(field for field in reply.set_cookies if field.startswith(ACCESS + "="))
    return cookie.split(";", 1)[0].split("=", 1)[1]


def assert_session_cookies(page: AngularCookiePage) -> None:
    """Both cookies kept, HttpOnly, on their paths; none a script could read; no token in storage."""
    access, refresh = page.browser.jar.get(ACCESS), page.browser.jar.get(REFRESH)
    assert access is not None and refresh is not None, page.browser.jar
    assert (access.path, access.http_only, access.same_site) == ("/api", True, "Strict"), access
    assert (refresh.path, refresh.http_only, refresh.same_site) == ("/api/auth", True, "Strict"), refresh
    assert page.browser.jar.script_visible() == "", "document.cookie must hold no session cookie"
    assert "accessToken" not in page.user and "refreshToken" not in page.user, page.user


@pytest.mark.parametrize("frontend", ANGULAR_COOKIE, ids=str)
def test_register_login_boards_and_logout_work_with_the_session_in_cookies(
    cookie_system: System, frontend
) -> None:
    """Register, Login (the stored user has id, username, email, roles and no token), the boards of a user
    (200, and the role refusals), logout 200 with both cookies cleared; then the User board says
    "No token provided!" and the refresh cookie no longer refreshes."""
    page = open_page(AngularCookiePage, cookie_system, frontend, REACT_VUE_ORIGIN, credentials=True)
    register_and_sign_in(page, with_tokens=False)
    assert_session_cookies(page)
    refresh_token = page.browser.jar.get(REFRESH).value
    assert page.browser.jar.header("/api/test/user") == f"{ACCESS}={page.browser.jar.get(ACCESS).value}", (
        "the refresh cookie must go to /api/auth only"
    )
    assert_boards_of_a_user(page)
    page.logout()
    assert page.last_signout is not None
    assert (page.last_signout.status, page.last_signout.message) == (200, SIGNED_OUT), page.last_signout
    assert page.browser.jar.names() == set(), page.last_signout.set_cookies
    assert not page.signed_in
    board = page.board("user")
    assert (board.status, board.content) == (403, NO_TOKEN), board
    replayed = cookie_system.client().post("/api/auth/refreshtoken", json={"refreshToken": refresh_token}, check=False)
    assert replayed.status == 403, f"the signed-out session still refreshes: {replayed}"


@pytest.mark.parametrize("frontend", [ANGULAR_COOKIE[0], REFRESH_EDITION], ids=str)
def test_a_moderator_made_by_an_admin_sees_the_moderator_board(cookie_system: System, frontend) -> None:
    """An account an admin signed up with ["moderator", "user"] (the admin's token sent as a header, which
    wins over cookies) gets the Moderator board through the cookie, and the Admin board's refusal."""
    client = cookie_system.client()
    name = unique_name("mod")
    assert signup(client, name, roles=["moderator", "user"], token=admin_token(client)).status == 200
    page = open_page(AngularCookiePage, cookie_system, frontend, REACT_VUE_ORIGIN, credentials=True)
    assert page.login(name, DEFAULT_PASSWORD).status == 200
    assert sorted(page.user["roles"]) == ["ROLE_MODERATOR", "ROLE_USER"], page.user
    assert_session_cookies(page)
    mod, admin = page.board("mod"), page.board("admin")
    assert (mod.status, mod.content) == (200, BOARDS["mod"]), mod
    assert (admin.status, admin.content) == (403, "Require Admin Role!"), admin


def test_an_expired_access_cookie_is_refreshed_from_the_refresh_cookie_and_the_board_retried(
    short_cookie_system: System,
) -> None:
    """angular-17-refresh-token: once the access token has expired, the User board's 401 makes the
    interceptor POST refreshtoken with ``{}``; the refresh cookie is rotated, the answer is the message and
    no token, and the retried board shows its content."""
    page = open_page(AngularCookiePage, short_cookie_system, REFRESH_EDITION, REACT_VUE_ORIGIN, credentials=True)
    register_and_sign_in(page, with_tokens=False)
    first_access, first_refresh = page.browser.jar.get(ACCESS).value, page.browser.jar.get(REFRESH).value
    wait_until_expired(first_access)
    board = page.board("user")
    assert (board.status, board.content) == (200, BOARDS["user"]), board
    assert [(reply.status, reply.json()) for reply in page.refreshes] == [
        (200, {"message": "Token is refreshed successfully!"})
    ], page.refreshes
    assert_session_cookies(page)
    assert page.browser.jar.get(ACCESS).value != first_access
    assert page.browser.jar.get(REFRESH).value != first_refresh, "the refresh cookie was not rotated"
    assert parse_jwt(page.browser.jar.get(ACCESS).value)["exp"] > parse_jwt(first_access)["exp"]


@pytest.mark.parametrize("frontend", [by_repo("angular-16-jwt-auth")], ids=str)
def test_logout_with_an_expired_access_cookie_still_ends_the_session(short_cookie_system: System, frontend) -> None:
    """The 14-16 editions have no refresh: an expired access cookie gets 401 "expired" on the board, and
    logout still answers 200, clears both cookies and ends the session the refresh cookie names."""
    page = open_page(AngularCookiePage, short_cookie_system, frontend, REACT_VUE_ORIGIN, credentials=True)
    register_and_sign_in(page, with_tokens=False)
    refresh_token = page.browser.jar.get(REFRESH).value
    wait_until_expired(page.browser.jar.get(ACCESS).value)
    board = page.board("user")
    assert board.status == 401, board
    page.logout()
    assert page.last_signout is not None
    assert (page.last_signout.status, page.last_signout.message) == (200, SIGNED_OUT), page.last_signout
    assert page.browser.jar.names() == set() and not page.signed_in
    replayed = short_cookie_system.client().post(
        "/api/auth/refreshtoken", json={"refreshToken": refresh_token}, check=False
    )
    assert replayed.status == 403, f"the session survived the signout: {replayed}"


def test_a_refused_refresh_signs_the_page_out(short_cookie_system: System) -> None:
    """angular-17-refresh-token: a stolen refresh token replayed after the page rotated it revokes the
    session (reuse detection works on cookies as on bodies); the page's next board gets 401, its refresh
    403, and the "logout" event's signout answers 200 and clears the cookies: the page is signed out."""
    page = open_page(AngularCookiePage, short_cookie_system, REFRESH_EDITION, REACT_VUE_ORIGIN, credentials=True)
    register_and_sign_in(page, with_tokens=False)
    stolen = page.browser.jar.get(REFRESH).value
    # Two refreshes: a spent token whose successor was never used gets that successor again (a client
    # that lost the answer); once the successor has been used, the spent one is reuse.
    for refreshes in (1, 2):
        wait_until_expired(page.browser.jar.get(ACCESS).value)
        assert page.board("user").status == 200 and len(page.refreshes) == refreshes, page.refreshes
    attacker = short_cookie_system.client().post("/api/auth/refreshtoken", json={"refreshToken": stolen}, check=False)
    assert attacker.status == 403, attacker
    board = page.board("user")
    assert board.status == 403, board
    assert [reply.status for reply in page.refreshes] == [200, 200, 403], page.refreshes
    assert page.last_signout is not None
    assert (page.last_signout.status, page.last_signout.message) == (200, SIGNED_OUT), page.last_signout
    assert page.browser.jar.names() == set() and not page.signed_in
