"""Additional public keys of every kind, mixed with a signing key of any kind, and keys that must be refused."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from support.accounts import create_account
from support.system import System, SystemFailure

from .jwks import assert_published_as, published_keys, verify_with_pyjwt
from .keygen import KIND_FORMS, REFUSED_FORMS, make_key, token_parts


@pytest.mark.parametrize("signing_kind", list(KIND_FORMS))
def test_additional_public_keys_of_every_kind_are_published_and_verify_tokens(
    make_system: Callable[..., System], tmp_path: Path, signing_kind: str
) -> None:
    """JWT_ADDITIONAL_PUBLIC_KEY_FILES with an Ed25519, a P-256 and an RSA public key (SPKI PEM, as
    ``openssl pkey -pubout`` writes them): the JWKS publishes all four keys; a token signed by any
    additional key opens /api/test/user at the gateway and the content service and PyJWT verifies it; a
    token signed by one additional key under another's kid is refused."""
    signing = make_key(tmp_path, KIND_FORMS[signing_kind])
    extras = [make_key(tmp_path, form) for form in KIND_FORMS.values()]
    system = make_system(env={
        "JWT_PRIVATE_KEY_FILE": str(signing.private_path),
        "JWT_ADDITIONAL_PUBLIC_KEY_FILES": ",".join(str(key.public_path) for key in extras),
    }, name=f"mixed-{signing_kind}")
    gateway, content = system.client(), system.service_client("content")

    keys = published_keys(gateway)
    by_kid = {jwk.get("kid"): jwk for jwk in keys}
    assert set(by_kid) == {key.kid for key in [signing, *extras]} and len(keys) == 4, keys
    for key in [signing, *extras]:
        assert_published_as(by_kid[key.kid], key)

    _, claims = token_parts(create_account(gateway).access_token)
    for key in extras:
        token = key.mint(claims)
        verify_with_pyjwt(system, token, keys)
        for where, client in (("gateway", gateway), ("content service", content)):
            reply = client.get("/api/test/user", headers={"Authorization": f"Bearer {token}"})
            assert (reply.status, reply.text) == (200, "User Content."), f"{key.form} at the {where}: {reply}"
    for signer, named in zip(extras, extras[1:] + extras[:1]):
        token = signer.mint(claims, kid=named.kid)
        reply = gateway.get("/api/test/user", headers={"Authorization": f"Bearer {token}"})
        assert reply.status == 401, f"{signer.alg} signature under the {named.alg} key's kid: {reply}"


def _refusal(make_system: Callable[..., System], env: dict[str, str]) -> str:
    with pytest.raises(SystemFailure) as failure:
        make_system(env=env, name="refused-key")
    text = str(failure.value)
    assert text.startswith("auth exited during start"), text[:500]
    assert "exited with status" in text and "killed by" not in text, f"not a clean exit: {text[:500]}"
    return text


@pytest.mark.parametrize("form", list(REFUSED_FORMS))
def test_a_signing_key_of_no_accepted_kind_stops_the_auth_service_with_a_reason(
    make_system: Callable[..., System], tmp_path: Path, form: str
) -> None:
    """RSA under 2048 bits, P-384 and Ed448 are refused: the auth service exits non-zero at start (no
    trap) and its log names JWT_PRIVATE_KEY_FILE, rather than signing with a key nobody should trust."""
    key = make_key(tmp_path, form, REFUSED_FORMS[form])
    text = _refusal(make_system, {"JWT_PRIVATE_KEY_FILE": str(key.private_path)})
    assert "JWT_PRIVATE_KEY_FILE" in text, text[-1500:]


@pytest.mark.parametrize("form", ["rsa1024", "p384"])
def test_an_additional_public_key_of_no_accepted_kind_stops_the_auth_service_with_a_reason(
    make_system: Callable[..., System], tmp_path: Path, form: str
) -> None:
    """The same for JWT_ADDITIONAL_PUBLIC_KEY_FILES: the log names the file that cannot be used."""
    signing = make_key(tmp_path, KIND_FORMS["ES256"])
    extra = make_key(tmp_path, form, REFUSED_FORMS[form])
    text = _refusal(make_system, {"JWT_PRIVATE_KEY_FILE": str(signing.private_path),
                                  "JWT_ADDITIONAL_PUBLIC_KEY_FILES": str(extra.public_path)})
    assert str(extra.public_path) in text, text[-1500:]
