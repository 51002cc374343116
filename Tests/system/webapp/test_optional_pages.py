"""Unit tests of the page's code for the routes the backend does not have yet (issue 10).

Against the real gateway those pages stay hidden (their routes answer 404; test_journey proves the page
follows that), so their code runs here in Chromium against ``StubBackend``, an in-memory stand-in with
the issue's answers: the profile from ``/api/auth/me``, the sessions list and ending a session, and the
admin's paged, searchable user list. Once the routes exist, the end-to-end suite should drive them too.
"""

from __future__ import annotations

from typing import Callable, Iterator

import pytest

from support import ports

from .browser import Browser
from .stub_backend import ACCESS_TOKEN, StubBackend


@pytest.fixture
def stub() -> Iterator[StubBackend]:
    """A StubBackend on a free port of the run's range."""
    backend = StubBackend(ports.free_port())
    yield backend
    backend.stop()


@pytest.fixture
def stub_browser(open_browser: Callable[[str], Browser], stub: StubBackend) -> Browser:
    """A browser logged in as the stub's admin ``alice`` (through the real login form)."""
    browser = open_browser(stub.url)
    browser.open("login")
    browser.fill("login", username="alice", password="whatever-pw")
    browser.submit("login")
    browser.wait_view("profile")
    return browser


def rows(browser: Browser, view: str) -> list[list[str]]:
    """The cell texts of the table rows of page VIEW."""
    section = browser.wait_view(view)
    return [[cell.text for cell in row.find_elements("css selector", "td")]
            for row in section.find_elements("css selector", "tbody tr")]


def test_profile_comes_from_me_when_it_exists(stub_browser: Browser, stub: StubBackend) -> None:
    """With /api/auth/me answering, the profile shows its fields (not the signin body's) and says so."""
    assert stub_browser.wait_text('[data-field="profile-email"]', "alice@me.example")
    assert stub_browser.text('[data-field="profile-source"]') == "From /api/auth/me."
    assert all(r.token == ACCESS_TOKEN for r in stub.requests_to("GET", "/api/auth/me"))


def test_sessions_page_lists_and_ends_sessions(stub_browser: Browser, stub: StubBackend) -> None:
    """Sessions lists each session as text (markup in a user agent stays text) and ends the one asked."""
    stub_browser.go("sessions")
    stub_browser.wait_until(lambda: len(rows(stub_browser, "sessions")) == 2, "the two sessions were not listed")
    listed = rows(stub_browser, "sessions")
    assert "this browser" in listed[0][0] and listed[0][2] == "Chromium (this one)"
    assert listed[1][2] == "<img src=x onerror=alert(1)>" and listed[1][3] == "192.0.2.7"
    assert stub_browser.driver.find_elements("css selector", '[data-view="sessions"] img') == []
    stub_browser.driver.find_elements("css selector", '[data-view="sessions"] tbody tr button')[1].click()
    stub_browser.wait_until(lambda: len(rows(stub_browser, "sessions")) == 1, "the ended session is still listed")
    assert [r.path for r in stub.state.requests if r.method == "DELETE"] == ["/api/auth/sessions/s-other"]
    assert stub_browser.stored_user() is not None, "ending another session must not sign this one out"


def test_ending_the_current_session_signs_the_page_out(stub_browser: Browser, stub: StubBackend) -> None:
    """Ending the session marked as this browser's clears the tokens and returns to the login page."""
    stub_browser.go("sessions")
    stub_browser.wait_until(lambda: len(rows(stub_browser, "sessions")) == 2, "the two sessions were not listed")
    stub_browser.driver.find_elements("css selector", '[data-view="sessions"] tbody tr button')[0].click()
    stub_browser.wait_view("login")
    assert stub_browser.wait_text('[data-field="notice"]', "This session has ended.")
    assert stub_browser.stored_user() is None
    assert [r.path for r in stub.state.requests if r.method == "DELETE"] == ["/api/auth/sessions/s-current"]


def test_users_page_pages_and_searches(stub_browser: Browser, stub: StubBackend) -> None:
    """Users (admins) shows 20 users a page with a range, pages with offset, and searches with q."""
    stub_browser.go("users")
    stub_browser.wait_text('[data-field="users-range"]', "1–20 of 25")
    first = rows(stub_browser, "users")
    assert len(first) == 20 and first[0][:2] == ["1", "user01"] and first[2][4] == "disabled"
    stub_browser.driver.find_element("css selector", '[data-action="users-next"]').click()
    stub_browser.wait_text('[data-field="users-range"]', "21–25 of 25")
    assert [row[1] for row in rows(stub_browser, "users")] == [f"user{n}" for n in range(21, 26)]
    stub_browser.fill("users", q="user1")
    stub_browser.submit("users")
    stub_browser.wait_text('[data-field="users-range"]', "1–10 of 10")
    last = stub.requests_to("GET", "/api/admin/users")[-1]
    assert last.query == {"limit": ["20"], "offset": ["0"], "q": ["user1"]}, last.query
    assert stub_browser.page_errors() == [], "script errors or CSP violations on the console"
