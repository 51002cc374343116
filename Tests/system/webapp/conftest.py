"""Fixtures of the web-app suite: a System with a 3-second access token, and a browser per test.

A test that fails leaves its evidence in ``$SYSTEM_TEST_OUTPUT/webapp/<test>/``: a screenshot, the
browser's console log, the answers the page got, and the page's HTML.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

import pytest

from support import config
from support.stores import PrivateRedis
from support.system import System

from .browser import Browser

#: Short enough that a test can wait it out; no leeway, so expired means expired.
ACCESS_TOKEN_TTL = 3
WEBAPP_ENV = {"ACCESS_TOKEN_TTL": str(ACCESS_TOKEN_TTL), "JWT_LEEWAY": "0"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Remembers each phase's report on the test item, so the browser fixture knows a test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def system_with_own_redis(name: str, **settings) -> Iterator[System]:  # noqa: ANN003 (System's keyword arguments)
    """A System with a Redis of its own, checked for crashes and stopped with it: sessions live in Redis
    under the user's id, and every System's database numbers its users from the same start, so on the
    shared Redis a Sessions page would also list the sessions of another module's user with the same id."""
    redis = PrivateRedis(f"{name}-redis")
    system = None
    try:
        system = System(name=name, redis_url=redis.url, **settings)
        yield system
        system.assert_no_crash()
    finally:
        try:
            if system is not None:
                system.stop()
        finally:
            redis.stop()


@pytest.fixture(scope="module")
def webapp_system() -> Iterator[System]:
    """One System for the module, its access tokens living ACCESS_TOKEN_TTL seconds."""
    yield from system_with_own_redis("webapp", env=WEBAPP_ENV)


@pytest.fixture(scope="module")
def mail_webapp_system() -> Iterator[System]:
    """A System with mail on."""
    yield from system_with_own_redis("webapp-mail", mail=True)


@pytest.fixture
def open_browser(request: pytest.FixtureRequest) -> Iterator[Callable[[str], Browser]]:
    """Factory: ``open_browser(base_url)`` starts a fresh headless Chromium for the app at BASE_URL.

    Each browser is ended at teardown; when the test failed, its evidence goes to the output folder first.
    """
    started: list[Browser] = []

    def start(base_url: str) -> Browser:
        session = Browser(base_url)
        started.append(session)
        return session

    yield start
    failed = any(getattr(getattr(request.node, f"report_{phase}", None), "failed", False) for phase in ("setup", "call"))
    for index, session in enumerate(started):
        try:
            if failed:
                name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + (f"-{index + 1}" if index else "")
                written = session.save_evidence(config.output_dir() / "webapp" / name)
                print(f"\nweb-app evidence of {request.node.name}: " + ", ".join(str(p) for p in written))
        finally:
            session.quit()


@pytest.fixture
def browser(open_browser: Callable[[str], Browser], webapp_system: System) -> Browser:
    """A fresh headless Chromium on the real gateway of ``webapp_system``."""
    return open_browser(webapp_system.gateway_url())
