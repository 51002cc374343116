"""Fixtures of the mail suite: Systems whose auth service delivers to a real SMTP server of their own
(``support.mail.MailCatcher``: Debian's aiosmtpd), and helpers to follow what a user receives."""

from __future__ import annotations

from typing import Callable, Iterator

import pytest

from support.accounts import DEFAULT_PASSWORD, Account, existing_account, signup, unique_name
from support.fixtures import _Systems, call_failed
from support.http import Client
from support.mail import Mail, MailCatcher
from support.system import System

RESET_SUBJECT = "Reset your password"
VERIFY_SUBJECT = "Confirm your email address"
FORGOT_ANSWER = "If an account exists for that address, a reset link has been sent."


@pytest.fixture(scope="module")
def mail_system(request: pytest.FixtureRequest) -> Iterator[System]:
    """One System per module with mail on (its own SMTP server), env from the module's SYSTEM_ENV."""
    systems = _Systems(request.module.__name__.rsplit(".", 1)[-1])
    yield systems.start(mail=True, env=dict(getattr(request.module, "SYSTEM_ENV", {})))
    systems.finish()


@pytest.fixture
def make_mail_system(request: pytest.FixtureRequest) -> Iterator[Callable[..., System]]:
    """Factory of Systems with mail on (``mail=True`` unless a MailCatcher is given), stopped at teardown."""
    systems = _Systems(request.node.name)

    def start(**kwargs) -> System:  # noqa: ANN003 (System's keyword arguments)
        kwargs.setdefault("mail", True)
        return systems.start(**kwargs)

    yield start
    systems.finish(already_failed=call_failed(request))


def new_user(client: Client, password: str = DEFAULT_PASSWORD, email: str | None = None) -> tuple[str, str]:
    """Signs up a fresh account; (username, email)."""
    name = unique_name("m")
    address = email or f"{name}@example.com"
    reply = signup(client, name, password, email=address)
    assert reply.status == 200, str(reply)
    return name, address


def forgot(client: Client, email: str) -> None:
    reply = client.post("/api/auth/password/forgot", json={"email": email})
    assert (reply.status, reply.json()) == (200, {"message": FORGOT_ANSWER}), str(reply)


def reset_mail(system: System, email: str, count: int = 1) -> Mail:
    assert system.mail is not None
    return system.mail.wait_for(to=email, subject=RESET_SUBJECT, count=count)


def signed_in(client: Client, name: str, password: str = DEFAULT_PASSWORD) -> Account:
    return existing_account(client, name, password)


def catcher(system: System) -> MailCatcher:
    assert system.mail is not None, "a System with mail"
    return system.mail
