"""Fixtures and helpers of the second-factor suite (issue 25): enrol with the real API, compute codes with
pyotp (an implementation of RFC 6238 of its own, not ours), sign in in two steps.

Time: the services run on the real clock. What the tests control is the time pyotp computes a code for
(``code_at``: so many 30-second steps from now), after waiting until now is well inside a step
(``wait_inside_step``), so that "one step early" means one step early to the server too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterator

import jwt
import pyotp
import pytest

from support.accounts import DEFAULT_PASSWORD, Account, create_account
from support.fixtures import _Systems
from support.http import Client, Reply
from support.system import System

STEP = 30
CHALLENGE_MESSAGE = "Enter your authentication code"
INVALID_CODE = {"message": "Invalid authentication code"}
INVALID_TOKEN = {"message": "Invalid or expired mfaToken: please sign in again"}


@pytest.fixture(scope="module")
def mfa_system(request: pytest.FixtureRequest) -> Iterator[System]:
    """One System per module, env from the module's SYSTEM_ENV (mail when the module sets MAIL = True)."""
    systems = _Systems(request.module.__name__.rsplit(".", 1)[-1])
    yield systems.start(env=dict(getattr(request.module, "SYSTEM_ENV", {})), mail=bool(getattr(request.module, "MAIL", False)))
    systems.finish()


def wait_inside_step(margin: float = 3.0, before_end: float | None = None) -> None:
    """Sleeps until now is at least MARGIN seconds into a 30-second step and BEFORE_END (default MARGIN)
    seconds before its end: a code computed for now plus k steps is then of the server's step plus k."""
    before_end = margin if before_end is None else before_end
    while True:
        into = time.time() % STEP
        if margin <= into <= STEP - before_end:
            return
        time.sleep((STEP - into + margin) if into > STEP - before_end else (margin - into))


def code_at(secret: str, steps: int = 0) -> str:
    """The code of the step STEPS away from now, as an authenticator app with that clock shows it."""
    return pyotp.TOTP(secret).at(time.time() + steps * STEP)


def claims(access_token: str) -> dict:
    """The access token's claims (the signature is the gateway's business)."""
    return jwt.decode(access_token, options={"verify_signature": False})


@dataclass
class Enrolled:
    account: Account
    secret: str
    recovery_codes: list[str]


def enrol(client: Client, account: Account) -> dict:
    reply = client.post("/api/auth/mfa/totp/enroll", json={"currentPassword": account.password}, headers=account.headers())
    assert reply.status == 200, str(reply)
    return reply.json()


def confirm(client: Client, account: Account, secret: str, steps: int = 0) -> list[str]:
    """Confirms with a code STEPS away; the account takes the session's fresh pair."""
    reply = client.post("/api/auth/mfa/totp/confirm", json={"code": code_at(secret, steps)}, headers=account.headers())
    assert reply.status == 200, str(reply)
    body = reply.json()
    account.access_token, account.refresh_token = body["accessToken"], body["refreshToken"]
    return body["recoveryCodes"]


def enrolled_account(client: Client, confirm_steps: int = 0, **kwargs) -> Enrolled:  # noqa: ANN003
    """A new account with a confirmed factor (confirmed with a code CONFIRM_STEPS away)."""
    account = create_account(client, **kwargs)
    secret = enrol(client, account)["secret"]
    return Enrolled(account, secret, confirm(client, account, secret, confirm_steps))


def start_signin(client: Client, username: str, password: str = DEFAULT_PASSWORD) -> str:
    """The first half of a signin of an enrolled account: its mfaToken."""
    reply = client.post("/api/auth/signin", json={"username": username, "password": password})
    assert reply.status == 200, str(reply)
    body = reply.json()
    assert body["mfaRequired"] is True and body["message"] == CHALLENGE_MESSAGE, body
    assert "accessToken" not in body and "refreshToken" not in body, body
    return body["mfaToken"]


def finish(client: Client, mfa_token: str, code: str | None = None, recovery_code: str | None = None) -> Reply:
    body: dict[str, str] = {"mfaToken": mfa_token}
    if code is not None:
        body["code"] = code
    if recovery_code is not None:
        body["recoveryCode"] = recovery_code
    return client.post("/api/auth/signin/mfa", json=body)


def me(client: Client, access_token: str) -> dict:
    reply = client.get("/api/auth/me", headers={"x-access-token": access_token})
    assert reply.status == 200, str(reply)
    return reply.json()
