"""The login page's second step (issue 25) in Chromium: an enrolled account's password answers
`mfaRequired`, the page stores nothing and asks for the code, a wrong code is shown as the API's message,
and the code pyotp computes from the enrolment's secret signs in (a token whose `amr` says `otp`)."""

from __future__ import annotations

import json
import time

import jwt
import pyotp

from support import accounts
from support.system import System

from .browser import Browser
from .test_journey import PASSWORD

ERROR = '[data-view="login"] [data-field="error"]'


def test_login_asks_an_enrolled_account_for_its_code(browser: Browser, webapp_system: System) -> None:
    client = webapp_system.http
    name = accounts.unique_name("web")
    account = accounts.create_account(client, name, PASSWORD)
    secret = client.post("/api/auth/mfa/totp/enroll", json={"currentPassword": PASSWORD}, headers=account.headers()).json()["secret"]
    totp = pyotp.TOTP(secret)
    # Confirmed with the previous step's code, so that the code shown at login is a later, unused one.
    confirmed = client.post("/api/auth/mfa/totp/confirm", json={"code": totp.at(time.time() - 30)}, headers=account.headers())
    assert confirmed.status == 200, str(confirmed)

    browser.open("login")
    browser.fill("login", username=name, password=PASSWORD)
    browser.submit("login")
    browser.wait_visible("#login-code")
    browser.wait_text(ERROR, "Enter your authentication code")
    assert browser.driver.execute_script("return localStorage.getItem('user')") is None, "stored before the second factor"

    wrong = "000000" if totp.now() != "000000" else "111111"
    browser.fill("login", code=wrong)
    browser.submit("login")
    browser.wait_text(ERROR, "Invalid authentication code")
    assert browser.view() == "login"

    browser.fill("login", code=totp.now())
    browser.submit("login")
    browser.wait_view("profile")
    browser.wait_text('[data-field="profile-username"]', name)
    stored = json.loads(browser.driver.execute_script("return localStorage.getItem('user')"))
    assert jwt.decode(stored["accessToken"], options={"verify_signature": False})["amr"] == ["pwd", "otp"]
