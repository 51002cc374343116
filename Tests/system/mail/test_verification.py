"""Email verification end to end: the mail at signup, `required` refusing then admitting, `optional`
changing nothing for the tutorial's clients, resend, and `emailVerified` in the profile and admin views."""

from __future__ import annotations

from support.accounts import admin, signin
from support.system import System

from .conftest import VERIFY_SUBJECT, catcher, new_user, signed_in

SYSTEM_ENV = {"EMAIL_VERIFICATION": "required"}


def verify(client, token: str):
    return client.post("/api/auth/email/verify", json={"token": token})


def test_required_mode_refuses_signin_until_the_link_is_followed(mail_system: System) -> None:
    client = mail_system.http
    name, email = new_user(client)
    wrong = signin(client, name, "not-the-password", check=False)
    assert (wrong.status, wrong.message) == (401, "Invalid username or password!")
    refused = signin(client, name, check=False)
    assert (refused.status, refused.json()) == (403, {"message": "Email not verified"}), str(refused)
    mail = catcher(mail_system).wait_for(to=email, subject=VERIFY_SUBJECT)
    assert mail.link == f"{mail_system.gateway_url()}/#/verify-email?token={mail.token}"
    reply = verify(client, mail.token)
    assert (reply.status, reply.json()) == (200, {"message": "Email verified"}), str(reply)
    account = signed_in(client, name)
    me = client.get("/api/auth/me", headers=account.headers()).json()
    assert me["emailVerified"] is True
    again = verify(client, mail.token)
    assert (again.status, again.message) == (400, "Verification link is invalid or has expired")
    resend = client.post("/api/auth/email/verify/resend", headers=account.headers())
    assert (resend.status, resend.message) == (400, "Email is already verified")


def test_admin_views_show_whether_an_address_is_verified(mail_system: System) -> None:
    client = mail_system.http
    name, email = new_user(client)
    root = admin(client)
    listed = client.get("/api/admin/users", params={"q": name}, headers=root.headers()).json()["users"]
    assert [(user["username"], user["emailVerified"]) for user in listed] == [(name, False)]
    detail = client.get(f"/api/admin/users/{listed[0]['id']}", headers=root.headers()).json()
    assert detail["emailVerified"] is False
    # The operator's bootstrap admin is created verified: required mode must not lock it out.
    me = client.get("/api/auth/me", headers=root.headers()).json()
    assert me["emailVerified"] is True


def test_optional_mode_changes_nothing_for_the_tutorials_clients(make_mail_system) -> None:
    system = make_mail_system()
    client = system.http
    name, email = new_user(client)
    account = signed_in(client, name)
    me = client.get("/api/auth/me", headers=account.headers()).json()
    assert me["emailVerified"] is False
    first = catcher(system).wait_for(to=email, subject=VERIFY_SUBJECT)
    resend = client.post("/api/auth/email/verify/resend", headers=account.headers())
    assert (resend.status, resend.json()) == (200, {"message": "Verification mail sent"}), str(resend)
    second = catcher(system).wait_for(to=email, subject=VERIFY_SUBJECT, count=2)
    assert second.token != first.token
    assert verify(client, first.token).status == 200
    assert client.get("/api/auth/me", headers=account.headers()).json()["emailVerified"] is True


def test_resend_is_limited_per_account(make_mail_system) -> None:
    system = make_mail_system(env={"MAIL_ACCOUNT_LIMIT": "2"})
    client = system.http
    name, _ = new_user(client)
    account = signed_in(client, name)
    statuses = [client.post("/api/auth/email/verify/resend", headers=account.headers()).status for _ in range(3)]
    assert statuses == [200, 200, 429], statuses
