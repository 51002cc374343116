"""Generated hostile input on the second-factor routes (issue 25): the signin's second step, enrolment,
confirmation, new recovery codes, disabling, and an admin's removal.

Every example gets a 4xx JSON answer (or the route's success where the input validly asks for it),
no process dies, and nothing happens that the example did not validly ask for: afterwards the enrolled
user's factor and recovery codes are as they were, a real pending signin still finishes with a real
code, and the calling sessions live on.
"""

from __future__ import annotations

import pyotp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from support.accounts import Account, create_account
from support.system import System

from .bodies import fields_in, fill_id, hostile_bodies, malformed_id_templates, unknown_user_ids
from .common import after_batch
from .generated import PAD_60K, is_client_error, json_body, open_batch, run_example, send

PRIVATE_REDIS = True
ADMIN_ACCOUNT = True
#: Junk codes count as wrong codes in the back-off; the back-off is not what this suite tests.
SYSTEM_ENV = {"SIGNIN_FREE_FAILURES": "100000"}

MFA_FIELDS = ["mfaToken", "code", "recoveryCode", "currentPassword"]
EXAMPLES = 40
PASSWORD = "hostile-mfa-pw"


def _enrolled(system: System) -> tuple[Account, str, list[str]]:
    """A user with a confirmed factor: the account (its session's fresh pair), secret and recovery codes."""
    client = system.client()
    user = create_account(client, password=PASSWORD)
    secret = client.post("/api/auth/mfa/totp/enroll", json={"currentPassword": PASSWORD}, headers=user.headers()).json()["secret"]
    body = client.post("/api/auth/mfa/totp/confirm", json={"code": pyotp.TOTP(secret).now()}, headers=user.headers()).json()
    user.access_token, user.refresh_token = body["accessToken"], body["refreshToken"]
    return user, secret, body["recoveryCodes"]


def _mfa_token(system: System, user: Account) -> str:
    return system.client().post("/api/auth/signin", json={"username": user.username, "password": PASSWORD}).json()["mfaToken"]


def _status(system: System, user: Account) -> dict:
    return system.client().get("/api/auth/me", headers=user.headers()).json()["mfa"]


def test_generated_second_step_bodies_sign_nobody_in(hostile_system: System) -> None:
    """POST /api/auth/signin/mfa with junk, and with the real mfaToken beside junk codes: always 4xx
    (the token dies after five wrong codes, as it should); a new signin then finishes with a real code."""
    sessions = open_batch(hostile_system)
    client = hostile_system.client()
    user, secret, codes = _enrolled(hostile_system)
    token = _mfa_token(hostile_system, user)

    @settings(max_examples=EXAMPLES)
    @given(hostile_bodies(MFA_FIELDS))
    @example(json_body('{"mfaToken":"%s","code":["123456"]}' % token))
    @example(json_body('{"mfaToken":"%s","code":"١٢٣٤٥٦"}' % token))
    @example(json_body('{"mfaToken":"%s","recoveryCode":"%s\\u0000"}' % (token, codes[0])))
    @example(json_body('{"mfaToken":["%s"],"recoveryCode":"%s"}' % (token, codes[0])))
    @example(json_body('{"mfaToken":"%s ","recoveryCode":"%s"}' % (token, codes[0])))
    @example(json_body('{"mfaToken":{"$ne":""},"code":"000000"}'))
    @example(json_body('{"mfaToken":"%s","code":"%s"}' % (token, "9" * 60_000)))
    @example(json_body(PAD_60K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = send(client, "/api/auth/signin/mfa", content_type, body)
            assert is_client_error(reply), str(reply)

        run_example(hostile_system, content_type, body, run)

    check()
    assert _status(hostile_system, user) == {"totp": True, "recoveryCodesLeft": 10}
    done = client.post("/api/auth/signin/mfa", json={"mfaToken": _mfa_token(hostile_system, user), "recoveryCode": codes[0]})
    assert done.status == 200, f"the junk spent the recovery code or broke the factor: {done}"
    after_batch(hostile_system, sessions)


def test_generated_factor_bodies_change_no_factor(hostile_system: System) -> None:
    """Enroll, confirm, new recovery codes and disable with junk from an enrolled user: 4xx, or 200 only
    where the body holds the right password or a real recovery code; the factor is still there after."""
    sessions = open_batch(hostile_system)
    client = hostile_system.client()
    user, secret, codes = _enrolled(hostile_system)
    headers = {"x-access-token": user.access_token}
    routes = [("POST", "/api/auth/mfa/totp/enroll"), ("POST", "/api/auth/mfa/totp/confirm"),
              ("POST", "/api/auth/mfa/recovery-codes"), ("DELETE", "/api/auth/mfa/totp")]

    @settings(max_examples=EXAMPLES)
    @given(hostile_bodies(MFA_FIELDS))
    @example(json_body('{"code":["%s"]}' % pyotp.TOTP(secret).now()))
    @example(json_body('{"recoveryCode":"%s","code":"%s"}' % (codes[1], "0" * 6)))
    @example(json_body('{"currentPassword":"%s\\u0000"}' % PASSWORD))
    @example(json_body('{"currentPassword":["%s"]}' % PASSWORD))
    @example(json_body('{"code":{"$gt":""}}'))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            fields = fields_in(content_type, body) or {}
            for method, path in routes:
                reply = send(client, path, content_type, body, headers=headers, method=method)
                # Enrolled already: enroll and confirm never succeed; only a real recovery code could.
                assert is_client_error(reply) or fields.get("recoveryCode") in codes, f"{method} {path}: {reply}"
            assert client.get("/api/auth/me", headers=headers).status == 200

        run_example(hostile_system, content_type, body, run)

    check()
    assert _status(hostile_system, user)["totp"] is True
    after_batch(hostile_system, sessions)


def test_generated_admin_removal_ids_remove_nothing(hostile_system: System, hostile_admin: Account) -> None:
    """DELETE /api/admin/users/{id}/mfa with malformed ids (4xx) and unknown ones (404); the target's factor stays."""
    client = hostile_system.client()
    user, _secret, _codes = _enrolled(hostile_system)

    @settings(max_examples=EXAMPLES)
    @given(st.one_of(malformed_id_templates(), unknown_user_ids()))
    @example("0")
    @example("-{n}")
    @example("{n}.0")
    @example("{wide}")
    @example(2147483647)
    def check(user_id: str | int) -> None:
        segment = str(user_id) if isinstance(user_id, int) else fill_id(user_id, user.id)

        def run() -> None:
            reply = client.request("DELETE", f"/api/admin/users/{segment}/mfa", headers=hostile_admin.headers())
            if isinstance(user_id, int):
                assert (reply.status, reply.message) == (404, "User not found"), f"{segment!r}: {reply}"
            else:
                assert is_client_error(reply), f"{segment!r}: {reply}"

        run_example(hostile_system, None, segment.encode(), run)

    check()
    assert _status(hostile_system, user)["totp"] is True
