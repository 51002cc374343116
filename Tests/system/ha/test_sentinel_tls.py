"""Sentinel over verified TLS: the master, two replicas and three Sentinels speak TLS only.

The services are given the Sentinels, a ``rediss://`` URL and the test's own CA: they must ask the
Sentinels over TLS, verify each node's certificate against the IP address the Sentinels name, and
follow a failover, all without a plain-text connection anywhere (no node listens on one). A service
that holds another CA gets no Redis at all, though every node and Sentinel is up.
"""

from __future__ import annotations

import pytest

from support.accounts import create_account, refresh
from support.certificates import ThrowawayCA
from support.processes import wait_until
from support.sentinel import SentinelSet
from support.stores import RedisTLS

from .refused import assert_auth_never_reaches_redis

#: Seconds the services may take to answer again on the promoted master (down-after is 1 s).
RECOVERY_LIMIT = 30


@pytest.fixture
def tls_sentinel_set(tmp_path):
    pki = ThrowawayCA(tmp_path / "pki")
    server = pki.issue("redis-node", dns=["localhost"], ips=["127.0.0.1"])
    with SentinelSet(backup_replica=True, tls=RedisTLS(server.certificate, server.key, pki.certificate)) as ha:
        yield ha


def test_the_services_follow_a_failover_through_sentinels_over_tls(tls_sentinel_set, make_system):
    system = make_system(env=tls_sentinel_set.service_env(), gateways=2)
    account = create_account(system.http)
    assert system.http.get("/api/test/user", headers=account.headers()).status == 200

    tls_sentinel_set.kill_master()
    tls_sentinel_set.wait_for_promotion(timeout=30)
    replies = []

    def refreshed() -> bool:
        replies.append(refresh(system.http, account.refresh_token, check=False))
        return replies[-1].status == 200
    assert wait_until(refreshed, RECOVERY_LIMIT, interval=0.5), f"no refresh on the promoted master: {replies[-3:]}"
    account.access_token = replies[-1].json()["accessToken"]
    # A signout waits for a replica (REDIS_WAIT_REPLICAS=1) and answers 503 until the second replica
    # follows the new master, as after any failover (docs/operations.md).
    signouts = []

    def signed_out() -> bool:
        signouts.append(system.http.post("/api/auth/signout", headers=account.headers()).status)
        return signouts[-1] == 200
    assert wait_until(signed_out, RECOVERY_LIMIT, interval=0.5), f"signout answered {signouts[-3:]}"
    assert set(signouts) <= {200, 503}, signouts
    # Both gateways read the revocation on the new master, over TLS.
    for gateway in range(2):
        assert wait_until(lambda: system.client(gateway).get("/api/test/user", headers=account.headers()).status == 401, 10)


def test_a_service_with_another_ca_gets_no_redis(tls_sentinel_set, tmp_path):
    env = {**tls_sentinel_set.service_env(), "REDIS_CA_FILE": str(ThrowawayCA(tmp_path / "other", name="other CA").certificate)}
    assert_auth_never_reaches_redis(env)
