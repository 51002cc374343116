"""Fixtures of the hostile suite: one System per module, replaced when a test killed a process.

A test module sets ``SYSTEM_ENV`` (extra service environment) and ``PRIVATE_REDIS = True`` when its
System needs a Redis of its own (failed signins lock names in Redis: junk signins for ``rootadmin``
must not lock the bootstrap admin of every other System on the shared Redis), ``MAIL = True`` when its
auth service must deliver mail (an SMTP server of its own), and ``ADMIN_ACCOUNT = True`` when its tests
act as an admin (``hostile_admin``): that admin is made as each System starts,
before any test of the module can lock ``rootadmin`` with junk signins.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from support.accounts import Account, create_admin, existing_account
from support.fixtures import call_failed
from support.stores import PrivateRedis
from support.system import System, SystemFailure


class _Holder:
    """The module's System; a new one replaces it when a process of the old one died or stopped answering."""

    def __init__(self, name: str, env: dict[str, str], private_redis: bool, admin_account: bool, mail: bool = False) -> None:
        self.name = name
        self.mail = mail
        self.env = env
        self.redis = PrivateRedis() if private_redis else None
        self.make_admin = admin_account
        self.admin: Account | None = None
        self.system: System | None = None

    def get(self) -> System:
        if self.system is not None and self.system.live_problems():
            self.system.stop()  # the test that broke it has already failed with the log tails
            self.system = None
        if self.system is None:
            self.system = System(env=self.env, name=self.name, redis_url=self.redis.url if self.redis else None, mail=self.mail)
            self.admin = create_admin(self.system.http) if self.make_admin else None
        return self.system

    def close(self) -> None:
        if self.system is not None:
            self.system.stop()
        if self.redis is not None:
            self.redis.stop()


@pytest.fixture(scope="module")
def _module_holder(request: pytest.FixtureRequest) -> Iterator[_Holder]:
    holder = _Holder(request.module.__name__.rsplit(".", 1)[-1], dict(getattr(request.module, "SYSTEM_ENV", {})),
                     bool(getattr(request.module, "PRIVATE_REDIS", False)),
                     bool(getattr(request.module, "ADMIN_ACCOUNT", False)), bool(getattr(request.module, "MAIL", False)))
    yield holder
    holder.close()


@pytest.fixture
def hostile_system(_module_holder: _Holder, request: pytest.FixtureRequest) -> Iterator[System]:
    """The module's System (env from the module's SYSTEM_ENV), live at the start of the test; at the end
    every process must still answer /health/live, or the test (unless it failed already) errors with the
    log tails."""
    system = _module_holder.get()
    yield system
    problems = system.live_problems()
    if problems and not call_failed(request):
        raise SystemFailure("process(es) not live after the test:\n" + "\n\n".join(problems))


@pytest.fixture
def hostile_admin(hostile_system: System, _module_holder: _Holder) -> Account:
    """The admin of the module's System (``ADMIN_ACCOUNT = True``), made by the bootstrap admin as the
    System started, signed in afresh (a new session) for this test."""
    made = _module_holder.admin
    assert made is not None, "set ADMIN_ACCOUNT = True in the module to use hostile_admin"
    return existing_account(hostile_system.http, made.username, made.password)
