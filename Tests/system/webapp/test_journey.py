"""The web app in a real browser, against the real services through the gateway.

What the tutorial's frontends do, done by a person in headless Chromium: register (with the client-side
checks), log in, the profile, the boards, a refused board, an access token that expires while the page
is open (the page refreshes it and goes on), a refresh the server refuses (the page signs out), and
logging out (which ends the session on the server, not only in the browser).
"""

from __future__ import annotations

import time

from support import accounts, config
from support.system import ADMIN_PASSWORD, ADMIN_USERNAME, System

from .browser import Browser
from .conftest import ACCESS_TOKEN_TTL

PASSWORD = "browser-pw-1"


def register(browser: Browser, username: str, email: str | None = None, password: str = PASSWORD) -> None:
    """Fills and sends the sign-up form."""
    browser.open("register")
    browser.fill("register", username=username, email=email or f"{username}@example.com", password=password)
    browser.submit("register")


def log_in(browser: Browser, username: str, password: str = PASSWORD) -> None:
    """Fills and sends the login form and waits for the profile page."""
    browser.open("login")
    browser.fill("login", username=username, password=password)
    browser.submit("login")
    browser.wait_view("profile")
    browser.wait_text('[data-field="profile-username"]', username)


def board(browser: Browser, route: str) -> str:
    """Opens board ROUTE with the page's own link when it shows one (else by address); its text once loaded."""
    if browser.displayed(f'[data-link="{route}"]'):
        browser.go(route)
    else:
        browser.open(route)
    browser.wait_view("board")
    browser.wait_until(lambda: browser.text('[data-field="board-content"]').strip() != "",
                       f"board {route} never showed its content")
    return browser.text('[data-field="board-content"]').strip()


def answers_since(browser: Browser, start: int, path: str) -> list[tuple[str, int]]:
    """(path, status) of the page's answers after the first START, for PATH and the refresh route."""
    return [(a.path, a.status) for a in browser.network()[start:]
            if a.path in (path, "/api/auth/refreshtoken")]


def test_register_login_boards_refresh_and_logout(browser: Browser, webapp_system: System) -> None:
    """The whole journey: register, log in, user board, admin refused, a token expiry survived, logout."""
    name = accounts.unique_name("web")
    register(browser, name)
    assert browser.wait_text('[data-field="registered-message"]', "User registered successfully!")

    log_in(browser, name)
    # A picture of the logged-in page in every run's output (the README's screenshot comes from here).
    (config.output_dir() / "webapp").mkdir(parents=True, exist_ok=True)
    browser.driver.save_screenshot(str(config.output_dir() / "webapp" / "logged-in.png"))
    user = browser.stored_user()
    assert user is not None and user["username"] == name and user["roles"] == ["ROLE_USER"], user
    assert browser.text('[data-field="profile-email"]') == f"{name}@example.com"
    assert browser.text('[data-field="profile-roles"]') == "ROLE_USER"
    assert not browser.displayed('[data-link="admin"]') and not browser.displayed('[data-link="mod"]')

    assert board(browser, "user") == "User Content."
    assert board(browser, "admin") == "Require Admin Role!"
    assert browser.stored_user() is not None, "a refused board must not sign the user out"

    # Wait out the access token, then use the page: it must refresh (401 -> refresh -> retry) and go on.
    before = browser.stored_user()
    time.sleep(ACCESS_TOKEN_TTL + 1.5)
    start = len(browser.network())
    assert board(browser, "user") == "User Content."
    assert answers_since(browser, start, "/api/test/user") == [
        ("/api/test/user", 401), ("/api/auth/refreshtoken", 200), ("/api/test/user", 200)
    ]
    after = browser.stored_user()
    assert after is not None and after["accessToken"] != before["accessToken"], "the page kept the expired token"
    assert after["refreshToken"] != before["refreshToken"], "the page did not keep the rotated refresh token"
    browser.go("home")
    assert browser.wait_text('[data-field="home-content"]', "Public Content.")

    browser.wait_visible('[data-action="logout"]').click()
    browser.wait_view("login")
    assert browser.wait_text('[data-field="notice"]', "You've been signed out!")
    assert browser.stored_user() is None, "logout left tokens in localStorage"
    assert browser.displayed('[data-link="login"]') and not browser.displayed('[data-action="logout"]')
    signout_answers = [a.status for a in browser.network() if a.path == "/api/auth/signout"]
    assert signout_answers and signout_answers[-1] == 200, signout_answers
    # Logging out ended the session on the server: its refresh token is refused.
    refused = accounts.refresh(webapp_system.http, after["refreshToken"], check=False)
    assert refused.status == 403, str(refused)
    assert browser.foreign_requests() == [], "the page fetched something from another origin"
    assert browser.page_errors() == [], "script errors or CSP violations on the console"


