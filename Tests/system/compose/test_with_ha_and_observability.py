"""The compose stack with compose/ha.yaml and compose/observability.yaml added (compose-test runs it,
after test_replicas.py): two Redis replicas and three Sentinels, Prometheus, the trace receiver.

Prometheus scrapes the gateway and every replica; one signin arrives as one trace of gateway and
auth-service spans; and with the Redis master SIGKILLed under load, protected routes answer again
within 15 s of the kill, a session rotated before it still refreshes after it (the rotation waited
for a replica), and the Sentinels name another master.
"""

from __future__ import annotations

import collections
import json

import pytest
import requests

from support import figures, ports
from support.accounts import create_account, refresh
from support.compose import ComposeStack
from support.load import closed_loop
from support.processes import wait_until

FAILOVER_BOUND_SECONDS = 15.0


@pytest.fixture(scope="module")
def overlaid(compose_stack: ComposeStack) -> ComposeStack:
    compose_stack.prometheus_url = f"http://127.0.0.1:{ports.free_port()}"
    compose_stack.add_files("compose/ha.yaml", "compose/observability.yaml",
                            env={"PROMETHEUS_PUBLISH": compose_stack.prometheus_url.removeprefix("http://")})
    return compose_stack


def _scraped(stack: ComposeStack) -> dict[str, int]:
    try:
        targets = requests.get(f"{stack.prometheus_url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
    except (requests.RequestException, ValueError, KeyError):
        return {}
    return dict(collections.Counter(target["labels"]["job"] for target in targets if target["health"] == "up"))


def test_prometheus_scrapes_the_gateway_and_every_replica(overlaid: ComposeStack) -> None:
    up: dict[str, int] = {}

    def all_up() -> bool:
        up.update(_scraped(overlaid))
        return up == {"gateway": 1, "auth": 2, "content": 2}

    assert wait_until(all_up, 60, 1.0), f"scraped and up: {up}"


def _spans(stack: ComposeStack) -> list[dict]:
    lines = (line.split("|", 1)[1].strip() for line in stack.compose("logs", "--no-color", "traces").splitlines() if "|" in line)
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_a_signin_is_one_trace_of_the_gateway_and_the_auth_service(overlaid: ComposeStack) -> None:
    create_account(overlaid.client())

    def traced() -> bool:
        spans = _spans(overlaid)
        gateway = {span["id"]: span["trace"] for span in spans
                   if span["service"] == "gateway" and span["name"] == "POST /api/auth/signin"}
        return any(span["service"] == "auth-service" and gateway.get(span["parent"]) == span["trace"] for span in spans)

    assert wait_until(traced, 30, 1.0), "no signin trace with the auth service's span under the gateway's"


def _master(stack: ComposeStack) -> str:
    ask = 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -p 26379 --raw SENTINEL get-master-addr-by-name auth-backend'
    return stack.compose("exec", "-T", "sentinel-1", "sh", "-c", ask).strip()


def test_the_redis_master_killed_under_load_is_replaced_and_loses_no_session(overlaid: ComposeStack) -> None:
    client = overlaid.client()
    account = create_account(client)
    # A rotation answered before the kill: WAIT held its answer until a replica had it.
    rotated = refresh(client, account.refresh_token).json()["refreshToken"]
    before = _master(overlaid)
    master = overlaid.containers("redis")[0]
    result = closed_loop(f"{overlaid.url}/api/test/user", {"x-access-token": account.access_token}, expect_body="User Content.",
                         seconds=20, concurrency=8, retries=0, events=[(3, lambda: overlaid.docker("kill", master))])
    killed_at = result.events[0][0]
    back_after = (result.failure_window[1] - killed_at) if result.failure_window else 0.0
    figures.record("compose, Redis master SIGKILLed",
                   f"protected routes answered again {back_after:.1f} s after the kill; {result.summary()}")
    assert back_after <= FAILOVER_BOUND_SECONDS, result.summary()
    assert refresh(client, rotated, check=False).status == 200, "a session rotated before the failover does not refresh after it"
    after = _master(overlaid)
    assert after and after != before, f"the Sentinels still name {before}"
