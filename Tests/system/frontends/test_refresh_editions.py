"""The refresh-token editions' rule, both ways round, with access tokens of 2 s (``SHORT_TOKENS``).

The tutorial's refresh frontends (React, React hooks, Vue 2, Vue 3, Angular 10/11/12) refresh on a 401
with the refresh token they got *at signin*, keep only ``accessToken`` from the answer and send the same
signin token again next time. That must keep working for as long as the session lives; a client that
does store each new refresh token must still have any older one detected as reuse.
"""

from __future__ import annotations

import pytest

from support.accounts import Account, create_account, refresh
from support.http import Client
from support.processes import wait_until
from support.system import System

from .catalogue import ANGULAR_REFRESH, REACT_VUE_ORIGIN, REFRESH_EDITIONS, by_repo
from .clients import AngularRefreshPage, AxiosRefreshPage, Page
from .visits import BOARDS, open_page, register_and_sign_in, wait_until_expired

#: "Hours of simulated refreshes": every cycle is one access-token lifetime (15 minutes by default).
CYCLES = 16
#: How long a revocation may take to reach the gateway's view of it.
REVOCATION_DELAY = 3.0


def _page_kind(repo: str) -> type[Page]:
    return AngularRefreshPage if repo in {frontend.repo for frontend in ANGULAR_REFRESH} else AxiosRefreshPage


def _access_token(page: Page) -> str:
    return page.user["accessToken"]


def _stored_refresh_token(page: Page) -> str:
    if isinstance(page, AngularRefreshPage):
        return page.storage["auth-refreshtoken"]
    return page.user["refreshToken"]


def test_clients_that_never_store_the_new_refresh_token_keep_working(short_token_system: System) -> None:
    """Every refresh edition (served on 8081, so that CORS is not what is tested), signed in once, lives
    through CYCLES expiries: each board visit gets a 401,
    refreshes with the signin token, gets 200 and a fresh access token, and shows "User Content.". The
    answers carry one and the same successor refresh token (no fork), and no edition is signed out."""
    pages = [open_page(_page_kind(frontend.repo), short_token_system, frontend, REACT_VUE_ORIGIN)
             for frontend in REFRESH_EDITIONS]
    signin_tokens = {}
    for page in pages:
        register_and_sign_in(page)
        signin_tokens[page.frontend.repo] = _stored_refresh_token(page)
    for cycle in range(1, CYCLES + 1):
        wait_until_expired(*(_access_token(page) for page in pages))
        for page in pages:
            board = page.board("user")
            assert (board.status, board.content) == (200, BOARDS["user"]), \
                f"{page.frontend} cycle {cycle}: {board}; refresh answers: {page.refresh_replies[-1:]}"
            assert page.refreshes == cycle, f"{page.frontend} cycle {cycle}: {page.refreshes} refreshes"
            assert page.signed_in, f"{page.frontend} was signed out at cycle {cycle}"
    for page in pages:
        successors = {reply.json()["refreshToken"] for reply in page.refresh_replies}
        assert len(successors) == 1, f"{page.frontend}: the replays forked the session: {len(successors)} tokens"
        assert successors != {signin_tokens[page.frontend.repo]}, f"{page.frontend}: the signin token never rotated"
        access_tokens = {reply.json()["accessToken"] for reply in page.refresh_replies}
        assert len(access_tokens) == CYCLES, f"{page.frontend}: an access token was handed out twice"


def _rotating_session(client: Client, rotations: int) -> tuple[Account, list[str], str]:
    """Signs in and refreshes ROTATIONS times, storing each new token as RFC 9700 clients do.

    Returns the account, every refresh token of the session in order (signin's first) and the last
    access token."""
    account = create_account(client)
    tokens, access_token = [account.refresh_token], account.access_token
    for _ in range(rotations):
        reply = refresh(client, tokens[-1])
        assert reply.status == 200, reply
        tokens.append(reply.json()["refreshToken"])
        access_token = reply.json()["accessToken"]
    assert len(set(tokens)) == rotations + 1, "every rotation hands out a new refresh token"
    return account, tokens, access_token


@pytest.mark.parametrize("grace", ["grace=0", "grace=10"])
@pytest.mark.parametrize("generation", [0, 1, 2])
def test_a_client_that_rotates_still_gets_reuse_detection_for_any_older_token(
    request: pytest.FixtureRequest, generation: int, grace: str
) -> None:
    """After four rotations, replaying a token whose successor was already used (the signin token or the
    next two) is reuse, also within the default 10 s grace window (that is for the token just rotated):
    403, and the whole session is revoked: the current refresh token is refused and the session's access
    token stops opening /api/test/user."""
    system: System = request.getfixturevalue("short_token_system" if grace == "grace=0" else "tutorial_system")
    client = system.client()
    _, tokens, access_token = _rotating_session(client, rotations=4)
    replay = refresh(client, tokens[generation])
    assert replay.status == 403 and replay.message, replay
    current = refresh(client, tokens[-1])
    assert current.status == 403, f"the session survived the reuse of generation {generation}: {current}"

    def refused() -> bool:
        return client.get("/api/test/user", headers={"x-access-token": access_token}).status == 401

    assert wait_until(refused, REVOCATION_DELAY), "the revoked session's access token still opens /api/test/user"


def test_a_replay_of_the_parent_of_an_unused_token_gets_that_same_token(short_token_system: System) -> None:
    """The GoTrue rule's other half: replaying the token whose successor has never been used answers 200
    with that same successor (no new generation), and the session goes on."""
    client = short_token_system.client()
    _, tokens, _ = _rotating_session(client, rotations=4)
    replay = refresh(client, tokens[3])
    assert replay.status == 200, replay
    assert replay.json()["refreshToken"] == tokens[4], "a replay must hand back the unused successor, not fork"
    assert refresh(client, tokens[4]).status == 200, "the session must go on with its current token"


def test_a_thief_who_rotates_is_caught_and_the_tutorial_user_is_signed_out(short_token_system: System) -> None:
    """A thief copies the React refresh edition's signin token and rotates with it. While the thief's
    successor is unused the user's replay gets that same successor; once the thief uses it, the user's next
    replay is reuse: 403, the user is signed out, and the thief's token dies with the session."""
    page = open_page(AxiosRefreshPage, short_token_system, by_repo("react-jwt-refresh-token"), REACT_VUE_ORIGIN)
    register_and_sign_in(page)
    thief = short_token_system.client()
    stolen = refresh(thief, _stored_refresh_token(page))
    assert stolen.status == 200, stolen
    successor = stolen.json()["refreshToken"]

    wait_until_expired(_access_token(page))
    board = page.board("user")
    assert (board.status, board.content) == (200, BOARDS["user"]), board
    assert page.refresh_replies[-1].json()["refreshToken"] == successor

    rotated = refresh(thief, successor)
    assert rotated.status == 200, rotated
    wait_until_expired(_access_token(page))
    board = page.board("user")
    assert board.status == 403 and page.refresh_replies[-1].status == 403, board
    assert not page.signed_in, "a 403 from the refresh call signs the tutorial user out"
    assert refresh(thief, rotated.json()["refreshToken"]).status == 403, "the thief's token outlived the session"
