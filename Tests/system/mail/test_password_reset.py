"""Forgot and reset, end to end through the gateway with a real SMTP server: the mail a user receives,
the link followed, the new password in and every old session out; single use, expiry, the lockout
cleared, a reset racing signins with the old password, and no enumeration."""

from __future__ import annotations

import random
import statistics
import threading
import time

from support.accounts import DEFAULT_PASSWORD, refresh, signin
from support.system import System

from .conftest import FORGOT_ANSWER, catcher, forgot, new_user, reset_mail, signed_in

SYSTEM_ENV = {"SIGNIN_FREE_FAILURES": "2"}
NEW_PASSWORD = "brand-new-pw-1"


def test_the_reset_mail_is_a_proper_mail_with_the_link_and_the_token(mail_system: System) -> None:
    name, email = new_user(mail_system.http)
    forgot(mail_system.http, email)
    mail = reset_mail(mail_system, email)
    assert mail.to == email
    assert b'\r\nFrom: "Auth Backend" <no-reply@auth.test>\r\n' in b'\r\n' + mail.raw
    assert mail.message["Message-ID"].endswith("@auth.test>") and mail.message["Date"]
    assert mail.message.get_content_type() == "multipart/alternative"
    assert mail.link == f"{mail_system.gateway_url()}/#/reset-password?token={mail.token}"
    assert mail.token and mail.token in mail.html and name in mail.text
    # Every line fits SMTP's limit, and the HTML part escapes what it shows.
    assert all(len(line) <= 78 for line in mail.raw.split(b"\r\n"))


def test_a_reset_lets_the_new_password_in_and_ends_every_old_session(mail_system: System) -> None:
    client = mail_system.http
    name, email = new_user(client)
    sessions = [signed_in(client, name) for _ in range(2)]
    forgot(client, email)
    forgot(client, email)
    first, second = reset_mail(mail_system, email, 1), reset_mail(mail_system, email, 2)
    reply = client.post("/api/auth/password/reset", json={"token": second.token, "newPassword": NEW_PASSWORD})
    assert (reply.status, reply.json()) == (200, {"message": "Password reset"}), str(reply)

    assert signin(client, name, NEW_PASSWORD).status == 200
    assert signin(client, name, DEFAULT_PASSWORD, check=False).status == 401
    for session in sessions:
        assert client.get("/api/test/user", headers=session.headers()).status == 401
        assert refresh(client, session.refresh_token, check=False).status == 403
    # Single use, and the earlier link died with it.
    for token in (second.token, first.token):
        again = client.post("/api/auth/password/reset", json={"token": token, "newPassword": "another-pw-2"})
        assert (again.status, again.message) == (400, "Reset link is invalid or has expired"), str(again)
    notice = catcher(mail_system).wait_for(to=email, subject="Your password was reset")
    assert notice.token is None


def test_a_bad_token_or_password_is_refused_and_changes_nothing(mail_system: System) -> None:
    client = mail_system.http
    name, email = new_user(client)
    forgot(client, email)
    token = reset_mail(mail_system, email).token
    cases = [
        ({"token": "x" * 43, "newPassword": NEW_PASSWORD}, "Reset link is invalid or has expired"),
        ({"token": "short", "newPassword": NEW_PASSWORD}, "Reset link is invalid or has expired"),
        ({"newPassword": NEW_PASSWORD}, "Failed! token is required!"),
        ({"token": token}, "Failed! newPassword is required!"),
        ({"token": token, "newPassword": "abc"}, "Failed! newPassword must be 6 to 128 characters!"),
    ]
    for body, message in cases:
        reply = client.post("/api/auth/password/reset", json=body)
        assert (reply.status, reply.message) == (400, message), f"{body}: {reply}"
    assert signin(client, name).status == 200
    # The weak password did not spend the token.
    assert client.post("/api/auth/password/reset", json={"token": token, "newPassword": NEW_PASSWORD}).status == 200


