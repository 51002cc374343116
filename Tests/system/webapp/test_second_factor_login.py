"""The second factor in the web app (issue 25), in Chromium: the login page's second step (an enrolled
account's password answers `mfaRequired`, the page stores nothing and asks for the code, a wrong code is
shown as the API's message, pyotp's code signs in with `amr` saying `otp`), and enrolment under the profile.
Codes come from pyotp with the key the page shows."""

from __future__ import annotations

import json
import time

import jwt
import pyotp
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from support import accounts
from support.system import System

from .browser import Browser
from .test_journey import PASSWORD, log_in

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


def test_the_profile_enrols_shows_the_codes_once_regenerates_and_turns_off(browser: Browser, webapp_system: System) -> None:
    """Enrolment under the profile: the QR code and the key, confirmation with pyotp's code from the key read
    off the page, the ten recovery codes with their download, new codes for a recovery code, and off."""
    name = accounts.unique_name("web")
    accounts.create_account(webapp_system.http, name, PASSWORD)
    log_in(browser, name)
    box = browser.wait_visible('[data-field="two-factor"]')
    box.find_element(By.CSS_SELECTOR, "summary").click()
    browser.wait_text('[data-field="mfa-status"]', "Off.")
    browser.fill("mfa-enroll", currentPassword=PASSWORD)
    browser.submit("mfa-enroll")
    secret = browser.wait_visible('[data-field="mfa-secret"]').text.strip()
    path = browser.driver.find_element(By.CSS_SELECTOR, '[data-field="mfa-qr"] svg path').get_attribute("d")
    assert secret and path.count("M") > 100, "no QR code drawn"
    totp = pyotp.TOTP(secret)
    browser.fill("mfa-confirm", code=totp.now())
    browser.submit("mfa-confirm")
    browser.wait_text('[data-field="mfa-status"]', "On. Recovery codes left: 10.")
    codes = [item.text for item in browser.driver.find_elements(By.CSS_SELECTOR, '[data-field="mfa-codes"] li')]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert browser.driver.find_element(By.CSS_SELECTOR, '[data-field="mfa-codes-download"]').get_attribute("href").startswith("blob:")
    stored = json.loads(browser.driver.execute_script("return localStorage.getItem('user')"))
    assert jwt.decode(stored["accessToken"], options={"verify_signature": False})["amr"] == ["pwd", "otp"]

    browser.fill("mfa-manage", code=codes[0])
    browser.driver.find_element(By.CSS_SELECTOR, '[data-action="mfa-regenerate"]').click()
    browser.wait_text('[data-field="mfa-status"]', "On. Recovery codes left: 10.")
    # The list is drawn anew: an item found just before that is stale, so look again until the new one is there.
    WebDriverWait(browser.driver, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda driver: driver.find_element(By.CSS_SELECTOR, '[data-field="mfa-codes"] li').text not in codes)

    browser.fill("mfa-manage", code=totp.at(time.time() + 30))
    browser.driver.find_element(By.CSS_SELECTOR, '[data-action="mfa-disable"]').click()
    browser.wait_text('[data-field="mfa-status"]', "Off.")
    assert "accessToken" in accounts.signin(webapp_system.http, name, PASSWORD).json()
