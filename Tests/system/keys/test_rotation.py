"""Rotating the signing key with no downtime, end to end, between keys of the same or different kinds.

The procedure (docs/sessions-and-accounts.md, "Signing keys"): (a) sign with A, publish A; (b) restart
the auth service signing with A and publishing B as an additional public key, and wait until the
verifiers know B; (c) restart it signing with B, publishing A as the additional key: tokens from A
and from B are both accepted; (d) after the access-token lifetime, restart it publishing B only: once the
gateway and the content service have refreshed their JWKS (``JWKS_REFRESH_INTERVAL``, 1 s here) A's
tokens are refused and B's accepted.
The protected routes keep answering through every restart: the gateway and the content service verify
locally and never need the auth service for that.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

import pytest

from support.accounts import create_account, refresh
from support.processes import wait_until
from support.system import System

from frontends.restart import restart

from .jwks import published_keys, verify_with_pyjwt
from .keygen import KIND_FORMS, KeyFile, make_key, token_parts

JWKS_REFRESH_INTERVAL = 1
#: Longest wait for the verifiers to pick up a JWKS change: a few refresh intervals on a busy machine.
PICKUP_TIMEOUT = 10 * JWKS_REFRESH_INTERVAL


class Prober:
    """A thread that keeps calling /api/test/user with each token (and /api/test/all) and records every
    answer that is not 200, so that a restart's downtime, however short, is seen."""

    def __init__(self, system: System, tokens: list[str]) -> None:
        self.client = system.client()
        self.tokens = list(tokens)
        self.failures: list[str] = []
        self.requests = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="prober", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for token in [*self.tokens, None]:
                path = "/api/test/all" if token is None else "/api/test/user"
                headers = {} if token is None else {"Authorization": f"Bearer {token}"}
                try:
                    reply = self.client.get(path, headers=headers, check=False, timeout=(2.0, 5.0))
                    if reply.status != 200:
                        self.failures.append(f"{time.strftime('%X')} {path}: {reply}")
                except Exception as error:  # noqa: BLE001 - a refused connection is downtime too
                    self.failures.append(f"{time.strftime('%X')} {path}: {error!r}")
                self.requests += 1
            time.sleep(0.02)

    def __enter__(self) -> "Prober":
        self._thread.start()
        return self

    #: Probes that must have run for "no downtime" to mean something.
    MINIMUM_REQUESTS = 20

    def __exit__(self, *exc: object) -> None:
        # A step that went quickly (or a thread that got little time) still gets its minimum of
        # probes: they run on after the step, which is where a late failure would show.
        wait_until(lambda: self.requests >= self.MINIMUM_REQUESTS, 10)
        self._stop.set()
        self._thread.join(timeout=10)

    def assert_no_downtime(self, what: str) -> None:
        """Fails naming the answers that were not 200; also fails when too few requests ran to tell."""
        assert self.requests >= self.MINIMUM_REQUESTS, f"{what}: only {self.requests} probe requests ran"
        assert not self.failures, f"{what}: {len(self.failures)} of {self.requests} probes failed: {self.failures[:5]}"


def _kids(system: System) -> set[str]:
    return {jwk["kid"] for jwk in published_keys(system.client())}


def _user_board(system: System, token: str, service: str = "gateway") -> int:
    client = system.client() if service == "gateway" else system.service_client("content")
    return client.get("/api/test/user", headers={"Authorization": f"Bearer {token}"}).status


def _restart_auth(system: System, signing: KeyFile, additional: list[KeyFile]) -> None:
    restart(system, system.auth, env={
        "JWT_PRIVATE_KEY_FILE": str(signing.private_path),
        "JWT_ADDITIONAL_PUBLIC_KEY_FILES": ",".join(str(key.public_path) for key in additional),
    })


@pytest.mark.parametrize(("old_kind", "new_kind"), [("ES256", "ES256"), ("ES256", "EdDSA"), ("EdDSA", "RS256")])
def test_the_signing_key_rotates_without_downtime_and_the_old_key_retires(
    make_system: Callable[..., System], tmp_path: Path, old_kind: str, new_kind: str
) -> None:
    """Steps (a) to (d) with protected routes probed throughout: no probe fails; after (c) tokens of A
    and B both open /api/test/user and a session begun under A refreshes into a B token; after (d) A's
    tokens (one the verifiers had cached, and a fresh one) are refused by the gateway and the content
    service while B's still pass."""
    a, b = make_key(tmp_path, KIND_FORMS[old_kind]), make_key(tmp_path, KIND_FORMS[new_kind])
    system = make_system(env={"JWT_PRIVATE_KEY_FILE": str(a.private_path),
                              "JWKS_REFRESH_INTERVAL": str(JWKS_REFRESH_INTERVAL)},
                         name=f"rotate-{old_kind}-{new_kind}")
    client = system.client()
    # (a) sign with A, publish A
    account = create_account(client)
    token_a = account.access_token
    assert token_parts(token_a)[0]["kid"] == a.kid and _kids(system) == {a.kid}
    _, claims = token_parts(token_a)

    with Prober(system, [token_a]) as prober:
        # (b) sign with A, publish A and B; the verifiers learn B before any B token exists
        _restart_auth(system, a, [b])
        assert _kids(system) == {a.kid, b.kid}
        early_b = b.mint(claims)
        assert wait_until(lambda: _user_board(system, early_b) == 200, PICKUP_TIMEOUT) and wait_until(
            lambda: _user_board(system, early_b, "content") == 200, PICKUP_TIMEOUT
        ), "the gateway or the content service never accepted B after (b)"
        # (c) sign with B, publish B and A
        _restart_auth(system, b, [a])
        assert _kids(system) == {a.kid, b.kid}
        token_b = create_account(client).access_token
        assert token_parts(token_b)[0]["kid"] == b.kid
        verify_with_pyjwt(system, token_b)
        verify_with_pyjwt(system, token_a)
        prober.tokens.append(token_b)
        assert _user_board(system, token_a) == 200 and _user_board(system, token_b) == 200
        carried = refresh(client, account.refresh_token)
        assert carried.status == 200 and token_parts(carried.json()["accessToken"])[0]["kid"] == b.kid, carried
        time.sleep(0.5)  # let the prober run with both tokens
    prober.assert_no_downtime("rotation steps (a) to (c)")

    with Prober(system, [token_b]) as prober:
        # (d) retire A: publish B only
        _restart_auth(system, b, [])
        assert _kids(system) == {b.kid}
        assert wait_until(lambda: _user_board(system, token_a) == 401, PICKUP_TIMEOUT), \
            "the gateway still accepts a token of the retired key"
        fresh_a = a.mint(claims)
        for token, what in ((token_a, "a token of A it had verified before"), (fresh_a, "a fresh token of A")):
            assert _user_board(system, token) == 401, f"gateway accepts {what}"
            assert wait_until(lambda: _user_board(system, token, "content") == 401, PICKUP_TIMEOUT), \
                f"the content service accepts {what}"
        assert _user_board(system, token_b) == 200
    prober.assert_no_downtime("retiring A")
