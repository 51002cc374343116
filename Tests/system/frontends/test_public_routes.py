"""Public routes answer whatever token headers come with them (the refresh editions attach one to everything).

The refresh-token frontends' interceptors put ``x-access-token`` on every request as long as one is stored
(expired or revoked included), the Angular token editions put ``Authorization: Bearer`` on every request,
and their refresh call itself carries the expired token. Each public route must answer as if no token
had been sent: a refusal there would sign the user out, or make the refresh interceptor loop.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Callable

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from support.accounts import DEFAULT_PASSWORD, Account, create_account, signin, unique_name
from support.http import Client
from support.system import System

from .clients import parse_jwt
from .visits import BOARDS, REGISTERED


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _tampered(token: str) -> str:
    """TOKEN with one character in the middle of its signature changed (the last one may encode padding)."""
    header, payload, signature = token.split(".")
    middle = len(signature) // 2
    swapped = "B" if signature[middle] != "B" else "C"
    return f"{header}.{payload}.{signature[:middle]}{swapped}{signature[middle + 1:]}"


def _unexpired_claims(token: str) -> dict:
    """TOKEN's claims valid for another hour, so that only the forgery can be the reason for a refusal."""
    return {**parse_jwt(token), "exp": int(time.time()) + 3600}


def _foreign(token: str) -> str:
    """The claims of TOKEN signed by a key this system never saw, under a made-up kid."""
    key = ec.generate_private_key(ec.SECP256R1())
    return jwt.encode(_unexpired_claims(token), key, algorithm="ES256", headers={"kid": "not-ours", "typ": "at+jwt"})


def _unsigned(token: str) -> str:
    """The claims of TOKEN with ``alg: none`` and no signature."""
    header = _b64url(json.dumps({"alg": "none", "typ": "at+jwt"}).encode())
    return f"{header}.{_b64url(json.dumps(_unexpired_claims(token)).encode())}."


@dataclass
class StaleTokens:
    """One token of each kind a frontend may still hold (name -> token), and a live account to sign in."""

    tokens: dict[str, str]
    account: Account


@pytest.fixture(scope="module")
def stale(short_token_system: System) -> StaleTokens:
    """An expired, a revoked, a tampered, a foreign, an unsigned and a garbage token (made once)."""
    client = short_token_system.client()
    expired = create_account(client)
    revoked = create_account(client)
    signed_out = client.post("/api/auth/signout", headers=revoked.headers())
    assert signed_out.status == 200, signed_out
    time.sleep(max(0.0, parse_jwt(expired.access_token)["exp"] - time.time() + 0.05))
    live = create_account(client)
    return StaleTokens({
        "expired": expired.access_token,
        "revoked": revoked.access_token,
        "tampered": _tampered(live.access_token),
        "foreign-key": _foreign(live.access_token),
        "alg-none": _unsigned(live.access_token),
        "garbage": "not-a-jwt",
    }, live)


def _headers(style: str, token: str) -> dict[str, str]:
    return {"x-access-token": token} if style == "x-access-token" else {"Authorization": f"Bearer {token}"}


def _public_content(client: Client, headers: dict[str, str], _: Account) -> None:
    reply = client.get("/api/test/all", headers=headers)
    assert (reply.status, reply.text) == (200, BOARDS["all"]), reply


def _welcome(client: Client, headers: dict[str, str], _: Account) -> None:
    reply = client.get("/", headers=headers)
    assert reply.status == 200 and isinstance(reply.message, str), reply


def _jwks(client: Client, headers: dict[str, str], _: Account) -> None:
    reply = client.get("/.well-known/jwks.json", headers=headers)
    assert reply.status == 200 and reply.json()["keys"], reply


def _signin(client: Client, headers: dict[str, str], account: Account) -> None:
    reply = client.post("/api/auth/signin", json={"username": account.username, "password": DEFAULT_PASSWORD},
                        headers=headers)
    assert reply.status == 200 and reply.json()["accessToken"], reply


def _signup(client: Client, headers: dict[str, str], _: Account) -> None:
    name = unique_name("pub")
    reply = client.post("/api/auth/signup", headers=headers,
                        json={"username": name, "email": f"{name}@example.com", "password": DEFAULT_PASSWORD})
    assert (reply.status, reply.message) == (200, REGISTERED), reply
    assert signin(client, name).status == 200, "the account was not created"


def _refresh(client: Client, headers: dict[str, str], _: Account) -> None:
    account = create_account(client)
    reply = client.post("/api/auth/refreshtoken", json={"refreshToken": account.refresh_token}, headers=headers)
    assert reply.status == 200 and reply.json()["accessToken"], reply


#: Every public route of the gateway, each as the call a frontend makes and the answer it must get (the
#: frontends never send HEAD; the hostile suite covers it).
ROUTES: dict[str, Callable[[Client, dict[str, str], Account], None]] = {
    "GET /api/test/all": _public_content,
    "GET /": _welcome,
    "GET /.well-known/jwks.json": _jwks,
    "POST /api/auth/signin": _signin,
    "POST /api/auth/signup": _signup,
    "POST /api/auth/refreshtoken": _refresh,
}


@pytest.mark.parametrize("style", ["x-access-token", "bearer"])
@pytest.mark.parametrize("kind", ["expired", "revoked", "tampered", "foreign-key", "alg-none", "garbage"])
@pytest.mark.parametrize("route", list(ROUTES))
def test_a_public_route_answers_whatever_token_comes_with_it(
    short_token_system: System, stale: StaleTokens, route: str, kind: str, style: str
) -> None:
    """ROUTE with a KIND token in the STYLE header answers exactly as without one."""
    ROUTES[route](short_token_system.client(), _headers(style, stale.tokens[kind]), stale.account)


def test_the_same_bad_tokens_still_close_the_protected_routes(short_token_system: System, stale: StaleTokens) -> None:
    """The other side: every one of those tokens is refused on /api/test/user (401), so the public routes'
    tolerance is not a hole."""
    client = short_token_system.client()
    for kind, token in stale.tokens.items():
        for style in ("x-access-token", "bearer"):
            reply = client.get("/api/test/user", headers=_headers(style, token))
            assert reply.status == 401, f"{kind} in {style}: {reply}"
    expired = client.get("/api/test/user", headers=_headers("x-access-token", stale.tokens["expired"]))
    assert expired.message == "Unauthorized! Access Token was expired!", expired
