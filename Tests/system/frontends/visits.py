"""A new user's visit to a frontend, as the tutorial's pages make it, shared by the family suites."""

from __future__ import annotations

import time
from typing import Callable, Iterable

import pytest

from support.accounts import DEFAULT_PASSWORD, unique_name
from support.system import System

from .browser import Browser
from .catalogue import Frontend
from .clients import Page, assert_user_fields, parse_jwt

#: The contract's messages the pages render (Register page, boards).
REGISTERED = "User registered successfully!"
BOARDS = {"all": "Public Content.", "user": "User Content.", "mod": "Moderator Content.", "admin": "Admin Content."}
REFUSED = {"mod": "Require Moderator Role!", "admin": "Require Admin Role!"}


def params(frontends: Iterable[Frontend], all_origins: bool = True) -> list:
    """pytest params (frontend, origin) with ids like ``react-jwt-auth@8081``: every origin it serves on,
    or only the one its `npm start` uses."""
    return [
        pytest.param(frontend, origin, id=f"{frontend.repo}@{origin.rsplit(':', 1)[1]}")
        for frontend in frontends
        for origin in (frontend.origins if all_origins else frontend.origins[:1])
    ]


def open_page(kind: Callable[[Frontend, Browser], Page], system: System, frontend: Frontend, origin: str,
              credentials: bool = False) -> Page:
    """A fresh tab of FRONTEND served on ORIGIN, talking to SYSTEM's gateway."""
    return kind(frontend, Browser(system.client(), origin, credentials=credentials))


def register_and_sign_in(page: Page, with_tokens: bool = True) -> str:
    """The Register form, then the Login form, as a new user; returns the username. Checks every answer
    the pages read (the Register message, the signin body's fields)."""
    name = unique_name("fe")
    registered = page.register(name, f"{name}@example.com", DEFAULT_PASSWORD)
    assert (registered.status, registered.message) == (200, REGISTERED), registered
    signed_in = page.login(name, DEFAULT_PASSWORD)
    assert signed_in.status == 200, signed_in
    assert page.signed_in, f"{page.frontend}: the signin answer was not stored: {signed_in}"
    assert_user_fields(page.user, with_tokens=with_tokens)
    assert page.user["username"] == name and page.user["roles"] == ["ROLE_USER"], page.user
    return name


def assert_boards_of_a_user(page: Page) -> None:
    """Home and User boards show their content; Moderator and Admin show the contract's refusal."""
    for name in ("all", "user"):
        board = page.board(name)
        assert (board.status, board.content) == (200, BOARDS[name]), f"{page.frontend} /{name}: {board}"
    for name, message in REFUSED.items():
        board = page.board(name)
        assert (board.status, board.content) == (403, message), f"{page.frontend} /{name}: {board}"


def wait_until_expired(*tokens: str) -> None:
    """Sleeps until every token's ``exp`` has passed (the short-token systems run with no clock leeway)."""
    latest = max(parse_jwt(token)["exp"] for token in tokens)
    time.sleep(max(0.0, latest - time.time() + 0.05))
