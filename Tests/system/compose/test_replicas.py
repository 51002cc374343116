"""The compose stack rides out a replica dying or restarting under load (compose-test runs it).

Each case is a bounded closed loop of 16 connections through the published gateway, one request in
flight on each; a client retries a failed request once, at once, on a new connection. "First attempt"
is what a client without retries sees. The bounds:
- at rest, nothing fails;
- a content replica SIGKILLed: at most what was in flight on (or just handed to) the gateway's pooled
  connections to it fails, one per connection at most, none later than 1 s after the kill (the survivor
  takes all traffic by then), and none after one retry;
- a content replica stopped with SIGTERM and started again, an auth replica restarted with SIGTERM:
  nothing fails, not even a first attempt (the gateway sends a GET again when the stopping replica
  closed its pooled connection under it).
"""

from __future__ import annotations

import pytest

from support import figures
from support.accounts import create_account
from support.compose import ComposeStack
from support.load import LoadResult, closed_loop

CONNECTIONS = 16
SECONDS = 10.0


@pytest.fixture(scope="module")
def token(compose_stack: ComposeStack) -> str:
    return create_account(compose_stack.client()).access_token


def _user_content(stack: ComposeStack, token: str, case: str, events=()) -> LoadResult:
    result = closed_loop(f"{stack.url}/api/test/user", {"x-access-token": token}, expect_body="User Content.",
                         seconds=SECONDS, concurrency=CONNECTIONS, events=events)
    figures.record(f"compose, {case}", result.summary())
    return result


def test_at_rest_no_request_fails(compose_stack: ComposeStack, token: str) -> None:
    result = _user_content(compose_stack, token, "at rest")
    assert result.ok > 0 and result.failed_first_attempt == 0, result.summary()


def test_a_content_replica_killed_costs_at_most_what_was_in_flight_on_it(compose_stack: ComposeStack, token: str) -> None:
    victim = compose_stack.containers("content")[0]
    try:
        result = _user_content(compose_stack, token, "content replica SIGKILLed",
                               events=[(3, lambda: compose_stack.docker("kill", victim))])
    finally:
        compose_stack.restore(victim)
    killed_at = result.events[0][0]
    assert result.failed_first_attempt <= CONNECTIONS, result.summary()
    assert all(at <= killed_at + 1.0 for at, _ in result.first_failures), result.summary()
    assert result.failed_after_retries == 0, result.summary()


def test_a_content_replica_stopped_and_started_loses_nothing(compose_stack: ComposeStack, token: str) -> None:
    victim = compose_stack.containers("content")[1]
    try:
        result = _user_content(compose_stack, token, "content replica stopped and started", events=[
            (3, lambda: compose_stack.docker("stop", "-t", "10", victim)), (6, lambda: compose_stack.docker("start", victim)),
        ])
    finally:
        compose_stack.restore(victim)
    assert result.failed_first_attempt == 0, result.summary()


def test_an_auth_replica_restarted_loses_nothing(compose_stack: ComposeStack) -> None:
    victim = compose_stack.containers("auth")[0]
    try:
        result = closed_loop(f"{compose_stack.url}/.well-known/jwks.json", seconds=SECONDS, concurrency=CONNECTIONS,
                             events=[(3, lambda: compose_stack.docker("restart", "-t", "10", victim))])
        figures.record("compose, auth replica restarted", result.summary())
    finally:
        compose_stack.restore(victim)
    assert result.ok > 0 and result.failed_first_attempt == 0, result.summary()
