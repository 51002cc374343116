"""TOTP second factor end to end through the gateway (issue 25): enrol, confirm, the two-step signin
with a code and with a recovery code, replay and drift, the mfaToken's single use and its five
attempts, amr in the tokens (and across a refresh), recovery codes, disabling, and the factor a
password change needs. Codes are computed with pyotp from the secret the enrolment answered."""

from __future__ import annotations

import time

from support.accounts import DEFAULT_PASSWORD, create_account, refresh, signin
from support.system import System

from .conftest import (INVALID_CODE, INVALID_TOKEN, STEP, claims, code_at, confirm, enrol, enrolled_account, finish, me,
                       start_signin, wait_inside_step)

#: Wrong codes are counted in the back-off; this module's tests are not about the back-off.
SYSTEM_ENV = {"SIGNIN_FREE_FAILURES": "50"}


def test_enrol_confirm_and_sign_in_with_a_code(mfa_system: System) -> None:
    client = mfa_system.client()
    account = create_account(client)
    assert me(client, account.access_token)["mfa"] == {"totp": False, "recoveryCodesLeft": 0}
    assert claims(account.access_token)["amr"] == ["pwd"]
    enrolment = enrol(client, account)
    secret = enrolment["secret"]
    assert enrolment["otpauthUri"] == (f"otpauth://totp/Auth:{account.username}?secret={secret}&issuer=Auth"
                                       "&algorithm=SHA1&digits=6&period=30")
    # Pending: nothing is enforced yet, signin still hands out tokens.
    assert "accessToken" in signin(client, account.username).json()
    other_device = signin(client, account.username).json()
    wait_inside_step()
    old_token = account.access_token
    codes = confirm(client, account, secret)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert claims(account.access_token)["amr"] == ["pwd", "otp"]
    # Enabling ended every other session and refused the tokens issued before it.
    assert client.get("/api/auth/me", headers={"x-access-token": old_token}, check=False).status == 401
    assert refresh(client, other_device["refreshToken"], check=False).status == 403
    assert me(client, account.access_token)["mfa"] == {"totp": True, "recoveryCodesLeft": 10}
    # The calling session goes on, and a refresh keeps its amr.
    renewed = refresh(client, account.refresh_token).json()
    assert claims(renewed["accessToken"])["amr"] == ["pwd", "otp"]
    # Signin now asks for the code; the tutorial's client, which looks for accessToken, stores nothing.
    token = start_signin(client, account.username)
    wait_inside_step()
    reply = finish(client, token, code=code_at(secret, 1))
    assert reply.status == 200, str(reply)
    body = reply.json()
    assert (body["id"], body["username"], body["roles"]) == (account.id, account.username, ["ROLE_USER"])
    assert claims(body["accessToken"])["amr"] == ["pwd", "otp"]
    after_refresh = refresh(client, body["refreshToken"]).json()
    assert claims(after_refresh["accessToken"])["amr"] == ["pwd", "otp"]
    assert client.get("/api/test/user", headers={"x-access-token": after_refresh["accessToken"]}).status == 200


def test_a_wrong_password_of_an_enrolled_account_reveals_nothing(mfa_system: System) -> None:
    client = mfa_system.client()
    enrolled = enrolled_account(client)
    reply = signin(client, enrolled.account.username, "not-the-password", check=False)
    assert (reply.status, reply.json()) == (401, {"accessToken": None, "message": "Invalid username or password!"})


def test_a_code_is_accepted_once_and_the_mfa_token_is_single_use(mfa_system: System) -> None:
    client = mfa_system.client()
    wait_inside_step()
    enrolled = enrolled_account(client, confirm_steps=-1)
    code = code_at(enrolled.secret)
    token = start_signin(client, enrolled.account.username)
    assert finish(client, token, code=code).status == 200
    # The same token again: spent.
    assert (lambda r: (r.status, r.json()))(finish(client, token, code=code_at(enrolled.secret, 1))) == (401, INVALID_TOKEN)
    # The same code with a fresh token: a replay within its window (RFC 6238 §5.2).
    replay = finish(client, start_signin(client, enrolled.account.username), code=code)
    assert (replay.status, replay.json()) == (401, INVALID_CODE)
    # The confirming code was spent too: an older step is never accepted after a newer one.
    assert finish(client, start_signin(client, enrolled.account.username), code=code_at(enrolled.secret, -1)).status == 401


