"""The per-address signup limit, set with RATE_LIMIT_SIGNUP on a System with a Redis of its own (the
counters are per client address, and every System on the shared Redis is 127.0.0.1)."""

from __future__ import annotations

from typing import Callable

from support.accounts import signup, unique_name
from support.stores import PrivateRedis
from support.system import System


def test_signups_over_the_per_address_limit_get_429_with_retry_after_and_other_actions_count_apart(
    private_redis: PrivateRedis, make_system: Callable[..., System],
) -> None:
    system = make_system(env={"RATE_LIMIT_SIGNUP": "3"}, redis_url=private_redis.url, name="signup-limit")
    client = system.http
    for _ in range(3):
        assert signup(client, unique_name()).status == 200
    limited = signup(client, unique_name(), check=False)
    assert limited.status == 429, limited
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= 60, limited
    assert limited.message == f"Too many requests, try again in {retry_after} seconds.", limited
    assert client.get("/api/test/all").status == 200
