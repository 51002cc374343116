"""The page's account pages (issue 10) in Chromium, against the real services through the gateway.

The profile from ``/api/auth/me``, the Sessions page (one user signed in on two devices: list them, end
the other one, end this one) and the admin's Users page (paged, searched, a disabled account shown as
such). Each test checks what the page shows against what the API says and what the server really did
(an ended session's refresh token is refused), not only what the page sent.
"""

from __future__ import annotations

from support import accounts
from support.system import System

from .browser import Browser
from .test_journey import PASSWORD, log_in

#: The User-Agent of the "other device": markup, which the page must show as text.
OTHER_DEVICE = "<img src=x onerror=alert(1)> other-device/1.0"


def rows(browser: Browser, view: str) -> list[list[str]]:
    """The cell texts of the table rows of page VIEW."""
    section = browser.wait_view(view)
    return [[cell.text for cell in row.find_elements("css selector", "td")]
            for row in section.find_elements("css selector", "tbody tr")]


def end_buttons(browser: Browser) -> list:
    """The End buttons of the Sessions page, in row order."""
    return browser.driver.find_elements("css selector", '[data-view="sessions"] tbody tr button')


def two_devices(browser: Browser, system: System) -> accounts.Account:
    """A new user signed in on another device (by the API, User-Agent OTHER_DEVICE) and then in BROWSER,
    whose Sessions page is open showing both; returns the other device's session."""
    name = accounts.unique_name("dev")
    assert accounts.signup(system.http, name, PASSWORD).status == 200
    account = accounts.existing_account(system.http, name, PASSWORD, headers={"User-Agent": OTHER_DEVICE})
    log_in(browser, account.username)
    browser.go("sessions")
    browser.wait_until(lambda: len(rows(browser, "sessions")) == 2, "the two sessions were not listed")
    return account


def test_profile_comes_from_me(browser: Browser, webapp_system: System) -> None:
    """The profile shows /api/auth/me, not the signin answer kept in the browser: after an admin made the
    user a moderator, a reload of the profile shows the new roles (the old token is refused, the page
    refreshes and asks again), says where they came from, and the menu follows: the Moderator Board
    appears and answers."""
    account = accounts.create_account(webapp_system.http, password=PASSWORD)
    log_in(browser, account.username)
    assert browser.wait_text('[data-field="profile-source"]', "From /api/auth/me.")
    admin = accounts.admin(webapp_system.http)
    changed = webapp_system.http.request("PUT", f"/api/admin/users/{account.id}/roles",
                                         json={"roles": ["user", "moderator"]}, headers=admin.headers())
    assert changed.status == 200, str(changed)
    browser.driver.refresh()
    browser.wait_view("profile")
    browser.wait_until(lambda: "ROLE_MODERATOR" in browser.text('[data-field="profile-roles"]'),
                       "the profile still shows the roles of the signin answer")
    assert sorted(browser.text('[data-field="profile-roles"]').split()) == ["ROLE_MODERATOR", "ROLE_USER"]
    assert browser.wait_text('[data-field="profile-source"]', "From /api/auth/me.")
    browser.wait_until(lambda: browser.displayed('[data-link="mod"]'), "the menu still hides the Moderator Board")
    browser.go("mod")
    browser.wait_view("board")
    assert browser.wait_text('[data-field="board-content"]', "Moderator Content.")
    assert browser.page_errors() == [], "script errors or CSP violations on the console"


def test_sessions_page_lists_and_ends_another_session(browser: Browser, webapp_system: System) -> None:
    """Sessions lists the user's two sessions as the API does (this browser marked, the other device's
    user agent as text, not markup); End on the other one ends it on the server (its refresh token is
    refused) and leaves this browser signed in."""
    other = two_devices(browser, webapp_system)
    listed = rows(browser, "sessions")
    current = [row for row in listed if "this browser" in row[0]]
    others = [row for row in listed if "this browser" not in row[0]]
    assert len(current) == 1 and len(others) == 1, listed
    assert "Chrome" in current[0][2], current
    assert others[0][2] == OTHER_DEVICE and others[0][3] == "127.0.0.1", others
    assert browser.driver.find_elements("css selector", '[data-view="sessions"] img') == []

    end_buttons(browser)[listed.index(others[0])].click()
    browser.wait_until(lambda: len(rows(browser, "sessions")) == 1, "the ended session is still listed")
    assert "this browser" in rows(browser, "sessions")[0][0]
    ended = [a for a in browser.network() if a.method == "DELETE" and a.path.startswith("/api/auth/sessions/")]
    assert [a.status for a in ended] == [200], ended
    refused = accounts.refresh(webapp_system.http, other.refresh_token, check=False)
    assert refused.status == 403, f"the ended session still refreshes: {refused}"
    assert browser.stored_user() is not None, "ending another session must not sign this one out"
    assert browser.page_errors() == [], "script errors or CSP violations on the console"


