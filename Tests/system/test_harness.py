"""The harness itself: a System starts, answers through its gateway and stops cleanly."""

from typing import Callable

import pytest

from support import ports
from support.accounts import admin, create_account
from support.external import ExternalGateway
from support.fixtures import runs_against_external_gateway
from support.system import System, SystemFailure


def test_a_system_answers_through_its_gateway_and_every_process_is_live(system: System) -> None:
    """GET / through the gateway is the contract's welcome JSON, the bootstrap admin signs in, and every
    process answers /health/live afterwards."""
    reply = system.http.get("/")
    assert reply.status == 200, reply
    assert isinstance(reply.json()["message"], str)
    assert "ROLE_ADMIN" in admin(system.http).roles
    system.assert_all_live()


def test_gateway_replicas_share_the_services_and_the_session_store(make_system: Callable[..., System]) -> None:
    """With gateways=2, an account signed in through one gateway is served by the other: both front the
    same auth and content services and the same Redis."""
    system = make_system(gateways=2)

    account = create_account(system.http)
    other = system.client(1)
    reply = other.get("/api/test/user", headers=account.headers())
    assert (reply.status, reply.text) == (200, "User Content."), reply
    system.assert_all_live()


class _Item:
    """What runs_against_external_gateway reads of a collected test."""

    def __init__(self, *fixtures: str) -> None:
        self.fixturenames = list(fixtures)


def test_against_an_external_gateway_only_tests_of_the_default_system_run() -> None:
    """tutorial_system may be an external gateway; a test that also (or only) needs a system, stores or
    settings of its own must not run against one."""
    assert runs_against_external_gateway(_Item("tutorial_system", "origin", "frontend"))
    for fixtures in [("short_token_system",), ("tutorial_system", "make_system"), ("tutorial_system", "private_redis"),
                     ("system",), ("hostile_system", "user"), ("request",), ()]:
        assert not runs_against_external_gateway(_Item(*fixtures)), fixtures


def test_an_external_gateway_that_is_not_there_fails_loudly() -> None:
    """ExternalGateway checks /health/ready as it starts: a URL nobody answers is a failure, not a skip."""
    with pytest.raises(SystemFailure):
        ExternalGateway(f"http://127.0.0.1:{ports.free_port()}")


def test_an_external_gateway_serves_the_contract_suites(system: System) -> None:
    """The ExternalGateway of a running gateway is live, and its clients reach that gateway."""
    external = ExternalGateway(system.gateway_url())
    try:
        external.assert_all_live()
        assert external.client().get("/api/test/all").text == "Public Content."
    finally:
        external.stop()
