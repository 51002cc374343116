"""CORS with the default configuration: the origins the tutorial's frontends are served from, and no other.

No test here sets ``CORS_ALLOWED_ORIGINS``: a new user runs ``make run`` and starts a frontend with
``npm start``, which serves on http://localhost:8081 (React, Vue, and Angular started as its README says)
or http://localhost:4200 (Angular's plain ``ng serve``).
"""

from __future__ import annotations

import pytest

from support.accounts import create_account
from support.system import System

from .browser import Browser, CorsBlocked
from .catalogue import ACCEPT, ANGULAR_NG_SERVE_ORIGIN, JSON, REACT_VUE_ORIGIN
from .clients import stringify

TUTORIAL_ORIGINS = (REACT_VUE_ORIGIN, ANGULAR_NG_SERVE_ORIGIN)


@pytest.mark.parametrize("origin", TUTORIAL_ORIGINS)
def test_each_tutorial_origin_may_call_every_route_by_default(tutorial_system: System, origin: str) -> None:
    """From each default origin, the preflights of signin (JSON), of a board with either token header and
    of signout are answered 204 with that origin echoed, and the real answers carry it with Vary: Origin."""
    client = tutorial_system.client()
    account = create_account(client)
    for credentials in (False, True):
        browser = Browser(client, origin, credentials=credentials)
        signin = browser.fetch("POST", "/api/auth/signin", {"Accept": ACCEPT, "Content-Type": JSON},
                               stringify({"username": account.username, "password": account.password}))
        assert signin.status == 200, signin
        token = signin.json()["accessToken"]
        for header in ({"x-access-token": token}, {"Authorization": "Bearer " + token}):
            board = browser.fetch("GET", "/api/test/user", {"Accept": ACCEPT, **header})
            assert (board.status, board.text) == (200, "User Content."), board
            assert "origin" in board.headers.get("Vary", "").lower(), board.headers
        public = browser.fetch("GET", "/api/test/all", {"Accept": ACCEPT})
        assert (public.status, public.text) == (200, "Public Content."), public
        signout = browser.fetch("POST", "/api/auth/signout", {"Accept": ACCEPT, "x-access-token": token})
        assert signout.status == 200, signout
    requested = {headers for _, _, headers in browser.preflights}
    assert requested == {"content-type", "x-access-token", "authorization"}, requested


@pytest.mark.parametrize("origin", [
    "http://localhost:3000",           # Create React App's default port, not the tutorial's
    "http://127.0.0.1:8081",           # the same dev server reached by IP is another origin
    "https://localhost:8081",          # another scheme
    "http://localhost:8081.evil.example",
    "null",                            # sandboxed frames and file:// pages
])
def test_any_other_origin_gets_no_allow_origin(tutorial_system: System, origin: str) -> None:
    """A page on any origin but the defaults cannot read an answer: no Access-Control-Allow-Origin, on the
    preflight or on the real request, so the browser blocks it."""
    client = tutorial_system.client()
    browser = Browser(client, origin)
    with pytest.raises(CorsBlocked):
        browser.fetch("POST", "/api/auth/signin", {"Accept": ACCEPT, "Content-Type": JSON}, "{}")
    reply = client.get("/api/test/all", headers={"Origin": origin})
    assert reply.status == 200, reply
    assert "Access-Control-Allow-Origin" not in reply.headers, reply.headers
    assert "origin" in reply.headers.get("Vary", "").lower(), reply.headers
