"""What a running deployment shows through its gateway, whoever started it: ready, the key it signs with,
the bootstrap admin, and one session rotating and ending in the shared stores.

Against the compose stack (``make compose-test`` runs this folder with SYSTEM_TEST_GATEWAY_URL) the key is
the one mounted as a secret, and each call lands on either of two auth replicas, so the rotations cross
them; locally, the harness's own system answers the same.
"""

from __future__ import annotations

from support.accounts import admin, create_account, refresh
from support.system import System


def test_ready_and_every_answer_carries_a_request_id(tutorial_system: System) -> None:
    client = tutorial_system.client()
    ready = client.get("/health/ready")
    assert ready.status == 200, ready
    assert ready.headers.get("X-Request-Id"), ready.headers


def test_the_jwks_publishes_an_es256_p256_key(tutorial_system: System) -> None:
    keys = tutorial_system.client().get("/.well-known/jwks.json").json()["keys"]
    assert any(key.get("kty") == "EC" and key.get("crv") == "P-256" and key.get("kid") for key in keys), keys


def test_the_bootstrap_admin_signs_in_as_admin(tutorial_system: System) -> None:
    assert "ROLE_ADMIN" in admin(tutorial_system.client()).roles


def test_a_session_rotates_wherever_it_lands_and_its_signout_holds_at_once(tutorial_system: System) -> None:
    client = tutorial_system.client()
    account = create_account(client)
    refresh_token, access_token = account.refresh_token, account.access_token
    for rotation in range(1, 5):
        rotated = refresh(client, refresh_token)
        assert rotated.status == 200, f"rotation {rotation}: {rotated}"
        assert rotated.json()["refreshToken"] not in ("", refresh_token), f"rotation {rotation}: {rotated}"
        refresh_token, access_token = rotated.json()["refreshToken"], rotated.json()["accessToken"]
    headers = {"x-access-token": access_token}
    content = client.get("/api/test/user", headers=headers)
    assert (content.status, content.text) == (200, "User Content."), content
    signout = client.post("/api/auth/signout", headers=headers)
    assert (signout.status, signout.message) == (200, "You've been signed out!"), signout
    after = client.get("/api/test/user", headers=headers, check=False)
    assert after.status == 401, after
    ended = refresh(client, refresh_token, check=False)
    assert ended.status == 403, ended
