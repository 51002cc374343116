"""Generated hostile input on the mail routes (issue 23): forgot, reset, verify, resend, the address
change and an admin's reset, against a System that delivers to a real SMTP server.

Every example gets a 4xx JSON answer (or the route's one success where the input is valid), and nothing
happens that the example did not validly ask for: the real reset and verification tokens still work
afterwards, the password and the address are as they were, and no mail goes to an address no account has.
"""

from __future__ import annotations

from hypothesis import example, given, settings

from support.accounts import Account, create_account, signin
from support.system import System

from .bodies import fields_in, hostile_bodies, malformed_id_templates, fill_id, unknown_user_ids
from .common import after_batch
from .generated import COMBINING_EMAIL, PAD_60K, is_client_error, json_body, open_batch, run_example, send

PRIVATE_REDIS = True
ADMIN_ACCOUNT = True
MAIL = True
#: Junk may ask for many mails; the quota is not what this suite tests.
SYSTEM_ENV = {"MAIL_ACCOUNT_LIMIT": "100000"}

MAIL_FIELDS = ["email", "token", "newPassword", "newEmail", "currentPassword"]
FORGOT_ANSWER = {"message": "If an account exists for that address, a reset link has been sent."}
EXAMPLES = 40
PASSWORD = "hostile-mail-pw"


def _user(system: System) -> Account:
    return create_account(system.client(), password=PASSWORD)


def test_generated_forgot_bodies_answer_the_same_or_are_refused(hostile_system: System) -> None:
    """POST /api/auth/password/forgot: 200 with the one answer for anything that is an address, 4xx for
    the rest; the only reset mails that leave go to the account whose address was asked for."""
    sessions = open_batch(hostile_system)
    client = hostile_system.client()
    user = _user(hostile_system)

    @settings(max_examples=EXAMPLES)
    @given(hostile_bodies(MAIL_FIELDS))
    @example(json_body('{"email":"%s"}' % user.email.upper()))
    @example(json_body('{"email":"%s"}' % COMBINING_EMAIL))
    @example(json_body('{"email":["%s"]}' % user.email))
    @example(json_body('{"email":"%s\\u0000"}' % user.email))
    @example(json_body(PAD_60K))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = send(client, "/api/auth/password/forgot", content_type, body)
            assert (reply.status == 200 and reply.json() == FORGOT_ANSWER) or is_client_error(reply), str(reply)

        run_example(hostile_system, content_type, body, run)

    check()
    hostile_system.mail.wait_for(to=user.email, subject="Reset your password")
    strangers = [mail.to for mail in hostile_system.mail.mails() if mail.to.lower() != user.email.lower()
                 and mail.subject == "Reset your password"]
    assert strangers == [], f"reset mails to addresses no account has: {strangers}"
    assert signin(client, user.username, PASSWORD).status == 200
    after_batch(hostile_system, sessions)


def test_generated_reset_and_verify_bodies_spend_no_token(hostile_system: System) -> None:
    """POST /api/auth/password/reset and /api/auth/email/verify with junk (and the real tokens beside
    weak or malformed passwords): always 4xx; afterwards both real tokens still work."""
    sessions = open_batch(hostile_system)
    client = hostile_system.client()
    user = _user(hostile_system)
    verify_token = hostile_system.mail.wait_for(to=user.email, subject="Confirm your email address").token
    assert client.post("/api/auth/password/forgot", json={"email": user.email}).status == 200
    reset_token = hostile_system.mail.wait_for(to=user.email, subject="Reset your password").token

    @settings(max_examples=EXAMPLES)
    @given(hostile_bodies(MAIL_FIELDS))
    @example(json_body('{"token":"%s","newPassword":"12345"}' % reset_token))
    @example(json_body('{"token":"%s","newPassword":"%s"}' % (reset_token, "x" * 60_000)))
    @example(json_body('{"token":["%s"],"newPassword":"long-enough-pw"}' % reset_token))
    @example(json_body('{"token":"%s\\u0000","newPassword":"long-enough-pw"}' % reset_token))
    @example(json_body('{"token":"%s ","newPassword":"long-enough-pw"}' % reset_token))
    @example(json_body('{"token":"%s","newPassword":"long-enough-pw"}' % reset_token.upper()))
    @example(json_body('{"token":{"$ne":""}}'))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            for path in ("/api/auth/password/reset", "/api/auth/email/verify"):
                reply = send(client, path, content_type, body)
                fields = fields_in(content_type, body) or {}
                valid_verify = path.endswith("verify") and fields.get("token") == verify_token
                assert is_client_error(reply) or valid_verify, f"{path}: {reply}"

        run_example(hostile_system, content_type, body, run)

    check()
    assert client.post("/api/auth/email/verify", json={"token": verify_token}).status in (200, 400)
    done = client.post("/api/auth/password/reset", json={"token": reset_token, "newPassword": "after-the-junk"})
    assert done.status == 200, f"the junk spent the reset token: {done}"
    assert signin(client, user.username, "after-the-junk").status == 200
    after_batch(hostile_system, sessions)