def test_register_checks_fields_before_sending(browser: Browser) -> None:
    """The tutorial's client-side rules: the form names each broken field and sends nothing."""
    browser.open("register")
    browser.submit("register")
    for field in ("username", "email", "password"):
        assert browser.text(f"#register-{field}-error") == "This field is required!"
    register(browser, "ab", email="not-an-email", password="12345")
    assert browser.text("#register-username-error") == "The username must be between 3 and 20 characters."
    assert browser.text("#register-email-error") == "This is not a valid email."
    assert browser.text("#register-password-error") == "The password must be between 6 and 40 characters."
    assert browser.driver.find_element("id", "register-username").get_attribute("aria-invalid") == "true"
    assert not [a for a in browser.network() if a.path == "/api/auth/signup"], "invalid input was sent"


def test_api_errors_are_shown_from_their_message(browser: Browser, webapp_system: System) -> None:
    """A taken name at signup and a wrong password at login show the API's own message."""
    taken = accounts.create_account(webapp_system.http, password=PASSWORD)
    register(browser, taken.username.upper(), email=f"other-{taken.username}@example.com")
    assert browser.wait_text('[data-form="register"] [data-field="error"]', "Failed! Username is already in use!")
    browser.open("login")
    browser.fill("login", username=taken.username, password="wrong-password")
    browser.submit("login")
    assert browser.wait_text('[data-form="login"] [data-field="error"]', "Invalid username or password!")
    assert browser.stored_user() is None


def test_moderator_and_admin_see_their_boards(browser: Browser, webapp_system: System) -> None:
    """A moderator (made by the admin) gets the moderator board link and content; the admin the admin board."""
    admin = accounts.admin(webapp_system.http)
    moderator = accounts.create_account(webapp_system.http, password=PASSWORD, roles=["moderator"], admin=admin)
    log_in(browser, moderator.username)
    assert browser.displayed('[data-link="mod"]') and not browser.displayed('[data-link="admin"]')
    assert board(browser, "mod") == "Moderator Content."
    assert board(browser, "admin") == "Require Admin Role!"
    browser.wait_visible('[data-action="logout"]').click()
    browser.wait_view("login")

    log_in(browser, ADMIN_USERNAME, ADMIN_PASSWORD)
    assert browser.displayed('[data-link="admin"]')
    assert board(browser, "admin") == "Admin Content."
    assert browser.text('[data-link="profile"]') == ADMIN_USERNAME


def test_refused_refresh_signs_the_page_out(browser: Browser, webapp_system: System) -> None:
    """When the session is ended elsewhere, the next call's 401 leads to a refused refresh and a signed-out page."""
    account = accounts.create_account(webapp_system.http, password=PASSWORD)
    log_in(browser, account.username)
    # "Sign out everywhere" from another device (a fresh session, so its token cannot have expired yet).
    elsewhere = accounts.existing_account(webapp_system.http, account.username, PASSWORD)
    ended = webapp_system.http.post("/api/auth/signout?scope=global", headers=elsewhere.headers())
    assert ended.status == 200, str(ended)
    start = len(browser.network())
    browser.go("user")
    browser.wait_view("login")
    assert browser.wait_text('[data-field="notice"]', "Your session has ended. Please log in again.")
    assert browser.stored_user() is None
    assert answers_since(browser, start, "/api/test/user") == [("/api/test/user", 401), ("/api/auth/refreshtoken", 403)]


def test_optional_pages_follow_the_routes_that_exist(browser: Browser, webapp_system: System) -> None:
    """Profile source, Sessions and Users (admin) follow their routes: used when they answer, hidden on 404."""
    log_in(browser, ADMIN_USERNAME, ADMIN_PASSWORD)
    probed = {a.path for a in browser.network()}
    token = browser.stored_user()["accessToken"]
    for route, probe in (("sessions", "/api/auth/sessions"), ("users", "/api/admin/users?limit=1")):
        assert probe in probed, f"the page never asked {probe}"
        status = webapp_system.http.get(probe, headers={"x-access-token": token}, check=False).status
        assert browser.displayed(f'[data-link="{route}"]') == (status != 404), f"{route} link vs {probe} -> {status}"
    assert "/api/auth/me" in probed, "the page never asked /api/auth/me"
    me = webapp_system.http.get("/api/auth/me", headers={"x-access-token": token}, check=False).status
    source = "From /api/auth/me." if me != 404 else "From the signin answer."
    assert browser.wait_text('[data-field="profile-source"]', source)