def test_ending_the_current_session_signs_the_page_out(browser: Browser, webapp_system: System) -> None:
    """End on the session marked as this browser's ends it on the server (its refresh token is refused),
    clears the tokens and returns to the login page; the other device's session lives on."""
    other = two_devices(browser, webapp_system)
    mine = browser.stored_user()
    listed = rows(browser, "sessions")
    end_buttons(browser)[[i for i, row in enumerate(listed) if "this browser" in row[0]][0]].click()
    browser.wait_view("login")
    assert browser.wait_text('[data-field="notice"]', "This session has ended.")
    assert browser.stored_user() is None
    refused = accounts.refresh(webapp_system.http, mine["refreshToken"], check=False)
    assert refused.status == 403, f"the ended session still refreshes: {refused}"
    kept = accounts.refresh(webapp_system.http, other.refresh_token, check=False)
    assert kept.status == 200, f"ending this browser's session ended the other device's too: {kept}"


def test_users_page_pages_searches_and_shows_disabled(browser: Browser, webapp_system: System) -> None:
    """Users (for an admin) shows 20 users a page as GET /api/admin/users answers them, with a range;
    pages with after (the answer's next) and back, searches with q (case-insensitively) and shows a
    disabled account as disabled."""
    client = webapp_system.http
    prefix = accounts.unique_name("pg")
    made = [accounts.create_account(client, f"{prefix}{n:02d}", PASSWORD) for n in range(23)]
    admin = accounts.create_admin(client)
    disabled = client.post(f"/api/admin/users/{made[2].id}/disable", headers=admin.headers())
    assert disabled.status == 200, str(disabled)

    log_in(browser, admin.username, admin.password)
    browser.go("users")
    browser.wait_visible('[data-form="users"]')
    browser.fill("users", q=prefix.upper())
    browser.submit("users")
    browser.wait_text('[data-field="users-range"]', "1–20 of 23")
    fresh = accounts.existing_account(client, admin.username, admin.password)
    expected = client.get("/api/admin/users", params={"q": prefix, "limit": "23"}, headers=fresh.headers()).json()
    assert expected["total"] == 23, expected
    shown = [row[:5] for row in rows(browser, "users")]
    api = [[str(u["id"]), u["username"], u["email"], ", ".join(u["roles"]), "disabled" if u["disabled"] else "active"]
           for u in expected["users"]]
    assert shown == api[:20], shown
    assert [row[1] for row in shown if row[4] == "disabled"] == [made[2].username], shown

    browser.driver.find_element("css selector", '[data-action="users-next"]').click()
    browser.wait_text('[data-field="users-range"]', "21–23 of 23")
    assert [row[:5] for row in rows(browser, "users")] == api[20:]
    next_button = browser.driver.find_element("css selector", '[data-action="users-next"]')
    assert next_button.get_attribute("disabled") is not None, "Next is enabled on the last page"
    browser.driver.find_element("css selector", '[data-action="users-previous"]').click()
    browser.wait_text('[data-field="users-range"]', "1–20 of 23")
    assert [row[:5] for row in rows(browser, "users")] == api[:20]

    browser.fill("users", q=f"{prefix}1")
    browser.submit("users")
    browser.wait_text('[data-field="users-range"]', "1–10 of 10")
    assert [row[1] for row in rows(browser, "users")] == [f"{prefix}{n}" for n in range(10, 20)]
    asked = [a.path for a in browser.network() if a.path.startswith("/api/admin/users?")]
    assert asked[-1] == f"/api/admin/users?limit=20&after=0&q={prefix}1", asked
    assert f"/api/admin/users?limit=20&after={expected['users'][19]['id']}&q={prefix.upper()}" in asked, asked
    assert browser.page_errors() == [], "script errors or CSP violations on the console"
