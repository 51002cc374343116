"""The harness itself: a System starts, answers through its gateway and stops cleanly."""

from typing import Callable

from support.accounts import admin, create_account
from support.system import System


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
