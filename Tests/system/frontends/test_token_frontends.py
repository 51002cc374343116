"""The frontends without refresh: React, React hooks, React Redux, React TS, Vue 2, Vue 3, Angular 8-13.

Each is played from every origin its dev server uses, against the default configuration, through the
gateway: the preflights a browser sends for its headers, its bodies, the fields its pages read.
"""

from __future__ import annotations

import pytest

from support.accounts import DEFAULT_PASSWORD, admin, signup, unique_name
from support.system import System

from .catalogue import ANGULAR_TOKEN, AXIOS_PER_CALL, Frontend
from .clients import AngularTokenPage, AxiosPerCallPage
from .visits import BOARDS, assert_boards_of_a_user, open_page, params, register_and_sign_in


def _token_header_name(frontend: Frontend) -> str:
    return "authorization" if frontend.token_header == "bearer" else "x-access-token"


class TestAxiosPerCallFrontends:
    """React / Vue: axios calls with authHeader() on the boards, the signin body in localStorage."""

    @pytest.mark.parametrize(("frontend", "origin"), params(AXIOS_PER_CALL))
    def test_a_new_user_registers_signs_in_reads_the_boards_and_logs_out(
        self, tutorial_system: System, frontend: Frontend, origin: str
    ) -> None:
        """Home, Register, Login, the four boards and LogOut work as the pages expect; the browser preflights
        exactly the JSON bodies and the token header, and nothing else."""
        page = open_page(AxiosPerCallPage, tutorial_system, frontend, origin)
        home = page.board("all")
        assert (home.status, home.content) == (200, BOARDS["all"]), home
        register_and_sign_in(page)
        assert_boards_of_a_user(page)
        assert page.signed_in, "a 403 board must not sign the user out"
        page.logout()
        assert page.board("all").status == 200
        requested = {headers for _, _, headers in page.browser.preflights}
        assert requested == {"content-type", _token_header_name(frontend)}, requested

    @pytest.mark.parametrize(("frontend", "origin"), params(AXIOS_PER_CALL, all_origins=False))
    def test_a_moderator_made_by_an_admin_sees_the_moderator_board(
        self, tutorial_system: System, frontend: Frontend, origin: str
    ) -> None:
        """The public form cannot ask for roles; an account an admin signed up with ["moderator", "user"]
        signs in through the frontend and gets the Moderator board, not the Admin one."""
        client = tutorial_system.client()
        name = unique_name("mod")
        made = signup(client, name, roles=["moderator", "user"], token=admin(client).access_token)
        assert made.status == 200, made
        page = open_page(AxiosPerCallPage, tutorial_system, frontend, origin)
        assert page.login(name, DEFAULT_PASSWORD).status == 200
        assert sorted(page.user["roles"]) == ["ROLE_MODERATOR", "ROLE_USER"], page.user
        assert page.board("mod").content == BOARDS["mod"]
        assert page.board("admin").status == 403

    @pytest.mark.parametrize(("frontend", "origin"), params(AXIOS_PER_CALL, all_origins=False))
    def test_the_forms_show_the_tutorials_messages_for_a_taken_name_and_a_wrong_password(
        self, tutorial_system: System, frontend: Frontend, origin: str
    ) -> None:
        """Register with a taken username or email shows the tutorial's message; a wrong password shows a
        message and stores nothing."""
        page = open_page(AxiosPerCallPage, tutorial_system, frontend, origin)
        name = register_and_sign_in(page)
        page.logout()
        again = page.register(name, f"other-{name}@example.com", DEFAULT_PASSWORD)
        assert (again.status, again.message) == (400, "Failed! Username is already in use!"), again
        email = page.register(unique_name("fe"), f"{name}@example.com", DEFAULT_PASSWORD)
        assert (email.status, email.message) == (400, "Failed! Email is already in use!"), email
        wrong = page.login(name, DEFAULT_PASSWORD + "-wrong")
        assert wrong.status == 401 and isinstance(wrong.message, str) and wrong.message, wrong
        assert not page.signed_in


class TestAngularTokenEditions:
    """Angular 8-13: the interceptor sends ``Authorization: Bearer`` on every request, public ones too."""

    @pytest.mark.parametrize(("frontend", "origin"), params(ANGULAR_TOKEN))
    def test_a_new_user_registers_signs_in_reads_the_boards_and_logs_out(
        self, tutorial_system: System, frontend: Frontend, origin: str
    ) -> None:
        """From 4200 (``npm start``) and 8081 (``ng serve --port 8081``): the whole visit works, the public
        board answers with the token attached, and the preflights ask for exactly what Angular sends."""
        page = open_page(AngularTokenPage, tutorial_system, frontend, origin)
        register_and_sign_in(page)
        assert_boards_of_a_user(page)
        another = unique_name("fe")
        signed_in_signup = page.register(another, f"{another}@example.com", DEFAULT_PASSWORD)
        assert signed_in_signup.status == 200, f"signup carrying the user's own token: {signed_in_signup}"
        page.logout()
        assert page.board("all").status == 200
        requested = {headers for _, _, headers in page.browser.preflights}
        assert requested == {"content-type", "authorization", "authorization,content-type"}, requested

    @pytest.mark.parametrize(("frontend", "origin"), params(ANGULAR_TOKEN, all_origins=False))
    def test_a_wrong_password_shows_the_message_and_stores_nothing(
        self, tutorial_system: System, frontend: Frontend, origin: str
    ) -> None:
        """login.component.ts shows err.error.message: a 401 with a JSON message, and no token saved."""
        page = open_page(AngularTokenPage, tutorial_system, frontend, origin)
        name = register_and_sign_in(page)
        page.logout()
        wrong = page.login(name, "not-" + DEFAULT_PASSWORD)
        assert wrong.status == 401 and isinstance(wrong.message, str) and wrong.message, wrong
        assert page.storage == {}
