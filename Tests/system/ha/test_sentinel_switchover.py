"""Planned failovers (SENTINEL FAILOVER) under load: the old master keeps running, unaware, until the
Sentinels demote it some 10 s later; nothing it takes meanwhile may be answered, and nothing written
to the new master may be missed by a gateway.
"""

from __future__ import annotations

import threading
import time

from support import figures
from support.accounts import create_account, refresh

from .timeline import Timeline


def test_a_planned_switchover_moves_every_service_to_the_new_master(sentinel_set, make_system):
    """SENTINEL FAILOVER promotes the replica while the old master still runs and still accepts
    writes, until the Sentinels turn it into a replica (some 10 s later) and it discards what it took
    meanwhile. The services move on +switch-master (or the first READONLY), write nothing the old
    master alone has (it has no replica: 503), and answer nothing but 200 or 503; refreshes work
    again once the new master has its replica."""
    system = make_system(env=sentinel_set.service_env(), gateways=2)
    accounts = [create_account(system.http) for _ in range(8)]
    timeline = Timeline()
    stop = threading.Event()

    def refresher(gateway: int) -> None:
        own = system.client(gateway)
        while not stop.is_set():
            for account in accounts[gateway::2]:
                reply = refresh(own, account.refresh_token, check=False)
                if reply.status == 200:
                    account.access_token, account.refresh_token = reply.json()["accessToken"], reply.json()["refreshToken"]
                    timeline.success("refresh")
                elif reply.status == 503:
                    timeline.failure("refresh")
                else:
                    timeline.odd(f"refresh of {account.username}: {reply}")
            time.sleep(0.02)

    threads = [threading.Thread(target=refresher, args=(gateway,)) for gateway in range(2)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        asked_at = sentinel_set.switch_over()
        promoted_at = sentinel_set.wait_for_promotion(timeout=30)
        rejoined_at = sentinel_set.wait_for_old_master_as_replica(timeout=30)
        time.sleep(2.0)  # load on the new master, with its replica
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not timeline.unexpected, "answers other than 200 or the fail-closed 503:\n" + "\n".join(timeline.unexpected[:20])
    assert timeline.recovered("refresh"), f"refresh did not recover after the switch: {timeline.failures}"
    assert timeline.last_success["refresh"] > rejoined_at, "no refresh answered after the switch"
    figures.record("sentinel switchover", f"promotion {promoted_at - asked_at:.2f} s after SENTINEL FAILOVER, the old "
                                          f"master a replica at {rejoined_at - asked_at:.2f} s; refresh 503s from "
                                          f"{timeline.first_failure['refresh'] - asked_at:.2f} s to "
                                          f"{timeline.last_failure['refresh'] - asked_at:.2f} s")

    # A signout now is written to the new master and is in force at both gateways.
    signed_out = accounts[0]
    assert system.http.post("/api/auth/signout", headers=signed_out.headers()).status == 200
    for gateway in range(2):
        assert system.client(gateway).get("/api/test/user", headers=signed_out.headers()).status == 401
    for account in accounts[1:]:
        assert refresh(system.http, account.refresh_token, check=False).status == 200
    assert sentinel_set.master.cli("ROLE").splitlines()[0] == "slave", "the old master was not demoted"


def test_after_a_switchover_a_signout_at_one_gateway_is_in_force_at_the_other(two_replica_set, make_system):
    """With a second replica the new master takes writes right after the promotion, while the old
    master still runs as a master of its own for some 10 s. A gateway whose revocation feed kept
    tailing the old master would miss a signout made through another gateway all that time: the feed
    must move on +switch-master too. The first Sentinel the services list is down throughout, so
    they find the master and hear +switch-master through the others."""
    ha = two_replica_set
    system = make_system(env=ha.service_env(), gateways=2)
    account = create_account(system.http)
    assert system.client(0).get("/api/test/user", headers=account.headers()).status == 200
    ha.stop_sentinel(0)
    restarted = make_system(env=ha.service_env())  # a service that starts with that Sentinel down
    assert create_account(restarted.http).roles == ["ROLE_USER"]
    asked_at = ha.switch_over()
    ha.wait_for_promotion(timeout=30)
    # Signed out through gateway 2 as soon as the new master takes writes (its replica re-pointed).
    deadline = time.monotonic() + 10
    while (reply := system.client(1).post("/api/auth/signout", headers=account.headers(), check=False)).status == 503:
        assert time.monotonic() < deadline, "the new master took no signout within 10 s"
        time.sleep(0.05)
    assert reply.status == 200, reply
    signed_out_at = time.monotonic()
    assert ha.master.cli("ROLE").splitlines()[0] == "master", "the old master was demoted already: no window tested"
    # Gateway 1 refuses the token within the feed's usual delay, not when the old master is demoted.
    while (status := system.client(0).get("/api/test/user", headers=account.headers(), check=False).status) != 401:
        assert status in (200, 503), status
        assert time.monotonic() - signed_out_at < 3.0, "gateway 1 still accepts a signed-out token"
        time.sleep(0.05)
    figures.record("sentinel switchover, two replicas",
                   f"signout taken {signed_out_at - asked_at:.2f} s after SENTINEL FAILOVER, refused at the other "
                   f"gateway {time.monotonic() - signed_out_at:.2f} s later")
