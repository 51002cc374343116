"""Changing the address: the current password checked, a confirmation link to the new address and a
notice to the old one, the change only on confirmation, and the new address free at that moment too;
and an admin's reset, which the admin never sees the password of."""

from __future__ import annotations

from support.accounts import admin, create_account, signin
from support.processes import wait_until
from support.system import System

from .conftest import RESET_SUBJECT, catcher, forgot, new_user, reset_mail, signed_in

CONFIRM_SUBJECT = "Confirm your new email address"


def change(client, account, new_email: str, password: str | None = None):
    return client.post("/api/auth/email", headers=account.headers(),
                       json={"newEmail": new_email, "currentPassword": password or account.password})


def test_the_address_changes_only_when_the_new_one_confirms(mail_system: System) -> None:
    client = mail_system.http
    name, old = new_user(client)
    account = signed_in(client, name)
    new = f"new-{name}@example.org"
    wrong = change(client, account, new, "not-my-password")
    assert (wrong.status, wrong.message) == (401, "Wrong current password!")
    reply = change(client, account, new)
    assert (reply.status, reply.json()) == (200, {"message": "Confirmation mail sent to the new address"}), str(reply)
    confirmation = catcher(mail_system).wait_for(to=new, subject=CONFIRM_SUBJECT)
    notice = catcher(mail_system).wait_for(to=old, subject="A change of your email address was requested")
    assert new in notice.text and notice.token is None
    assert confirmation.link == f"{mail_system.gateway_url()}/#/verify-email?token={confirmation.token}"
    assert client.get("/api/auth/me", headers=account.headers()).json()["email"] == old

    done = client.post("/api/auth/email/verify", json={"token": confirmation.token})
    assert (done.status, done.json()) == (200, {"message": "Email verified"}), str(done)
    me = client.get("/api/auth/me", headers=account.headers()).json()
    assert (me["email"], me["emailVerified"]) == (new, True)
    catcher(mail_system).wait_for(to=old, subject="Your email address was changed")
    # The account is now found under its new address only.
    forgot(client, old)
    forgot(client, new)
    assert reset_mail(mail_system, new).token
    catcher(mail_system).assert_none(old, within=0.5, predicate=lambda mail: mail.subject == RESET_SUBJECT)


def test_the_new_address_must_still_be_free_when_confirmed(mail_system: System) -> None:
    client = mail_system.http
    first, second = (signed_in(client, new_user(client)[0]) for _ in range(2))
    wanted = f"contested-{first.username}@example.org"
    assert change(client, first, wanted).status == 200
    assert change(client, second, wanted).status == 200
    links = [catcher(mail_system).wait_for(to=wanted, subject=CONFIRM_SUBJECT, count=count).token for count in (1, 2)]
    # Whichever confirms first gets it; the other's confirmation is refused and changes nothing.
    assert client.post("/api/auth/email/verify", json={"token": links[1]}).status == 200
    refused = client.post("/api/auth/email/verify", json={"token": links[0]})
    assert (refused.status, refused.message) == (400, "Failed! Email is already in use!"), str(refused)
    emails = {account.username: client.get("/api/auth/me", headers=account.headers()).json()["email"] for account in (first, second)}
    assert emails == {first.username: first.email, second.username: wanted}
    taken = change(client, first, wanted)
    assert (taken.status, taken.message) == (400, "Failed! Email is already in use!")
    same = change(client, first, first.email.upper())
    assert (same.status, same.message) == (400, "Failed! newEmail is already your address!")


def test_an_admin_sends_a_reset_link_and_never_sees_a_password(mail_system: System) -> None:
    client = mail_system.http
    root = admin(client)
    name, email = new_user(client)
    user_id = client.get("/api/admin/users", params={"q": name}, headers=root.headers()).json()["users"][0]["id"]
    plain = create_account(client)
    refused = client.post(f"/api/admin/users/{user_id}/password-reset", headers=plain.headers())
    assert (refused.status, refused.message) == (403, "Require Admin Role!")
    reply = client.post(f"/api/admin/users/{user_id}/password-reset", headers=root.headers())
    assert (reply.status, reply.json()) == (200, {"message": "Password reset mail sent"}), str(reply)
    assert "password" not in reply.text.lower().replace("password reset mail sent", "")
    token = reset_mail(mail_system, email).token
    assert client.post("/api/auth/password/reset", json={"token": token, "newPassword": "chosen-by-user"}).status == 200
    assert signin(client, name, "chosen-by-user").status == 200
    events: list = []

    def audited() -> bool:
        events[:] = client.get("/api/admin/audit", params={"userId": str(user_id), "type": "password_reset_requested"},
                               headers=root.headers()).json()["events"]
        return bool(events)

    assert wait_until(audited, 5), "no password_reset_requested event"
    assert [(event["type"], event["actorId"]) for event in events] == [("password_reset_requested", root.id)]
    unknown = client.post("/api/admin/users/2147483647/password-reset", headers=root.headers())
    assert (unknown.status, unknown.message) == (404, "User not found")
