"""Where the second factor must hold beyond its own routes (issue 25): wrong codes in the per-account
back-off, an admin's removal (audited, with a notice mail), a reset by mail (the next signin still asks
for the code), and MFA_REQUIRED_ROLES, which leaves a signed-in admin without a factor only enrolment
and signout."""

from __future__ import annotations

import time

from support.accounts import admin, create_account, create_admin, refresh, signin, signup, unique_name
from support.system import ADMIN_PASSWORD, ADMIN_USERNAME, System

from .conftest import INVALID_CODE, claims, code_at, confirm, enrol, enrolled_account, finish, me, start_signin, wait_inside_step

MAIL = True
SYSTEM_ENV = {"SIGNIN_FREE_FAILURES": "2"}
REQUIRED = {"message": "Two-factor authentication required"}


def test_wrong_codes_count_in_the_per_account_back_off(mfa_system: System) -> None:
    client = mfa_system.client()
    enrolled = enrolled_account(client)
    wait_inside_step(before_end=8)
    token = start_signin(client, enrolled.account.username)
    for _ in range(2):
        assert (lambda r: (r.status, r.json()))(finish(client, token, recovery_code="aaaa-bbbb-cccc")) == (401, INVALID_CODE)
    # Locked now: the password signin and the second step both wait, and the token is not spent by that.
    locked = signin(client, enrolled.account.username, check=False)
    assert locked.status == 429 and int(locked.headers["Retry-After"]) >= 1
    held = finish(client, token, code=code_at(enrolled.secret, 1))
    assert held.status == 429, str(held)
    time.sleep(int(held.headers["Retry-After"]) + 0.2)
    assert finish(client, token, code=code_at(enrolled.secret, 1)).status == 200


def test_an_admin_removes_a_lost_factor_audited_with_a_notice(mfa_system: System) -> None:
    client = mfa_system.client()
    enrolled = enrolled_account(client)
    user = enrolled.account
    boss = create_admin(client)
    detail = client.get(f"/api/admin/users/{user.id}", headers=boss.headers()).json()
    assert detail["mfa"] == {"totp": True, "recoveryCodesLeft": 10}
    listed = client.get("/api/admin/users", params={"q": user.username}, headers=boss.headers()).json()["users"]
    assert [entry["mfa"] for entry in listed] == [{"totp": True, "recoveryCodesLeft": 10}]
    reply = client.request("DELETE", f"/api/admin/users/{user.id}/mfa", headers=boss.headers())
    assert (reply.status, reply.json()) == (200, {"message": "Two-factor authentication removed"})
    # Every session of the user ended; the password alone signs in again.
    assert refresh(client, user.refresh_token, check=False).status == 403
    body = signin(client, user.username).json()
    assert claims(body["accessToken"])["amr"] == ["pwd"]
    assert client.get(f"/api/admin/users/{user.id}", headers=boss.headers()).json()["mfa"] == {"totp": False, "recoveryCodesLeft": 0}
    # The trail is written off the request path, within a quarter second.
    deadline = time.monotonic() + 10
    while True:
        events = client.get("/api/admin/audit", params={"userId": str(user.id), "type": "mfa_disabled"},
                            headers=boss.headers()).json()["events"]
        if events or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [(event["actorId"], event["details"]) for event in events] == [(boss.id, {"by": "admin"})]
    assert mfa_system.mail is not None
    notice = mfa_system.mail.wait_for(to=user.email, subject="Two-factor authentication was removed")
    assert user.username in notice.text
    again = client.request("DELETE", f"/api/admin/users/{user.id}/mfa", headers=boss.headers())
    assert (again.status, again.json()) == (400, {"message": "Two-factor authentication is not enabled"})
    plain = create_account(client)
    forbidden = client.request("DELETE", f"/api/admin/users/{user.id}/mfa", headers=plain.headers())
    assert forbidden.status == 403


def test_a_reset_by_mail_does_not_skip_the_factor(mfa_system: System) -> None:
    client = mfa_system.client()
    enrolled = enrolled_account(client)
    user = enrolled.account
    assert client.post("/api/auth/password/forgot", json={"email": user.email}).status == 200
    assert mfa_system.mail is not None
    token = mfa_system.mail.wait_for(to=user.email, subject="Reset your password").token
    reset = client.post("/api/auth/password/reset", json={"token": token, "newPassword": "after-reset-1"})
    assert reset.status == 200 and "accessToken" not in reset.json()
    # The reset ended every session and handed out none: the next signin asks for the code.
    assert refresh(client, user.refresh_token, check=False).status == 403
    mfa_token = start_signin(client, user.username, "after-reset-1")
    wait_inside_step()
    assert finish(client, mfa_token, code=code_at(enrolled.secret, 1)).status == 200


def test_required_roles_leave_only_enrolment_and_signout(make_system) -> None:  # noqa: ANN001 (pytest factory)
    """How a first admin enrols under MFA_REQUIRED_ROLES=admin: signed in with the password alone, it
    reaches enrolment, confirmation and signout only; the confirmation's fresh pair opens everything."""
    system = make_system(env={"MFA_REQUIRED_ROLES": "admin"})
    client = system.client()
    root = admin(client)
    assert claims(root.access_token)["amr"] == ["pwd"]
    for path in ("/api/test/admin", "/api/test/user", "/api/auth/me", "/api/admin/users"):
        reply = client.get(path, headers=root.headers(), check=False)
        assert (reply.status, reply.json()) == (403, REQUIRED), path
    # The one public route that takes a token (signup of a privileged role) holds the same rule.
    refused = signup(client, unique_name(), roles=["admin"], token=root.access_token, check=False)
    assert (refused.status, refused.json()) == (403, REQUIRED)
    secret = enrol(client, root)["secret"]
    wait_inside_step()
    confirm(client, root, secret)
    assert claims(root.access_token)["amr"] == ["pwd", "otp"]
    assert client.get("/api/test/admin", headers=root.headers()).status == 200
    assert me(client, root.access_token)["mfa"]["totp"] is True
    # A new admin starts where the first did; signout stays open to it; users without the role are untouched.
    newcomer = create_account(client, roles=["admin"], admin=root)
    assert client.get("/api/test/admin", headers=newcomer.headers(), check=False).status == 403
    assert client.post("/api/auth/signout", headers=newcomer.headers()).status == 200
    plain = create_account(client)
    assert client.get("/api/test/user", headers=plain.headers()).status == 200
    # The enrolled admin signs in with both factors from now on.
    token = start_signin(client, ADMIN_USERNAME, ADMIN_PASSWORD)
    reply = finish(client, token, code=code_at(secret, 1))
    assert reply.status == 200 and client.get("/api/test/admin", headers={"x-access-token": reply.json()["accessToken"]}).status == 200
