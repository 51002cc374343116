"""Angular 12-17 "JWT Authentication with HttpOnly Cookie" against the default ``SESSION_COOKIES=off``.

These editions expect the server to keep the session in an HttpOnly cookie, so the app sends
``withCredentials`` and never a token header. With cookies off (the default, the tutorial's contract) a
user of these apps can register, sign in and read the public board, and every protected call gets the
contract's "No token provided!" (which the boards show). Logout is ``POST /api/auth/signout`` with ``{}``
and no token. ``test_cookie_sessions`` plays them against ``SESSION_COOKIES=only``, where all of it works.
"""

from __future__ import annotations

import pytest

from support.system import System

from .catalogue import ANGULAR_COOKIE, REACT_VUE_ORIGIN, Frontend
from .clients import AngularCookiePage
from .visits import BOARDS, open_page, params, register_and_sign_in

NO_TOKEN = "No token provided!"


@pytest.mark.parametrize(("frontend", "origin"), params(ANGULAR_COOKIE))
def test_register_sign_in_and_the_public_board_work_with_credentials(
    tutorial_system: System, frontend: Frontend, origin: str
) -> None:
    """Credentialed CORS from 4200 and 8081 passes (origin echoed, Allow-Credentials: true, on the
    preflights and the answers); Register and Login work and the profile's fields are there."""
    page = open_page(AngularCookiePage, tutorial_system, frontend, origin, credentials=True)
    register_and_sign_in(page, with_tokens=False)
    home = page.board("all")
    assert (home.status, home.content) == (200, BOARDS["all"]), home


@pytest.mark.parametrize("frontend", ANGULAR_COOKIE, ids=str)
def test_protected_boards_and_logout_get_the_contracts_no_token_answer(
    tutorial_system: System, frontend: Frontend
) -> None:
    """Served on 8081 (``ng serve --port 8081``, so that CORS is not what is tested), with no token header:
    the User board shows "No token provided!" (a readable 403, not a network error); logout's
    ``POST /api/auth/signout`` with ``{}`` gets the same 403, so the app keeps showing the user as signed
    in (what its users will notice); every process is still alive afterwards."""
    page = open_page(AngularCookiePage, tutorial_system, frontend, REACT_VUE_ORIGIN, credentials=True)
    register_and_sign_in(page, with_tokens=False)
    board = page.board("user")
    assert (board.status, board.content) == (403, NO_TOKEN), board
    page.logout()
    assert (page.last_signout.status, page.last_signout.message) == (403, NO_TOKEN), page.last_signout
    assert page.signed_in, "app.component.ts cleans the storage only after a successful signout"
    tutorial_system.assert_all_live()
