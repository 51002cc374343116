"""Systems of the frontends suite, one per test module: the defaults a new user gets, and short tokens."""

from __future__ import annotations

from typing import Iterator

import pytest

from support import config
from support.external import ExternalGateway
from support.system import System

from .restart import restart

#: Access tokens that expire within two seconds, refresh replays outside any grace window, no clock
#: leeway: hours of a refresh-token frontend's life, in seconds.
SHORT_TOKENS = {"ACCESS_TOKEN_TTL": "2", "JWT_LEEWAY": "0", "REFRESH_REUSE_GRACE": "0"}


def system_with_default_cors(name: str, env: dict[str, str] | None = None) -> System:
    """A System whose gateway runs WITHOUT CORS_ALLOWED_ORIGINS (the harness sets one): the default list."""
    system = System(name=name, env=env)
    try:
        restart(system, system.gateways[0], unset=("CORS_ALLOWED_ORIGINS",))
        del system.env["CORS_ALLOWED_ORIGINS"]
    except BaseException:
        system.stop()
        raise
    return system


def _run(system: System) -> Iterator[System]:
    try:
        yield system
        system.assert_no_crash()
    finally:
        system.stop()


@pytest.fixture(scope="module")
def tutorial_system(request: pytest.FixtureRequest) -> Iterator[System]:
    """The system as `make run` configures it for the tutorial's frontends: every default, CORS included.
    One per module, so that a crash in one family's module cannot fail another's. With
    SYSTEM_TEST_GATEWAY_URL, that gateway (the compose stack runs every default too)."""
    url = config.external_gateway_url()
    yield from _run(ExternalGateway(url) if url else system_with_default_cors(f"{request.module.__name__}-defaults"))


@pytest.fixture(scope="module")
def short_token_system(request: pytest.FixtureRequest) -> Iterator[System]:
    """Default CORS, access tokens of 2 s, no leeway, no refresh grace (SHORT_TOKENS); one per module."""
    yield from _run(system_with_default_cors(f"{request.module.__name__}-short-tokens", SHORT_TOKENS))
