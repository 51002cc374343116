"""The mail pages (issue 23) in Chromium, against the real services and a real SMTP server: the test
reads each mail from the server's folder and follows its link, as a user would.

"Forgot password?" from the login page, the reset page the link opens, the banner of an unverified
address with its "resend", the verification page, and the address change under the profile.
"""

from __future__ import annotations

import pytest

from support import accounts
from support.system import System

from .browser import Browser
from .test_journey import PASSWORD, log_in


@pytest.fixture
def mail_browser(open_browser, mail_webapp_system: System) -> Browser:
    return open_browser(mail_webapp_system.gateway_url())


def new_account(system: System) -> tuple[str, str]:
    name = accounts.unique_name("web")
    email = f"{name}@example.com"
    assert accounts.signup(system.http, name, PASSWORD, email=email).status == 200
    return name, email


def test_forgot_password_then_the_link_sets_a_new_one(mail_browser: Browser, mail_webapp_system: System) -> None:
    browser, system = mail_browser, mail_webapp_system
    name, email = new_account(system)
    browser.open("login")
    browser.go("forgot-password")
    browser.fill("forgot-password", email=email)
    browser.submit("forgot-password")
    browser.wait_text('[data-view="forgot-password"] [data-field="done"]', "If an account exists for that address, a reset link has been sent.")
    mail = system.mail.wait_for(to=email, subject="Reset your password")
    browser.driver.get(mail.link)
    browser.wait_view("reset-password")
    browser.fill("reset-password", password="new-secret-1", confirm="other-secret")
    browser.submit("reset-password")
    browser.wait_text("#reset-confirm-error", "The passwords do not match.")
    browser.fill("reset-password", password="new-secret-1", confirm="new-secret-1")
    browser.submit("reset-password")
    browser.wait_text('[data-field="done-message"]', "Password reset")
    log_in(browser, name, "new-secret-1")
    assert accounts.signin(system.http, name, PASSWORD, check=False).status == 401
    # The same link again: the page shows the API's refusal.
    browser.driver.get(mail.link)
    browser.wait_view("reset-password")
    browser.fill("reset-password", password="third-secret-1", confirm="third-secret-1")
    browser.submit("reset-password")
    browser.wait_text('[data-view="reset-password"] [data-field="error"]', "Reset link is invalid or has expired")
    assert browser.foreign_requests() == [], "the page fetched something from another origin"
    assert browser.page_errors() == [], "script errors or CSP violations on the console"


def test_the_banner_resends_the_link_and_the_link_verifies(mail_browser: Browser, mail_webapp_system: System) -> None:
    browser, system = mail_browser, mail_webapp_system
    name, email = new_account(system)
    system.mail.wait_for(to=email, subject="Confirm your email address")
    log_in(browser, name)
    browser.wait_text('[data-field="verify-banner-email"]', email)
    browser.wait_text('[data-field="profile-verified"]', "not verified")
    browser.wait_visible('[data-action="resend-verification"]').click()
    browser.wait_text('[data-field="verify-banner-status"]', "Verification mail sent")
    mail = system.mail.wait_for(to=email, subject="Confirm your email address", count=2)
    browser.driver.get(mail.link)
    browser.wait_view("verify-email")
    browser.submit("verify-email")
    browser.wait_text('[data-view="verify-email"] [data-field="done"]', "Email verified")
    browser.wait_until(lambda: not browser.displayed('[data-field="verify-banner"]'), "the banner is still shown")
    browser.open("profile")
    browser.wait_text('[data-field="profile-verified"]', "verified")
    assert browser.page_errors() == [], "script errors or CSP violations on the console"


def test_the_address_changes_from_the_profile_once_the_new_one_confirms(mail_browser: Browser, mail_webapp_system: System) -> None:
    browser, system = mail_browser, mail_webapp_system
    name, old = new_account(system)
    new = f"moved-{name}@example.org"
    log_in(browser, name)
    browser.wait_visible('[data-field="change-email"] summary').click()
    browser.fill("change-email", newEmail=new, currentPassword="wrong-password")
    browser.submit("change-email")
    browser.wait_text('[data-form="change-email"] [data-field="error"]', "Wrong current password!")
    browser.fill("change-email", newEmail=new, currentPassword=PASSWORD)
    browser.submit("change-email")
    browser.wait_text('[data-form="change-email"] [data-field="done"]', "Confirmation mail sent to the new address")
    system.mail.wait_for(to=old, subject="A change of your email address was requested")
    mail = system.mail.wait_for(to=new, subject="Confirm your new email address")
    assert browser.text('[data-field="profile-email"]') == old
    browser.driver.get(mail.link)
    browser.wait_view("verify-email")
    browser.submit("verify-email")
    browser.wait_text('[data-view="verify-email"] [data-field="done"]', "Email verified")
    browser.open("profile")
    browser.wait_text('[data-field="profile-email"]', new)
    assert browser.page_errors() == [], "script errors or CSP violations on the console"