def test_generated_email_change_bodies_change_no_address(hostile_system: System, hostile_admin: Account) -> None:
    """POST /api/auth/email (and /email/verify/resend, which ignores bodies) with junk: 4xx, or 200 only
    for a valid address with the right password; the address is never changed without a confirmation,
    and the calling session lives on."""
    sessions = open_batch(hostile_system)
    client = hostile_system.client()
    user = _user(hostile_system)
    headers = {"x-access-token": user.access_token}

    @settings(max_examples=EXAMPLES)
    @given(hostile_bodies(MAIL_FIELDS))
    @example(json_body('{"newEmail":"%s","currentPassword":"%s"}' % (COMBINING_EMAIL, PASSWORD)))
    @example(json_body('{"newEmail":"x@example.com","currentPassword":["%s"]}' % PASSWORD))
    @example(json_body('{"newEmail":"x@example.com\\r\\nBcc: y@example.com","currentPassword":"%s"}' % PASSWORD))
    @example(json_body('{"newEmail":"%s","currentPassword":"%s"}' % (user.email, PASSWORD)))
    def check(case: tuple[str | None, bytes]) -> None:
        content_type, body = case

        def run() -> None:
            reply = send(client, "/api/auth/email", content_type, body, headers=headers)
            fields = fields_in(content_type, body) or {}
            assert is_client_error(reply) or (reply.status == 200 and fields.get("currentPassword") == PASSWORD), str(reply)
            resend = send(client, "/api/auth/email/verify/resend", content_type, body, headers=headers)
            assert resend.status == 200 or is_client_error(resend), str(resend)
            assert client.get("/api/auth/me", headers=headers).status == 200

        run_example(hostile_system, content_type, body, run)

    check()
    client.request("DELETE", f"/api/admin/users/{user.id}/lockout", headers=hostile_admin.headers())
    assert client.get("/api/auth/me", headers=headers).json()["email"] == user.email
    after_batch(hostile_system, sessions)


def test_generated_admin_reset_ids_send_nothing_to_anyone_else(hostile_system: System, hostile_admin: Account) -> None:
    """POST /api/admin/users/{id}/password-reset with malformed and unknown ids: 400 or 404, no mail."""
    sessions = open_batch(hostile_system)
    client = hostile_system.client()
    user = _user(hostile_system)
    before = len(hostile_system.mail.mails())

    @settings(max_examples=EXAMPLES)
    @given(malformed_id_templates(), unknown_user_ids())
    def check(template: str, unknown: int) -> None:
        for target in (fill_id(template, user.id), str(unknown)):
            def run() -> None:
                reply = client.post(f"/api/admin/users/{target}/password-reset", headers=hostile_admin.headers())
                assert reply.status in (400, 404), f"{target}: {reply}"

            run_example(hostile_system, None, target.encode(), run)

    check()
    reset_mails = [m for m in hostile_system.mail.mails()[before:] if m.subject == "Reset your password"]
    assert reset_mails == [], [m.to for m in reset_mails]
    after_batch(hostile_system, sessions)
