"""The web app against ``SESSION_COOKIES=only``: the session in HttpOnly cookies, no token in page script.

The page learns the mode from the signin answer, which has no token in this mode: it keeps only the
profile, sends no token header, refreshes with the refresh cookie, and on a reload first asks for a fresh
access token. Over plain http, so ``SESSION_COOKIE_SECURE=false`` as ``make run`` sets it.
"""

from __future__ import annotations

import json
import time
from typing import Iterator

import pytest

from support import accounts
from support.system import System

from .browser import Browser
from .conftest import ACCESS_TOKEN_TTL, WEBAPP_ENV
from .test_journey import PASSWORD, answers_since, board, log_in, register

COOKIES = {"SESSION_COOKIES": "only", "SESSION_COOKIE_SECURE": "false"}


@pytest.fixture(scope="module")
def cookie_system() -> Iterator[System]:
    """The web-app System (3-second access tokens) with the session in cookies only."""
    system = System(env={**WEBAPP_ENV, **COOKIES}, name="webapp-cookies")
    try:
        yield system
        system.assert_no_crash()
    finally:
        system.stop()


def script_visible_state(browser: Browser) -> str:
    """Everything page script can read: localStorage, sessionStorage and document.cookie, as one text."""
    return json.dumps(browser.driver.execute_script(
        "return {local: {...localStorage}, session: {...sessionStorage}, cookie: document.cookie};"))


def session_cookies(browser: Browser) -> dict[str, dict]:
    """Every cookie the browser keeps, HttpOnly ones and those of other paths included (DevTools), by name."""
    return {cookie["name"]: cookie for cookie in browser.driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]}


def test_the_session_lives_in_httponly_cookies_survives_expiry_and_reload_and_logout_ends_it(
    open_browser, cookie_system: System
) -> None:
    """Login keeps no token anywhere a script reads (localStorage, sessionStorage, document.cookie); the
    boards work; an expired access token is refreshed from the cookie; a reload keeps the user signed in
    and starts with a refresh; logout clears both cookies and ends the session on the server."""
    browser = open_browser(cookie_system.gateway_url())
    name = accounts.unique_name("webck")
    register(browser, name)
    assert browser.wait_text('[data-field="registered-message"]', "User registered successfully!")
    log_in(browser, name)
    user = browser.stored_user()
    assert user is not None and user["username"] == name and user.get("cookieSession") is True, user
    cookies = session_cookies(browser)
    assert {"access-token", "refresh-token"} <= set(cookies), cookies
    assert cookies["access-token"]["httpOnly"] and cookies["refresh-token"]["httpOnly"], cookies
    visible = script_visible_state(browser)
    for cookie in ("access-token", "refresh-token"):
        assert cookies[cookie]["value"] not in visible, f"the {cookie} is readable by page script: {visible}"
    assert "accessToken" not in visible and "refreshToken" not in visible, visible
    assert browser.text('[data-field="profile-token"]') == "in an HttpOnly cookie (no script can read it)"
    assert board(browser, "user") == "User Content."
    assert board(browser, "admin") == "Require Admin Role!"

    time.sleep(ACCESS_TOKEN_TTL + 1.5)
    start = len(browser.network())
    assert board(browser, "user") == "User Content."
    assert answers_since(browser, start, "/api/test/user") == [
        ("/api/test/user", 401), ("/api/auth/refreshtoken", 200), ("/api/test/user", 200)
    ]

    start = len(browser.network())
    browser.driver.refresh()
    browser.open("profile")
    browser.wait_view("profile")
    browser.wait_text('[data-field="profile-username"]', name)
    assert ("/api/auth/refreshtoken", 200) in answers_since(browser, start, "/api/auth/refreshtoken"), browser.network()[start:]
    assert board(browser, "user") == "User Content."
    refresh_token = session_cookies(browser)["refresh-token"]["value"]
    assert refresh_token not in script_visible_state(browser)

    browser.wait_visible('[data-action="logout"]').click()
    browser.wait_view("login")
    assert browser.wait_text('[data-field="notice"]', "You've been signed out!")
    assert browser.stored_user() is None
    assert not {"access-token", "refresh-token"} & set(session_cookies(browser)), session_cookies(browser)
    refused = accounts.refresh(cookie_system.http, refresh_token, check=False)
    assert refused.status == 403, str(refused)
    assert browser.foreign_requests() == [], "the page fetched something from another origin"
    assert browser.page_errors() == [], "script errors or CSP violations on the console"
