"""What a user of the tutorial's frontends notices here that the tutorial did differently (docs/api.md).

- Access tokens live 15 minutes (the tutorial: 24 hours). A frontend without refresh shows "Unauthorized!
  Access Token was expired!" once it is over (the React ones sign the user out); ``ACCESS_TOKEN_TTL``
  brings back the tutorial's day.
- The tutorial's README makes moderators and admins by a signup with ``roles``: here that needs an
  admin's token.
"""

from __future__ import annotations

from typing import Callable

from support.accounts import DEFAULT_PASSWORD, signin, signup, unique_name
from support.system import System

from .catalogue import REACT_VUE_ORIGIN, by_repo
from .clients import AngularTokenPage, AxiosPerCallPage, parse_jwt
from .visits import BOARDS, open_page, register_and_sign_in, wait_until_expired

EXPIRED = "Unauthorized! Access Token was expired!"


def test_without_refresh_the_boards_say_the_token_expired_once_its_lifetime_is_over(
    short_token_system: System,
) -> None:
    """React, Vue and Angular pages signed in with a 2 s token: the User board works, and after expiry it
    shows "Unauthorized! Access Token was expired!"; the React page has signed the user out, the others
    keep showing the user as signed in."""
    pages = [
        open_page(AxiosPerCallPage, short_token_system, by_repo("react-jwt-auth"), REACT_VUE_ORIGIN),
        open_page(AxiosPerCallPage, short_token_system, by_repo("vue-3-authentication-jwt"), REACT_VUE_ORIGIN),
        open_page(AngularTokenPage, short_token_system, by_repo("angular-11-jwt-authentication"), REACT_VUE_ORIGIN),
    ]
    for page in pages:
        register_and_sign_in(page)
        assert page.board("user").content == BOARDS["user"]
    wait_until_expired(*(page.user["accessToken"] for page in pages))
    for page in pages:
        board = page.board("user")
        assert (board.status, board.content) == (401, EXPIRED), f"{page.frontend}: {board}"
        assert page.signed_in is (not page.frontend.board_signs_out_on_401), page.frontend


def test_access_token_ttl_of_a_day_gives_the_tutorials_24_hours(make_system: Callable[..., System]) -> None:
    """With ACCESS_TOKEN_TTL=86400 the token a frontend stores lives exactly a day (exp - iat), as the
    tutorial's did, and opens the boards."""
    system = make_system(env={"ACCESS_TOKEN_TTL": "86400", "CORS_ALLOWED_ORIGINS": REACT_VUE_ORIGIN})
    page = open_page(AxiosPerCallPage, system, by_repo("react-jwt-auth"), REACT_VUE_ORIGIN)
    register_and_sign_in(page)
    claims = parse_jwt(page.user["accessToken"])
    assert claims["exp"] - claims["iat"] == 86400, claims
    assert page.board("user").content == BOARDS["user"]


def test_the_tutorials_signup_of_a_moderator_needs_an_admins_token(short_token_system: System) -> None:
    """The tutorial's README signs up ``{"roles": ["moderator", "user"]}`` with no token: here that is
    403 "Require Admin Role!" and no account is created."""
    client = short_token_system.client()
    name = unique_name("mod")
    reply = signup(client, name, roles=["moderator", "user"])
    assert (reply.status, reply.message) == (403, "Require Admin Role!"), reply
    assert signin(client, name, DEFAULT_PASSWORD, check=False).status == 401
