"""Reading the JWKS through the gateway and verifying access tokens from it as any third party would (PyJWT)."""

from __future__ import annotations

from typing import Any

import jwt

from support.http import Client
from support.system import System

from .keygen import KeyFile, token_parts

#: JWK members that would be a private key's (RFC 7518 6.2.2, 6.3.2, RFC 8037): never in a JWKS.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
DEFAULT_ISSUER = "auth-backend"
DEFAULT_AUDIENCE = "auth-backend-api"


def published_keys(client: Client) -> list[dict[str, Any]]:
    """GET /.well-known/jwks.json through the gateway; the ``keys`` array."""
    reply = client.get("/.well-known/jwks.json")
    assert reply.status == 200, reply
    keys = reply.json()["keys"]
    assert isinstance(keys, list), reply
    return keys


def assert_published_as(jwk: dict[str, Any], key: KeyFile) -> None:
    """JWK is KEY's public half with its alg, ``use: sig`` and the RFC 7638 thumbprint as kid; no private part."""
    leaked = PRIVATE_MEMBERS & set(jwk)
    assert not leaked, f"the JWKS publishes private members {sorted(leaked)} of {key.form}"
    expected = key.jwk
    assert {name: jwk.get(name) for name in expected} == expected, f"{key.form}: published {jwk}, expected {expected}"


def jwk_for(keys: list[dict[str, Any]], token: str) -> dict[str, Any]:
    """The published JWK whose kid is the token header's (exactly one)."""
    kid = token_parts(token)[0].get("kid")
    matching = [jwk for jwk in keys if jwk.get("kid") == kid]
    assert len(matching) == 1, f"{len(matching)} JWKS entries for kid {kid!r}: {[jwk.get('kid') for jwk in keys]}"
    return matching[0]


def verify_with_pyjwt(system: System, token: str, keys: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Verifies TOKEN as a third party would: the JWK of its kid from the JWKS, ``algorithms=[that JWK's
    alg]`` (never the token's own header), and iss, aud, exp, iat and sub required. Returns the claims."""
    keys = keys if keys is not None else published_keys(system.client())
    jwk = jwk_for(keys, token)
    return jwt.decode(
        token,
        key=jwt.PyJWK(jwk).key,
        algorithms=[jwk["alg"]],
        audience=system.env.get("JWT_AUDIENCE", DEFAULT_AUDIENCE),
        issuer=system.env.get("JWT_ISSUER", DEFAULT_ISSUER),
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
