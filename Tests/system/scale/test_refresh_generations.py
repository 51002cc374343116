"""Refresh tokens name their session and generation (issue 22): what a client can see of it.

Reuse detection reaches every older generation, however many rotations ago, without Redis keeping a
record per rotation; a made-up token for a live session revokes nothing.
"""

from __future__ import annotations

from support.accounts import existing_account, refresh, signup, unique_name
from support.system import System

REUSED = "Refresh token was already used: the session has been revoked. Please make a new signin request"
REVOKED = "Refresh token was revoked. Please make a new signin request"
UNKNOWN = "Refresh token is not in database!"


def test_a_token_from_ten_rotations_ago_revokes_the_session(module_system: System) -> None:
    """Eleven rotations, each token kept: the second one, ten rotations old, is reuse (403), and then
    the newest refresh token is refused and its access token no longer opens a protected route."""
    client = module_system.http
    name = unique_name("rg")
    assert signup(client, name).status == 200
    account = existing_account(client, name)
    tokens, access = [account.refresh_token], account.access_token
    for _ in range(11):
        answer = refresh(client, tokens[-1]).json()
        tokens.append(answer["refreshToken"])
        access = answer["accessToken"]
    assert len(set(tokens)) == 12
    assert client.get("/api/test/user", headers={"x-access-token": access}).status == 200

    reused = refresh(client, tokens[1], check=False)
    assert reused.status == 403 and reused.message == REUSED, str(reused)
    newest = refresh(client, tokens[-1], check=False)
    assert newest.status == 403 and newest.message == REVOKED, str(newest)
    assert client.get("/api/test/user", headers={"x-access-token": access}, check=False).status == 401


def test_a_made_up_token_for_a_live_session_revokes_nothing(module_system: System) -> None:
    """A token with the session id of a live session (it is in every access token) and an older
    generation, but not the session's own secrets, is unknown: the session goes on."""
    client = module_system.http
    name = unique_name("rf")
    assert signup(client, name).status == 200
    account = existing_account(client, name)
    token = account.refresh_token
    for _ in range(3):
        token = refresh(client, token).json()["refreshToken"]
    session_id, generation, _family, _secret = token.split(".")
    assert generation == "4"
    forged = f"{session_id}.1.{'A' * 22}.{'A' * 43}"

    refused = refresh(client, forged, check=False)
    assert refused.status == 403 and refused.message == UNKNOWN, str(refused)
    assert refresh(client, token).status == 200