def test_a_locked_out_account_can_reset_and_the_reset_clears_the_lockout(mail_system: System) -> None:
    client = mail_system.http
    name, email = new_user(client)
    for _ in range(4):
        signin(client, name, "wrong-password", check=False)
    assert signin(client, name, check=False).status == 429
    forgot(client, email)
    token = reset_mail(mail_system, email).token
    assert client.post("/api/auth/password/reset", json={"token": token, "newPassword": NEW_PASSWORD}).status == 200
    assert signin(client, name, NEW_PASSWORD).status == 200


def test_a_link_expires(make_mail_system) -> None:
    system = make_mail_system(env={"PASSWORD_RESET_TTL": "2"})
    name, email = new_user(system.http)
    forgot(system.http, email)
    token = reset_mail(system, email).token
    time.sleep(2.5)
    reply = system.http.post("/api/auth/password/reset", json={"token": token, "newPassword": NEW_PASSWORD})
    assert (reply.status, reply.message) == (400, "Reset link is invalid or has expired")
    assert signin(system.http, name).status == 200


def test_unknown_and_known_addresses_get_the_same_answer_in_the_same_time(mail_system: System) -> None:
    """Each address is asked once (so no quota is involved), known and unknown interleaved in a seeded
    order; the answers must be identical and the median times within a few milliseconds."""
    client = mail_system.http
    known = [new_user(client)[1] for _ in range(16)]
    unknown = [f"nobody-{index}-{time.time_ns()}@example.com" for index in range(16)]
    order = [(True, address) for address in known] + [(False, address) for address in unknown]
    random.Random(23).shuffle(order)
    times: dict[bool, list[float]] = {True: [], False: []}
    for exists, address in order:
        reply = client.post("/api/auth/password/forgot", json={"email": address})
        assert (reply.status, reply.json(), reply.headers.get("Content-Length")) == (
            200, {"message": FORGOT_ANSWER}, str(len(reply.body))), str(reply)
        times[exists].append(reply.elapsed)
    for address in known:
        reset_mail(mail_system, address)
    catcher(mail_system).assert_none(unknown[0], within=0.5)
    known_median, unknown_median = statistics.median(times[True]), statistics.median(times[False])
    assert abs(known_median - unknown_median) <= 0.004 + 0.25 * min(known_median, unknown_median), (
        f"median {known_median * 1000:.2f} ms known vs {unknown_median * 1000:.2f} ms unknown")


def test_a_reset_racing_signins_with_the_old_password_leaves_none_of_their_sessions_alive(mail_system: System) -> None:
    """Signins with the old password run back to back from two threads while the reset happens; every
    pair any of them got, before or during the reset, must be dead once the reset has answered. A thread
    stops at its first refusal: the reset has taken, and more wrong passwords would only run into the
    per-account back-off (seen on a loaded machine: the signin with the new password answered 429)."""
    name, email = new_user(mail_system.http)
    forgot(mail_system.http, email)
    token = reset_mail(mail_system, email).token
    obtained: list[tuple[str, str]] = []
    stop = threading.Event()

    def sign_in_repeatedly() -> None:
        client = mail_system.client()
        while not stop.is_set():
            reply = signin(client, name, DEFAULT_PASSWORD, check=False)
            if reply.status != 200:
                return
            body = reply.json()
            obtained.append((body["accessToken"], body["refreshToken"]))

    threads = [threading.Thread(target=sign_in_repeatedly) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.4)
    reply = mail_system.http.post("/api/auth/password/reset", json={"token": token, "newPassword": NEW_PASSWORD})
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert reply.status == 200, str(reply)
    assert obtained, "no signin succeeded before the reset: the race was not run"
    client = mail_system.http
    alive = [pair for pair in obtained if client.get("/api/test/user", headers={"x-access-token": pair[0]}).status == 200
             or refresh(client, pair[1], check=False).status == 200]
    assert not alive, f"{len(alive)} of {len(obtained)} sessions of the old password survived the reset"
    assert signin(client, name, NEW_PASSWORD).status == 200