def test_one_step_of_drift_is_accepted_and_two_are_refused(mfa_system: System) -> None:
    """The test's clock is the controlled one: codes for now ±k steps, well inside a step. A refusal
    counts only where a replay cannot explain it: each account's last accepted step is below the code's."""
    client = mfa_system.client()
    wait_inside_step(margin=3, before_end=8)
    ahead = enrolled_account(client, confirm_steps=-1)      # last accepted step: s-1
    too_far_ahead = enrolled_account(client, confirm_steps=-1)
    behind = enrolled_account(client, confirm_steps=-1)
    too_far_behind = enrolled_account(client, confirm_steps=-1)
    started_step = int(time.time() // STEP)
    assert finish(client, start_signin(client, ahead.account.username), code=code_at(ahead.secret, 1)).status == 200
    refused = finish(client, start_signin(client, too_far_ahead.account.username), code=code_at(too_far_ahead.secret, 2))
    assert (refused.status, refused.json()) == (401, INVALID_CODE)
    # Two steps later (s+2), s+1 is one step behind and s two steps behind, both above s-1.
    time.sleep(max(0.0, (started_step + 2) * STEP + 3 - time.time()))
    wait_inside_step()
    behind_reply = finish(client, start_signin(client, behind.account.username), code=code_at(behind.secret, -1))
    assert behind_reply.status == 200, str(behind_reply)
    refused = finish(client, start_signin(client, too_far_behind.account.username), code=code_at(too_far_behind.secret, -2))
    assert (refused.status, refused.json()) == (401, INVALID_CODE)
    # The refused accounts' factors were not touched: a current code works.
    for enrolled in (too_far_ahead, too_far_behind):
        assert finish(client, start_signin(client, enrolled.account.username), code=code_at(enrolled.secret)).status == 200


def test_five_wrong_codes_kill_the_mfa_token(mfa_system: System) -> None:
    client = mfa_system.client()
    enrolled = enrolled_account(client)
    token = start_signin(client, enrolled.account.username)
    for _ in range(5):
        reply = finish(client, token, code="000000" if code_at(enrolled.secret) != "000000" else "111111")
        assert (reply.status, reply.json()) == (401, INVALID_CODE)
    wait_inside_step()
    dead = finish(client, token, code=code_at(enrolled.secret, 1))
    assert (dead.status, dead.json()) == (401, INVALID_TOKEN)
    # Four wrong codes leave it alive.
    token = start_signin(client, enrolled.account.username)
    for _ in range(4):
        assert finish(client, token, recovery_code="aaaa-bbbb-cccc").status == 401
    assert finish(client, token, code=code_at(enrolled.secret, 1)).status == 200


def test_a_recovery_code_works_once(mfa_system: System) -> None:
    client = mfa_system.client()
    enrolled = enrolled_account(client)
    first, second = enrolled.recovery_codes[:2]
    reply = finish(client, start_signin(client, enrolled.account.username), recovery_code=first)
    assert reply.status == 200, str(reply)
    body = reply.json()
    assert claims(body["accessToken"])["amr"] == ["pwd", "otp"]
    assert me(client, body["accessToken"])["mfa"] == {"totp": True, "recoveryCodesLeft": 9}
    again = finish(client, start_signin(client, enrolled.account.username), recovery_code=first)
    assert (again.status, again.json()) == (401, INVALID_CODE)
    # Typed in capitals without dashes, another one works.
    typed = second.replace("-", "").upper()
    assert finish(client, start_signin(client, enrolled.account.username), recovery_code=typed).status == 200
    both = client.post("/api/auth/signin/mfa", json={"mfaToken": start_signin(client, enrolled.account.username),
                                                      "code": "123456", "recoveryCode": second}, check=False)
    assert both.status == 400


def test_new_recovery_codes_replace_the_old_set(mfa_system: System) -> None:
    client = mfa_system.client()
    enrolled = enrolled_account(client)
    account = enrolled.account
    reply = client.post("/api/auth/mfa/recovery-codes", json={"recoveryCode": enrolled.recovery_codes[0]}, headers=account.headers())
    assert reply.status == 200, str(reply)
    fresh = reply.json()["recoveryCodes"]
    assert len(fresh) == 10 and not set(fresh) & set(enrolled.recovery_codes)
    assert me(client, account.access_token)["mfa"] == {"totp": True, "recoveryCodesLeft": 10}
    old = finish(client, start_signin(client, account.username), recovery_code=enrolled.recovery_codes[1])
    assert (old.status, old.json()) == (401, INVALID_CODE)
    assert finish(client, start_signin(client, account.username), recovery_code=fresh[0]).status == 200
    wrong = client.post("/api/auth/mfa/recovery-codes", json={"code": "000000"}, headers=account.headers())
    assert (wrong.status, wrong.json()) == (401, INVALID_CODE) or code_at(enrolled.secret) == "000000"


def test_a_password_change_of_an_enrolled_user_needs_the_factor(mfa_system: System) -> None:
    client = mfa_system.client()
    enrolled = enrolled_account(client, confirm_steps=-1)
    account = enrolled.account
    body = {"currentPassword": DEFAULT_PASSWORD, "newPassword": "new-password-2"}
    missing = client.post("/api/auth/password", json=body, headers=account.headers())
    assert (missing.status, missing.json()) == (401, {"message": "Two-factor authentication code required"})
    wrong = client.post("/api/auth/password", json={**body, "recoveryCode": "zzzz-zzzz-zzzz"}, headers=account.headers())
    assert (wrong.status, wrong.json()) == (401, INVALID_CODE)
    changed = client.post("/api/auth/password", json={**body, "code": code_at(enrolled.secret)}, headers=account.headers())
    assert changed.status == 200, str(changed)
    assert claims(changed.json()["accessToken"])["amr"] == ["pwd", "otp"]
    # The factor stays: the new password leads to the code, not to tokens.
    start_signin(client, account.username, "new-password-2")


def test_disabling_needs_a_code_and_signin_goes_back_to_one_step(mfa_system: System) -> None:
    client = mfa_system.client()
    enrolled = enrolled_account(client, confirm_steps=-1)
    account = enrolled.account
    refused = client.request("DELETE", "/api/auth/mfa/totp", json={"code": "12345"}, headers=account.headers())
    assert (refused.status, refused.json()) == (401, INVALID_CODE)
    reply = client.request("DELETE", "/api/auth/mfa/totp", json={"code": code_at(enrolled.secret)}, headers=account.headers())
    assert reply.status == 200, str(reply)
    assert reply.json()["message"] == "Two-factor authentication disabled"
    assert me(client, reply.json()["accessToken"])["mfa"] == {"totp": False, "recoveryCodesLeft": 0}
    body = signin(client, account.username).json()
    assert claims(body["accessToken"])["amr"] == ["pwd"]
    again = client.request("DELETE", "/api/auth/mfa/totp", json={"code": code_at(enrolled.secret)},
                           headers={"x-access-token": body["accessToken"]})
    assert (again.status, again.json()) == (400, {"message": "Two-factor authentication is not enabled"})


def test_a_second_enroll_replaces_a_pending_secret_and_an_enabled_factor_refuses_it(mfa_system: System) -> None:
    client = mfa_system.client()
    account = create_account(client)
    first = enrol(client, account)["secret"]
    second = enrol(client, account)["secret"]
    assert first != second
    wait_inside_step()
    stale = client.post("/api/auth/mfa/totp/confirm", json={"code": code_at(first)}, headers=account.headers())
    assert stale.status == 401 or code_at(first) == code_at(second)
    confirm(client, account, second)
    refused = client.post("/api/auth/mfa/totp/enroll", json={"currentPassword": DEFAULT_PASSWORD}, headers=account.headers())
    assert (refused.status, refused.json()) == (400, {"message": "Two-factor authentication is already enabled"})
    wrong_password = client.post("/api/auth/mfa/totp/enroll", json={"currentPassword": "nope-nope"}, headers=account.headers())
    assert (wrong_password.status, wrong_password.json()) == (401, {"message": "Wrong current password!"})
