"""Each kind of signing key, in each PEM form openssl writes, signs tokens anyone can verify from the JWKS.

For every key the test makes with openssl, a System is started with it as ``JWT_PRIVATE_KEY_FILE``; the
access token of a signin through the gateway must name the key (``kid`` = RFC 7638 thumbprint, ``alg``
of its kind, ``typ: at+jwt``), the JWKS must publish exactly its public half, and PyJWT must verify the
token with that JWK and ``algorithms=[its alg]``. Tokens whose header names another algorithm than the
key's must be refused by the gateway and by the content service, whatever they are signed with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from support.accounts import create_account, refresh
from support.http import Client
from support.system import System

from .jwks import assert_published_as, jwk_for, published_keys, verify_with_pyjwt
from .keygen import KEY_FORMS, KIND_FORMS, KeyFile, make_key, sign, token_parts

ACCESS_TOKEN_TTL = 900


def _system_signing_with(make_system: Callable[..., System], key: KeyFile) -> System:
    return make_system(env={"JWT_PRIVATE_KEY_FILE": str(key.private_path)}, name=f"key-{key.form}")


@pytest.mark.parametrize("form", list(KEY_FORMS))
def test_each_kind_of_signing_key_serves_tokens_that_pyjwt_verifies_from_the_jwks(
    make_system: Callable[..., System], tmp_path: Path, form: str
) -> None:
    """Signin and refresh tokens are signed by the configured key under its thumbprint and alg; the JWKS
    publishes that key alone, exactly; PyJWT verifies iss, aud and exp with it; /api/test/user opens."""
    key = make_key(tmp_path, form)
    system = _system_signing_with(make_system, key)
    client = system.client()
    account = create_account(client)
    refreshed = refresh(client, account.refresh_token)
    assert refreshed.status == 200, refreshed

    keys = published_keys(client)
    assert [jwk.get("kid") for jwk in keys] == [key.kid], keys
    assert_published_as(keys[0], key)
    for token in (account.access_token, refreshed.json()["accessToken"]):
        header, _ = token_parts(token)
        assert (header.get("alg"), header.get("kid"), header.get("typ")) == (key.alg, key.kid, "at+jwt"), header
        claims = verify_with_pyjwt(system, token, keys)
        assert (claims["id"], claims["sub"]) == (account.id, str(account.id)), claims
        assert claims["exp"] - claims["iat"] == ACCESS_TOKEN_TTL, claims
        board = client.get("/api/test/user", headers={"Authorization": f"Bearer {token}"})
        assert (board.status, board.text) == (200, "User Content."), board


def _forgeries(key: KeyFile, claims: dict, folder: Path) -> dict[str, str]:
    """Tokens under KEY's kid whose header names an algorithm the key is not published with."""
    header = {"typ": "at+jwt", "kid": key.kid}
    forged = {
        "HS256 MACed with the public key's PEM": sign("HS256", key.public_pem, header, claims),
        "HS256 MACed with the JWK's x or n": sign("HS256", (key.jwk.get("x") or key.jwk["n"]).encode(), header,
                                                   claims),
        "alg none": sign("none", None, header, claims),
    }
    for kind, form in KIND_FORMS.items():
        if kind != key.alg:
            other = make_key(folder / "others", form)
            forged[f"{kind}-headed, signed by a {kind} key"] = other.mint(claims, kid=key.kid)
    same_key_algs = {"RS256": ["RS512", "PS256"], "ES256": ["ES384"], "EdDSA": []}[key.alg]
    for alg in same_key_algs:
        forged[f"{alg}-headed, signed by the key itself"] = key.mint(claims, alg=alg)
    return forged


def _status(client: Client, token: str) -> tuple[int, str | None]:
    reply = client.get("/api/test/user", headers={"Authorization": f"Bearer {token}"})
    return reply.status, reply.message


@pytest.mark.parametrize("kind", list(KIND_FORMS))
def test_a_token_whose_header_names_another_alg_than_its_key_is_refused(
    make_system: Callable[..., System], tmp_path: Path, kind: str
) -> None:
    """Alg confusion: under the signing key's kid, HS256 MACed with the public key, alg none, another
    kind's signature, or the key's own signature under another alg are all 401 "Unauthorized!" at the
    gateway and at the content service itself; the same claims signed properly (the control) pass."""
    key = make_key(tmp_path, KIND_FORMS[kind])
    system = _system_signing_with(make_system, key)
    gateway, content = system.client(), system.service_client("content")
    _, claims = token_parts(create_account(gateway).access_token)

    control = key.mint(claims)
    assert jwk_for(published_keys(gateway), control)["alg"] == kind
    assert _status(gateway, control) == (200, None) and _status(content, control) == (200, None), \
        "a token the test signs properly with the real key must pass, or the refusals below prove nothing"
    for name, token in _forgeries(key, claims, tmp_path).items():
        for where, client in (("gateway", gateway), ("content service", content)):
            assert _status(client, token) == (401, "Unauthorized!"), f"{name}: accepted by the {where}"
